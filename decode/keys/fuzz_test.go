package keys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds key files to the parsers: they never panic, and what they
// accept has keys whose lengths fit their algorithms.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"natt-ok-keys/logs/charon-gw.log", "ikev1-natt-keys/logs/charon-client.log", "natt-rekey-gcm-keys/logs/charon-gw.log"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "lab", p)); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("69155891005a2bd4,92aba571c5e269d9," + nattOKSKei + "," + nattOKSKer + `,"AES-CBC-128 [RFC3602]",` + nattOKSKai + "," + nattOKSKar + `,"HMAC_SHA2_256_128 [RFC4868]"`)
	f.Add(`"IPv4","*","*","0x11b08b5f","AES-GCM [RFC4106]","0x00112233445566778899aabbccddeeff01020304","ANY 64 bit authentication [no checking]",""`)
	f.Add("d9eabc13e3ebfb65,e3234edb9a3c8b7b0d90ef8b3c7a14bd\n")
	f.Add("17:30:11 08[IKE] Sk_ei secret => 16 bytes @ 0x1\n17:30:11 08[IKE]    0: 3E 08 D0 62 8E AD A3 71 58 FC 84 5D 1F BF 8D 17  x\n")
	f.Fuzz(func(t *testing.T, text string) {
		s, _, err := Parse(text, "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, k := range s.IKEv2 {
			if !k.Cipher.validKeyLen(len(k.EncI)) || !k.Cipher.validKeyLen(len(k.EncR)) || len(k.IntegI) != k.Integrity.keyLen() {
				t.Fatalf("accepted IKEv2 keys that do not fit %v/%v", k.Cipher, k.Integrity)
			}
			k.Open(make([]byte, 64), 32, true)
		}
		for _, k := range s.ESP {
			if !k.Cipher.validKeyLen(len(k.EncKey)) || (k.Integrity.Checked() && len(k.AuthKey) != k.Integrity.keyLen()) {
				t.Fatalf("accepted ESP keys that do not fit %v/%v", k.Cipher, k.Integrity)
			}
			k.Open(make([]byte, 64))
		}
	})
}

// FuzzIKEv2Open opens arbitrary messages with the lab's keys and with an
// AEAD key: no panic, and nothing forged opens.
func FuzzIKEv2Open(f *testing.F) {
	f.Add(unhex(f, ikeNattOKFrame21), 32, true)
	f.Add([]byte{}, 0, false)
	f.Fuzz(func(t *testing.T, msg []byte, off int, fromInitiator bool) {
		sa := nattOKIKEv2(t)
		plain, err := sa.Open(msg, off, fromInitiator)
		if err == nil && string(msg) != string(unhex(t, ikeNattOKFrame21)) {
			// Only a message with a valid ICV opens; a fuzzer that finds
			// one has found an HMAC-SHA2-256 collision.
			t.Fatalf("opened a message that is not the lab's: %x", plain)
		}
		gcm := &IKEv2SA{Cipher: CipherAESGCM16, EncI: keyOf(20, 1), EncR: keyOf(20, 2), Integrity: IntegrityNone}
		if _, err := gcm.Open(msg, off, fromInitiator); err == nil {
			t.Fatal("forged an AES-GCM tag")
		}
	})
}

// FuzzESPOpen opens arbitrary ESP packets with the lab's keys, with a CTR
// key and with an unchecked ICV: no panic.
func FuzzESPOpen(f *testing.F) {
	f.Add(unhex(f, espNattOKFrame7))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		lab := &ESPSA{Cipher: CipherAESCBC, EncKey: unhex(t, "63ab406113a378d4fd453b855ae1b92d"),
			Integrity: IntegrityHMACSHA256128, AuthKey: unhex(t, "d5e17fc9e6fdcce5e4f38b75fa4a2f258f8203eb3e956208f8b112d028b4ea1a")}
		if _, _, err := lab.Open(pkt); err == nil && string(pkt) != string(unhex(t, espNattOKFrame7)) {
			t.Fatal("opened a packet that is not the lab's")
		}
		for _, sa := range []*ESPSA{
			{Cipher: CipherAESCTR, EncKey: keyOf(20, 1), Integrity: IntegrityAny96},
			{Cipher: CipherDES3CBC, EncKey: keyOf(24, 1), Integrity: IntegrityAny64},
			{Cipher: CipherNull, Integrity: IntegrityNone},
		} {
			if payload, _, err := sa.Open(pkt); err == nil && len(payload) > len(pkt) {
				t.Fatalf("payload longer than the packet")
			}
		}
	})
}

// FuzzIKEv1Decrypt decrypts arbitrary ciphertext with arbitrary IVs.
func FuzzIKEv1Decrypt(f *testing.F) {
	f.Add(keyOf(16, 1), keyOf(32, 2))
	f.Fuzz(func(t *testing.T, iv, ct []byte) {
		for _, alg := range []uint16{5, 7} {
			c, err := NewIKEv1Cipher(&IKEv1SA{Key: keyOf(24, 3)}, alg, 0)
			if err != nil {
				t.Fatal(err)
			}
			if out, err := c.Decrypt(iv, ct); err == nil && len(out) != len(ct) {
				t.Fatal("plaintext length differs")
			}
		}
	})
}
