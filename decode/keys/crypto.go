package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrShort reports ciphertext too short for its IV, ICV or block size.
var ErrShort = errors.New("ciphertext too short")

// block returns the block cipher of the key without its salt.
func newBlock(c Cipher, key []byte) (cipher.Block, error) {
	k := key[:len(key)-c.saltLen()]
	if c == CipherDES3CBC {
		return des.NewTripleDESCipher(k)
	}
	return aes.NewCipher(k)
}

// checkICV verifies an HMAC ICV over data.
func checkICV(integ Integrity, key, data, icv []byte) error {
	h := integ.hash()
	if h == nil {
		return nil // unchecked ICV (ESP "ANY n bit")
	}
	m := hmac.New(h, key)
	m.Write(data)
	sum := m.Sum(nil)
	if subtle.ConstantTimeCompare(sum[:len(icv)], icv) != 1 {
		return ErrIntegrity
	}
	return nil
}

// decryptNonAEAD decrypts iv‖ciphertext of a CBC, CTR or NULL cipher.
func decryptNonAEAD(c Cipher, key, ivct []byte, ctrCounter uint32) ([]byte, error) {
	if c == CipherNull {
		return append([]byte(nil), ivct...), nil
	}
	ivLen := c.IVLen()
	if len(ivct) < ivLen {
		return nil, ErrShort
	}
	iv, ct := ivct[:ivLen], ivct[ivLen:]
	b, err := newBlock(c, key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(ct))
	switch c {
	case CipherAESCBC, CipherDES3CBC:
		if len(ct) == 0 || len(ct)%b.BlockSize() != 0 {
			return nil, fmt.Errorf("%w: %d bytes is not a multiple of the %d-byte block", ErrShort, len(ct), b.BlockSize())
		}
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, ct)
	case CipherAESCTR:
		// Counter block: nonce (the salt), IV, 32-bit counter from 1
		// (RFC 3686 §4, RFC 5930 §2).
		var ctr [16]byte
		copy(ctr[:4], key[len(key)-4:])
		copy(ctr[4:12], iv)
		binary.BigEndian.PutUint32(ctr[12:], ctrCounter)
		cipher.NewCTR(b, ctr[:]).XORKeyStream(out, ct)
	default:
		return nil, fmt.Errorf("cipher %s is not a stream or block mode", c)
	}
	return out, nil
}

// openAEAD decrypts iv‖ciphertext‖tag of AES-GCM with aad: the nonce is
// the salt and the 8-byte IV (RFC 4106 §4, RFC 5282 §4).
func openAEAD(c Cipher, key, aad, ivcttag []byte) ([]byte, error) {
	if len(ivcttag) < 8+c.ICVLen() {
		return nil, ErrShort
	}
	b, err := newBlock(c, key)
	if err != nil {
		return nil, err
	}
	var nonce [12]byte
	copy(nonce[:4], key[len(key)-4:])
	copy(nonce[4:], ivcttag[:8])
	n := c.ICVLen()
	if n >= 12 {
		g, err := cipher.NewGCMWithTagSize(b, n)
		if err != nil {
			return nil, err
		}
		out, err := g.Open(nil, nonce[:], ivcttag[8:], aad)
		if err != nil {
			return nil, ErrIntegrity
		}
		return out, nil
	}
	// Go's GCM takes no tag shorter than 12 bytes. A short tag is the
	// leading part of the full one (NIST SP 800-38D §7.1): decrypt with the
	// counter mode GCM uses (J0 = nonce‖1, data from J0+1), then seal the
	// plaintext again and compare the leading bytes of the tags.
	ct, tag := ivcttag[8:len(ivcttag)-n], ivcttag[len(ivcttag)-n:]
	var ctr [16]byte
	copy(ctr[:12], nonce[:])
	ctr[15] = 2
	out := make([]byte, len(ct))
	cipher.NewCTR(b, ctr[:]).XORKeyStream(out, ct)
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	sealed := g.Seal(nil, nonce[:], out, aad)
	if subtle.ConstantTimeCompare(sealed[len(sealed)-16:len(sealed)-16+n], tag) != 1 {
		return nil, ErrIntegrity
	}
	return out, nil
}

// Open checks and decrypts the body of an IKEv2 Encrypted (SK) or
// Encrypted Fragment (SKF) payload (RFC 7296 §3.14, RFC 7383 §2.5). msg is
// the IKE message from its header to the end of that payload; bodyOff is
// the offset in msg of the payload's IV (after the 4-byte generic header,
// and for SKF the fragment number and total). fromInitiator selects SK_ei
// and SK_ai (the original initiator's keys) or SK_er and SK_ar. It returns
// the plaintext without padding and pad length.
//
// The integrity check comes first: an ICV (or AEAD tag) that does not
// verify gives ErrIntegrity, and nothing is decrypted.
func (sa *IKEv2SA) Open(msg []byte, bodyOff int, fromInitiator bool) ([]byte, error) {
	enc, integ := sa.EncR, sa.IntegR
	if fromInitiator {
		enc, integ = sa.EncI, sa.IntegI
	}
	if bodyOff < 0 || bodyOff > len(msg) {
		return nil, ErrShort
	}
	var plain []byte
	var err error
	if sa.Cipher.AEAD() {
		// The associated data is the IKE header and the payload's
		// header(s) (RFC 5282 §5.1, RFC 7383 §2.5.2).
		plain, err = openAEAD(sa.Cipher, enc, msg[:bodyOff], msg[bodyOff:])
	} else {
		n := sa.Integrity.ICVLen()
		if len(msg)-bodyOff < n {
			return nil, ErrShort
		}
		end := len(msg) - n
		if err := checkICV(sa.Integrity, integ, msg[:end], msg[end:]); err != nil {
			return nil, err
		}
		plain, err = decryptNonAEAD(sa.Cipher, enc, msg[bodyOff:end], 1)
	}
	if err != nil {
		return nil, err
	}
	// Padding, then the Pad Length octet (RFC 7296 §3.14).
	if len(plain) == 0 || int(plain[len(plain)-1])+1 > len(plain) {
		return nil, fmt.Errorf("%w: pad length beyond the plaintext", ErrIntegrity)
	}
	return plain[:len(plain)-1-int(plain[len(plain)-1])], nil
}

// IKEv1Cipher is the CBC cipher of an IKEv1 SA (RFC 2409 Appendix B): the
// key of the table or log with the algorithm the peers negotiated.
type IKEv1Cipher struct {
	block cipher.Block
}

// NewIKEv1Cipher makes the cipher for the IKEv1 encryption algorithm of
// RFC 2409 Appendix A (5 = 3DES-CBC, 7 = AES-CBC) with the key of sa, of
// which it uses keyLen bytes (the negotiated length; 0 for the whole key).
func NewIKEv1Cipher(sa *IKEv1SA, alg uint16, keyLen int) (*IKEv1Cipher, error) {
	key := sa.Key
	if keyLen > 0 && keyLen < len(key) {
		key = key[:keyLen]
	}
	var b cipher.Block
	var err error
	switch alg {
	case 5:
		if len(key) < 24 {
			return nil, fmt.Errorf("3DES needs 24 key bytes, the key of %s has %d", sa.Source, len(key))
		}
		b, err = des.NewTripleDESCipher(key[:24])
	case 7:
		b, err = aes.NewCipher(key)
	default:
		return nil, fmt.Errorf("IKEv1 encryption algorithm %d is not decrypted by vpnpcap", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("the key of %s does not fit: %v", sa.Source, err)
	}
	return &IKEv1Cipher{block: b}, nil
}

// BlockSize is the cipher's block size, which is also the IV length.
func (c *IKEv1Cipher) BlockSize() int { return c.block.BlockSize() }

// Decrypt decrypts ct with iv. The IV of the next message of the same
// exchange is ct's last block.
func (c *IKEv1Cipher) Decrypt(iv, ct []byte) ([]byte, error) {
	bs := c.block.BlockSize()
	if len(ct) == 0 || len(ct)%bs != 0 || len(iv) < bs {
		return nil, fmt.Errorf("%w: %d bytes is not a multiple of the %d-byte block", ErrShort, len(ct), bs)
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(c.block, iv[:bs]).CryptBlocks(out, ct)
	return out, nil
}

// Open checks and decrypts an ESP packet (RFC 4303 §3.4) from its SPI on.
// It returns the payload data and the Next Header field. The ICV or AEAD
// tag is checked first; an algorithm of Wireshark's "ANY n bit" kind is
// not checked.
func (sa *ESPSA) Open(pkt []byte) (payload []byte, nextHeader uint8, err error) {
	if len(pkt) < 8 {
		return nil, 0, ErrShort
	}
	var plain []byte
	if sa.Cipher.AEAD() {
		// AAD: SPI and 32-bit sequence number (RFC 4106 §5, no ESN).
		plain, err = openAEAD(sa.Cipher, sa.EncKey, pkt[:8], pkt[8:])
	} else {
		n := sa.Integrity.ICVLen()
		if len(pkt)-8 < n {
			return nil, 0, ErrShort
		}
		end := len(pkt) - n
		if err := checkICV(sa.Integrity, sa.AuthKey, pkt[:end], pkt[end:]); err != nil {
			return nil, 0, err
		}
		plain, err = decryptNonAEAD(sa.Cipher, sa.EncKey, pkt[8:end], 1)
	}
	if err != nil {
		return nil, 0, err
	}
	// Padding, Pad Length, Next Header (RFC 4303 §2.4–2.6).
	if len(plain) < 2 {
		return nil, 0, ErrShort
	}
	pad := int(plain[len(plain)-2])
	if pad+2 > len(plain) {
		return nil, 0, fmt.Errorf("%w: pad length beyond the plaintext", ErrIntegrity)
	}
	return plain[:len(plain)-2-pad], plain[len(plain)-1], nil
}
