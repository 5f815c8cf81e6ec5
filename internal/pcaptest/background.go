package pcaptest

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"strings"
)

// PortDNS and PortHTTPS are the background traffic ports.
const (
	PortDNS   = 53
	PortHTTPS = 443
)

func appendName(b []byte, name string) []byte {
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, uint8(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// ednsOPT is an EDNS(0) OPT pseudo-record advertising a 1232-octet UDP
// payload size, as current stub resolvers send it (RFC 6891 §6.1.2).
var ednsOPT = []byte{0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0}

// DNSQuery builds a recursive query for the A record of name, with an EDNS
// OPT record (RFC 1035 §4.1).
func DNSQuery(id uint16, name string) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x01, 0x00) // RD
	b = append(b, 0, 1, 0, 0, 0, 0, 0, 1)
	b = appendName(b, name)
	b = append(b, 0, 1, 0, 1) // A, IN
	return append(b, ednsOPT...)
}

// DNSAnswer builds the resolver's answer to [DNSQuery]: the question, then
// one A record per address with the owner name compressed to a pointer to
// the question (RFC 1035 §4.1.4), then the OPT record.
func DNSAnswer(id uint16, name string, ttl uint32, addrs ...netip.Addr) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x81, 0x80) // QR, RD, RA, NOERROR
	b = append(b, 0, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(addrs)))
	b = append(b, 0, 0, 0, 1)
	b = appendName(b, name)
	b = append(b, 0, 1, 0, 1)
	for _, a := range addrs {
		b = append(b, 0xc0, 0x0c, 0, 1, 0, 1)
		b = binary.BigEndian.AppendUint32(b, ttl)
		a4 := a.As4()
		b = append(b, 0, 4)
		b = append(b, a4[:]...)
	}
	return append(b, ednsOPT...)
}

// TLS record content types (RFC 8446 §5.1).
const (
	tlsChangeCipherSpec = 20
	tlsHandshake        = 22
	tlsApplicationData  = 23
)

func tlsRecord(typ uint8, legacy uint16, body []byte) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint16(b, legacy)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}

func tlsExt(b []byte, typ uint16, data []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

func u16len(data []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(data))), data...)
}

// TLSClientHello builds a TLS 1.3 ClientHello record for server name sni
// with an X25519 key share (RFC 8446 §4.1.2).
func TLSClientHello(r *rand.Rand, sni string) []byte {
	var h []byte
	h = append(h, 0x03, 0x03)
	h = append(h, RandBytes(r, 32)...) // random
	h = append(h, 32)
	h = append(h, RandBytes(r, 32)...) // legacy session ID
	suites := []byte{0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b, 0xc0, 0x2f, 0xcc, 0xa9, 0xcc, 0xa8, 0xc0, 0x2c, 0xc0, 0x30}
	h = append(h, u16len(suites)...)
	h = append(h, 1, 0) // null compression
	var ext []byte
	sn := append([]byte{0}, u16len([]byte(sni))...)
	ext = tlsExt(ext, 0, u16len(sn))                                          // server_name
	ext = tlsExt(ext, 23, nil)                                                // extended_master_secret
	ext = tlsExt(ext, 65281, []byte{0})                                       // renegotiation_info
	ext = tlsExt(ext, 10, u16len([]byte{0x00, 0x1d, 0x00, 0x17, 0x00, 0x18})) // supported_groups
	ext = tlsExt(ext, 11, []byte{1, 0})                                       // ec_point_formats
	alpn := []byte{2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'}
	ext = tlsExt(ext, 16, u16len(alpn))                                                                                                   // ALPN
	ext = tlsExt(ext, 13, u16len([]byte{0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, 0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01})) // signature_algorithms
	ks := append([]byte{0x00, 0x1d, 0x00, 0x20}, RandBytes(r, 32)...)
	ext = tlsExt(ext, 51, u16len(ks))                        // key_share
	ext = tlsExt(ext, 45, []byte{1, 1})                      // psk_key_exchange_modes
	ext = tlsExt(ext, 43, []byte{4, 0x03, 0x04, 0x03, 0x03}) // supported_versions
	h = append(h, u16len(ext)...)
	msg := []byte{1, 0, uint8(len(h) >> 8), uint8(len(h))}
	msg = append(msg, h...)
	return tlsRecord(tlsHandshake, 0x0301, msg)
}

// TLSServerHello builds the server's first flight as it appears on the
// wire: a TLS 1.3 ServerHello record echoing the client's session ID
// (taken from clientHello), a ChangeCipherSpec record for middlebox
// compatibility, and encLen octets of encrypted handshake in an
// application-data record (RFC 8446 §4.1.3, §5, Appendix D.4).
func TLSServerHello(r *rand.Rand, clientHello []byte, encLen int) []byte {
	var sid []byte
	if len(clientHello) >= 5+4+2+32+1+32 {
		sid = clientHello[5+4+2+32+1 : 5+4+2+32+1+32]
	}
	var h []byte
	h = append(h, 0x03, 0x03)
	h = append(h, RandBytes(r, 32)...)
	h = append(h, uint8(len(sid)))
	h = append(h, sid...)
	h = append(h, 0x13, 0x01, 0) // TLS_AES_128_GCM_SHA256, null compression
	var ext []byte
	ext = tlsExt(ext, 43, []byte{0x03, 0x04})
	ks := append([]byte{0x00, 0x1d, 0x00, 0x20}, RandBytes(r, 32)...)
	ext = tlsExt(ext, 51, ks)
	h = append(h, u16len(ext)...)
	msg := []byte{2, 0, uint8(len(h) >> 8), uint8(len(h))}
	msg = append(msg, h...)
	out := tlsRecord(tlsHandshake, 0x0303, msg)
	out = append(out, tlsRecord(tlsChangeCipherSpec, 0x0303, []byte{1})...)
	return append(out, TLSAppData(r, encLen)...)
}

// TLSAppData builds one application-data record of n octets of ciphertext.
func TLSAppData(r *rand.Rand, n int) []byte {
	return tlsRecord(tlsApplicationData, 0x0303, RandBytes(r, n))
}

// ICMPEcho builds an ICMP echo request or reply with its checksum
// (RFC 792).
func ICMPEcho(reply bool, id, seq uint16, data []byte) []byte {
	b := []byte{8, 0, 0, 0}
	if reply {
		b[0] = 0
	}
	b = binary.BigEndian.AppendUint16(b, id)
	b = binary.BigEndian.AppendUint16(b, seq)
	b = append(b, data...)
	binary.BigEndian.PutUint16(b[2:], ipChecksum(b))
	return b
}
