package pcaptest

import (
	"encoding/binary"
	"math/rand/v2"
)

// NonESPMarker is the four zero octets that precede IKE on UDP port 4500
// and inside TCP encapsulation (RFC 3948 §2.2, RFC 9329 §3.1).
var NonESPMarker = []byte{0, 0, 0, 0}

// Keepalive is the payload of a NAT-keepalive packet: one octet 0xFF
// (RFC 3948 §2.3).
var Keepalive = []byte{0xff}

// ESPLen returns the length of an ESP packet carrying an inner packet of
// innerLen octets with AES-CBC and HMAC-SHA2-256-128: SPI and sequence
// number (8), IV (16), the inner packet plus padding, pad length and next
// header rounded up to the 16-octet block, ICV (16) (RFC 4303 §2).
func ESPLen(innerLen int) int { return 8 + 16 + roundUp(innerLen+2, 16) + 16 }

// ESP builds an ESP packet with the given SPI and sequence number, carrying
// an inner packet of innerLen octets; everything after the sequence number
// is random, as ciphertext looks (RFC 4303 §2).
func ESP(r *rand.Rand, spi, seq uint32, innerLen int) []byte {
	n := ESPLen(innerLen)
	b := make([]byte, 8, n)
	binary.BigEndian.PutUint32(b[0:], spi)
	binary.BigEndian.PutUint32(b[4:], seq)
	return append(b, RandBytes(r, n-8)...)
}

// AH builds an AH header (RFC 4302 §2) with a 96-bit ICV (HMAC-SHA1-96)
// in front of the inner packet; next is the inner protocol (4 for an IPv4
// packet in tunnel mode).
func AH(r *rand.Rand, next uint8, spi, seq uint32, inner []byte) []byte {
	const icv = 12
	b := []byte{next, uint8((12+icv)/4 - 2), 0, 0}
	b = binary.BigEndian.AppendUint32(b, spi)
	b = binary.BigEndian.AppendUint32(b, seq)
	b = append(b, RandBytes(r, icv)...)
	return append(b, inner...)
}

// WithMarker returns the non-ESP marker followed by msg: IKE as sent on
// UDP port 4500.
func WithMarker(msg []byte) []byte {
	return append(append([]byte(nil), NonESPMarker...), msg...)
}

// TCPEncapPrefix is the stream prefix an RFC 9329 initiator sends first on
// a new TCP connection (RFC 9329 §4).
var TCPEncapPrefix = []byte("IKETCP")

// TCPRecordIKE frames an IKE message for a TCP-encapsulated stream: a
// 16-bit length covering itself, the non-ESP marker and the message
// (RFC 9329 §3.1).
func TCPRecordIKE(msg []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(2+4+len(msg)))
	b = append(b, NonESPMarker...)
	return append(b, msg...)
}

// TCPRecordESP frames an ESP packet for a TCP-encapsulated stream: a 16-bit
// length covering itself and the packet (RFC 9329 §3.2).
func TCPRecordESP(esp []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(2+len(esp)))
	return append(b, esp...)
}
