package keys

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"testing"
)

// seal is the sender's side of Open, written from the RFCs independently of
// the code under test: it encrypts plain into an ESP packet (aad = SPI and
// sequence) or an IKEv2 SK body (aad = the header bytes before the IV).
func seal(t testing.TB, c Cipher, encKey []byte, integ Integrity, authKey, aad, plain []byte, esp bool) []byte {
	t.Helper()
	bs := c.blockSize()
	if esp && bs < 4 {
		bs = 4
	}
	trailer := 1
	if esp {
		trailer = 2
	}
	padLen := (bs - (len(plain)+trailer)%bs) % bs
	p := append([]byte(nil), plain...)
	for i := 1; i <= padLen; i++ {
		p = append(p, byte(i))
	}
	p = append(p, byte(padLen))
	if esp {
		p = append(p, 4) // next header: IPv4
	}
	iv := bytes.Repeat([]byte{0xa5}, c.IVLen())
	key := encKey[:len(encKey)-c.saltLen()]
	var body []byte
	switch c {
	case CipherNull:
		body = p
	case CipherAESCBC, CipherDES3CBC:
		var b cipher.Block
		if c == CipherAESCBC {
			b, _ = aes.NewCipher(key)
		} else {
			b, _ = des.NewTripleDESCipher(key)
		}
		ct := make([]byte, len(p))
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(ct, p)
		body = append(append([]byte(nil), iv...), ct...)
	case CipherAESCTR:
		b, _ := aes.NewCipher(key)
		var ctr [16]byte
		copy(ctr[:4], encKey[len(encKey)-4:])
		copy(ctr[4:12], iv)
		ctr[15] = 1
		ct := make([]byte, len(p))
		cipher.NewCTR(b, ctr[:]).XORKeyStream(ct, p)
		body = append(append([]byte(nil), iv...), ct...)
	default:
		b, _ := aes.NewCipher(key)
		g, _ := cipher.NewGCM(b)
		nonce := append(append([]byte(nil), encKey[len(encKey)-4:]...), iv...)
		sealed := g.Seal(nil, nonce, p, aad)
		sealed = sealed[:len(sealed)-16+c.ICVLen()] // a short tag is the full tag's leading part
		return append(append([]byte(nil), iv...), sealed...)
	}
	if h := integ.hash(); h != nil {
		m := hmac.New(h, authKey)
		m.Write(aad)
		m.Write(body)
		body = append(body, m.Sum(nil)[:integ.ICVLen()]...)
	}
	return body
}

var cipherCases = []struct {
	cipher Cipher
	keyLen int
	integ  Integrity
}{
	{CipherAESCBC, 16, IntegrityHMACSHA196},
	{CipherAESCBC, 32, IntegrityHMACSHA512256},
	{CipherAESCTR, 20, IntegrityHMACSHA256128},
	{CipherAESCTR, 36, IntegrityHMACSHA384192},
	{CipherAESGCM8, 20, IntegrityNone},
	{CipherAESGCM12, 28, IntegrityNone},
	{CipherAESGCM16, 36, IntegrityNone},
	{CipherDES3CBC, 24, IntegrityHMACMD596},
	{CipherNull, 0, IntegrityHMACSHA25696},
}

func keyOf(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }

func TestIKEv2OpenCiphers(t *testing.T) {
	plain := []byte("\x00\x00\x00\x08\x01\x00\x00\x00 a delete and more")
	for _, tc := range cipherCases {
		t.Run(tc.cipher.String()+"/"+tc.integ.String(), func(t *testing.T) {
			sa := &IKEv2SA{Cipher: tc.cipher, EncI: keyOf(tc.keyLen, 1), EncR: keyOf(tc.keyLen, 2),
				Integrity: tc.integ, IntegI: keyOf(tc.integ.keyLen(), 3), IntegR: keyOf(tc.integ.keyLen(), 4)}
			hdr := make([]byte, 32) // IKE header and SK payload header
			hdr[16] = 46
			body := seal(t, tc.cipher, sa.EncR, tc.integ, sa.IntegR, hdr, plain, false)
			msg := append(hdr, body...)
			binary.BigEndian.PutUint32(msg[24:], uint32(len(msg)))
			// seal signed the header before the length was set; sign again.
			body = seal(t, tc.cipher, sa.EncR, tc.integ, sa.IntegR, msg[:32], plain, false)
			msg = append(msg[:32], body...)
			got, err := sa.Open(msg, 32, false)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("Open = %q, %v; want %q", got, err, plain)
			}
			if _, err := sa.Open(msg, 32, true); err == nil {
				t.Error("the initiator's keys opened the responder's message")
			}
			bad := append([]byte(nil), msg...)
			bad[len(bad)-1] ^= 1
			if _, err := sa.Open(bad, 32, false); !errors.Is(err, ErrIntegrity) && tc.cipher != CipherNull {
				t.Errorf("flipped last byte: %v, want ErrIntegrity", err)
			}
		})
	}
}

func TestESPOpenCiphers(t *testing.T) {
	inner := []byte("\x45\x00\x00\x1c an inner IPv4 packet")
	for _, tc := range cipherCases {
		t.Run(tc.cipher.String()+"/"+tc.integ.String(), func(t *testing.T) {
			sa := &ESPSA{SPI: 0x1234, Cipher: tc.cipher, EncKey: keyOf(tc.keyLen, 7), Integrity: tc.integ, AuthKey: keyOf(tc.integ.keyLen(), 9)}
			hdr := []byte{0, 0, 0x12, 0x34, 0, 0, 0, 5}
			pkt := append(append([]byte(nil), hdr...), seal(t, tc.cipher, sa.EncKey, tc.integ, sa.AuthKey, hdr, inner, true)...)
			got, next, err := sa.Open(pkt)
			if err != nil || next != 4 || !bytes.Equal(got, inner) {
				t.Fatalf("Open = %q, %d, %v", got, next, err)
			}
			bad := append([]byte(nil), pkt...)
			bad[7] ^= 1 // the sequence number is authenticated
			if _, _, err := sa.Open(bad); !errors.Is(err, ErrIntegrity) {
				t.Errorf("flipped sequence number: %v, want ErrIntegrity", err)
			}
		})
	}
}

func TestIKEv1Cipher(t *testing.T) {
	sa := &IKEv1SA{Key: keyOf(32, 5)}
	c, err := NewIKEv1Cipher(sa, 7, 16)
	if err != nil {
		t.Fatal(err)
	}
	iv := keyOf(16, 9)
	plain := keyOf(32, 0x42)
	b, _ := aes.NewCipher(sa.Key[:16])
	ct := make([]byte, 32)
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(ct, plain)
	got, err := c.Decrypt(iv, ct)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Decrypt = %x, %v", got, err)
	}
	if _, err := c.Decrypt(iv, ct[:31]); !errors.Is(err, ErrShort) {
		t.Errorf("31 bytes: %v, want ErrShort", err)
	}
	if _, err := NewIKEv1Cipher(&IKEv1SA{Key: keyOf(16, 1)}, 5, 0); err == nil {
		t.Error("3DES with a 16-byte key")
	}
	if _, err := NewIKEv1Cipher(sa, 1, 0); err == nil {
		t.Error("single DES")
	}
}
