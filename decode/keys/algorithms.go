package keys

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strconv"
)

// Cipher is an encryption algorithm of IKE or ESP. The key length is that of
// the key it is given; for AES-CTR and AES-GCM the key ends with the 4-byte
// salt (RFC 3686 §5.1, RFC 4106 §8.1, RFC 5282 §7.1, RFC 5930 §2).
type Cipher uint8

// The ciphers vpnpcap decrypts.
const (
	CipherUnknown  Cipher = iota
	CipherNull            // RFC 2410
	CipherDES3CBC         // 3DES-CBC, RFC 2451
	CipherAESCBC          // RFC 3602
	CipherAESCTR          // RFC 3686 (ESP), RFC 5930 (IKEv2)
	CipherAESGCM8         // AES-GCM with an 8-octet ICV, RFC 4106, RFC 5282
	CipherAESGCM12        // 12-octet ICV
	CipherAESGCM16        // 16-octet ICV
)

var cipherNames = [...]string{
	CipherUnknown:  "unknown",
	CipherNull:     "NULL",
	CipherDES3CBC:  "3DES-CBC",
	CipherAESCBC:   "AES-CBC",
	CipherAESCTR:   "AES-CTR",
	CipherAESGCM8:  "AES-GCM-8",
	CipherAESGCM12: "AES-GCM-12",
	CipherAESGCM16: "AES-GCM-16",
}

// String returns a short name such as "AES-GCM-16".
func (c Cipher) String() string {
	if int(c) < len(cipherNames) {
		return cipherNames[c]
	}
	return "cipher(" + strconv.Itoa(int(c)) + ")"
}

// AEAD reports whether the cipher authenticates as well (AES-GCM): then no
// integrity algorithm is used.
func (c Cipher) AEAD() bool { return c == CipherAESGCM8 || c == CipherAESGCM12 || c == CipherAESGCM16 }

// ICVLen is the length of an AEAD cipher's integrity check value; 0 for the
// others.
func (c Cipher) ICVLen() int {
	switch c {
	case CipherAESGCM8:
		return 8
	case CipherAESGCM12:
		return 12
	case CipherAESGCM16:
		return 16
	}
	return 0
}

// IVLen is the length of the explicit IV in front of the ciphertext.
func (c Cipher) IVLen() int {
	switch c {
	case CipherAESCBC:
		return 16
	case CipherDES3CBC, CipherAESCTR, CipherAESGCM8, CipherAESGCM12, CipherAESGCM16:
		return 8
	}
	return 0
}

// saltLen is the length of the salt at the end of the key material.
func (c Cipher) saltLen() int {
	if c == CipherAESCTR || c.AEAD() {
		return 4
	}
	return 0
}

// blockSize is the length the ciphertext must be a multiple of (RFC 4303
// §2.4 asks 4 of stream modes, for the trailer's alignment).
func (c Cipher) blockSize() int {
	switch c {
	case CipherAESCBC:
		return 16
	case CipherDES3CBC:
		return 8
	}
	return 1
}

// validKeyLen reports whether n bytes of key material fit the cipher.
func (c Cipher) validKeyLen(n int) bool {
	switch c {
	case CipherNull:
		return n == 0
	case CipherDES3CBC:
		return n == 24
	case CipherAESCBC:
		return n == 16 || n == 24 || n == 32
	case CipherAESCTR, CipherAESGCM8, CipherAESGCM12, CipherAESGCM16:
		return n == 20 || n == 28 || n == 36
	}
	return false
}

// keyLenWant describes the key lengths the cipher takes, for error messages.
func (c Cipher) keyLenWant() string {
	switch c {
	case CipherNull:
		return "0 bytes"
	case CipherDES3CBC:
		return "24 bytes"
	case CipherAESCBC:
		return "16, 24 or 32 bytes"
	}
	return "20, 28 or 36 bytes (the AES key and a 4-byte salt)"
}

// Integrity is an integrity algorithm of IKE or ESP: an HMAC truncated to
// its ICV length (RFC 2403, RFC 2404, RFC 4868), none (AEAD ciphers and
// NULL), or, for ESP only, an ICV of a given length that is not checked
// (Wireshark's "ANY n bit authentication").
type Integrity uint8

// The integrity algorithms vpnpcap knows.
const (
	IntegrityUnknown       Integrity = iota
	IntegrityNone                    // AEAD cipher, or no integrity
	IntegrityHMACMD596               // RFC 2403
	IntegrityHMACSHA196              // RFC 2404
	IntegrityHMACSHA256128           // RFC 4868
	IntegrityHMACSHA384192           // RFC 4868
	IntegrityHMACSHA512256           // RFC 4868
	IntegrityHMACSHA25696            // draft-ietf-ipsec-ciph-sha-256-00 (Linux's old sha256 truncation)
	IntegrityAny64                   // ESP: a 64-bit ICV, not checked
	IntegrityAny96
	IntegrityAny128
	IntegrityAny192
	IntegrityAny256
)

var integrityNames = [...]string{
	IntegrityUnknown:       "unknown",
	IntegrityNone:          "none",
	IntegrityHMACMD596:     "HMAC-MD5-96",
	IntegrityHMACSHA196:    "HMAC-SHA1-96",
	IntegrityHMACSHA256128: "HMAC-SHA2-256-128",
	IntegrityHMACSHA384192: "HMAC-SHA2-384-192",
	IntegrityHMACSHA512256: "HMAC-SHA2-512-256",
	IntegrityHMACSHA25696:  "HMAC-SHA2-256-96",
	IntegrityAny64:         "unchecked 64-bit ICV",
	IntegrityAny96:         "unchecked 96-bit ICV",
	IntegrityAny128:        "unchecked 128-bit ICV",
	IntegrityAny192:        "unchecked 192-bit ICV",
	IntegrityAny256:        "unchecked 256-bit ICV",
}

// String returns a short name such as "HMAC-SHA2-256-128".
func (i Integrity) String() string {
	if int(i) < len(integrityNames) {
		return integrityNames[i]
	}
	return "integrity(" + strconv.Itoa(int(i)) + ")"
}

// ICVLen is the length of the integrity check value the algorithm appends.
func (i Integrity) ICVLen() int {
	switch i {
	case IntegrityHMACMD596, IntegrityHMACSHA196, IntegrityHMACSHA25696, IntegrityAny96:
		return 12
	case IntegrityHMACSHA256128, IntegrityAny128:
		return 16
	case IntegrityHMACSHA384192, IntegrityAny192:
		return 24
	case IntegrityHMACSHA512256, IntegrityAny256:
		return 32
	case IntegrityAny64:
		return 8
	}
	return 0
}

// Checked reports whether the algorithm's ICV can be verified.
func (i Integrity) Checked() bool { return i.hash() != nil }

// hash returns the HMAC's hash function; nil when there is no HMAC.
func (i Integrity) hash() func() hash.Hash {
	switch i {
	case IntegrityHMACMD596:
		return md5.New
	case IntegrityHMACSHA196:
		return sha1.New
	case IntegrityHMACSHA256128, IntegrityHMACSHA25696:
		return sha256.New
	case IntegrityHMACSHA384192:
		return sha512.New384
	case IntegrityHMACSHA512256:
		return sha512.New
	}
	return nil
}

// keyLen is the key length the HMAC is used with (its output length, RFC
// 2104 §3, RFC 4868 §2.1.1); 0 when no key is needed.
func (i Integrity) keyLen() int {
	switch i {
	case IntegrityHMACMD596:
		return 16
	case IntegrityHMACSHA196:
		return 20
	case IntegrityHMACSHA256128, IntegrityHMACSHA25696:
		return 32
	case IntegrityHMACSHA384192:
		return 48
	case IntegrityHMACSHA512256:
		return 64
	}
	return 0
}

// wiresharkIKEv2Cipher is one name of Wireshark's IKEv2 decryption table's
// encryption column (epan/dissectors/packet-isakmp.c), with the cipher and
// the AES key length in bytes it stands for.
type wiresharkIKEv2Cipher struct {
	name   string
	cipher Cipher
	aesLen int // key length without salt; 24 for 3DES, 0 for NULL
}

var wiresharkIKEv2Ciphers = []wiresharkIKEv2Cipher{
	{"NULL [RFC2410]", CipherNull, 0},
	{"3DES [RFC2451]", CipherDES3CBC, 24},
	{"AES-CBC-128 [RFC3602]", CipherAESCBC, 16},
	{"AES-CBC-192 [RFC3602]", CipherAESCBC, 24},
	{"AES-CBC-256 [RFC3602]", CipherAESCBC, 32},
	{"AES-CTR-128 [RFC5930]", CipherAESCTR, 16},
	{"AES-CTR-192 [RFC5930]", CipherAESCTR, 24},
	{"AES-CTR-256 [RFC5930]", CipherAESCTR, 32},
	{"AES-GCM-128 with 8 octet ICV [RFC5282]", CipherAESGCM8, 16},
	{"AES-GCM-192 with 8 octet ICV [RFC5282]", CipherAESGCM8, 24},
	{"AES-GCM-256 with 8 octet ICV [RFC5282]", CipherAESGCM8, 32},
	{"AES-GCM-128 with 12 octet ICV [RFC5282]", CipherAESGCM12, 16},
	{"AES-GCM-192 with 12 octet ICV [RFC5282]", CipherAESGCM12, 24},
	{"AES-GCM-256 with 12 octet ICV [RFC5282]", CipherAESGCM12, 32},
	{"AES-GCM-128 with 16 octet ICV [RFC5282]", CipherAESGCM16, 16},
	{"AES-GCM-192 with 16 octet ICV [RFC5282]", CipherAESGCM16, 24},
	{"AES-GCM-256 with 16 octet ICV [RFC5282]", CipherAESGCM16, 32},
}

// wiresharkIKEv2Unsupported are names Wireshark knows and vpnpcap does not
// decrypt with.
var wiresharkIKEv2Unsupported = []string{
	"AES-CCM-128 with 8 octet ICV [RFC5282]", "AES-CCM-192 with 8 octet ICV [RFC5282]",
	"AES-CCM-256 with 8 octet ICV [RFC5282]", "AES-CCM-128 with 12 octet ICV [RFC5282]",
	"AES-CCM-192 with 12 octet ICV [RFC5282]", "AES-CCM-256 with 12 octet ICV [RFC5282]",
	"AES-CCM-128 with 16 octet ICV [RFC5282]", "AES-CCM-192 with 16 octet ICV [RFC5282]",
	"AES-CCM-256 with 16 octet ICV [RFC5282]", "HMAC_MD5_128 [RFC4595]", "HMAC_SHA1_160 [RFC4595]",
}

var wiresharkIKEv2Integrity = map[string]Integrity{
	"NONE [RFC4306]":                                      IntegrityNone,
	"HMAC_MD5_96 [RFC2403]":                               IntegrityHMACMD596,
	"HMAC_SHA1_96 [RFC2404]":                              IntegrityHMACSHA196,
	"HMAC_SHA2_256_128 [RFC4868]":                         IntegrityHMACSHA256128,
	"HMAC_SHA2_384_192 [RFC4868]":                         IntegrityHMACSHA384192,
	"HMAC_SHA2_512_256 [RFC4868]":                         IntegrityHMACSHA512256,
	"HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]": IntegrityHMACSHA25696,
}

// wiresharkESPCiphers maps the encryption column of Wireshark's esp_sa
// table (epan/dissectors/packet-esp.c). "AES-GCM [RFC4106]", which
// strongSwan's save-keys writes, takes its ICV length from the
// authentication column ("ANY n bit authentication"); it is CipherAESGCM16
// here until that column says otherwise.
var wiresharkESPCiphers = map[string]Cipher{
	"NULL":                                CipherNull,
	"TripleDES-CBC [RFC2451]":             CipherDES3CBC,
	"AES-CBC [RFC3602]":                   CipherAESCBC,
	"AES-CTR [RFC3686]":                   CipherAESCTR,
	"AES-GCM with 8 octet ICV [RFC4106]":  CipherAESGCM8,
	"AES-GCM with 12 octet ICV [RFC4106]": CipherAESGCM12,
	"AES-GCM with 16 octet ICV [RFC4106]": CipherAESGCM16,
	"AES-GCM [RFC4106]":                   CipherAESGCM16,
}

var wiresharkESPUnsupported = []string{
	"DES-CBC [RFC2405]", "CAST5-CBC [RFC2144]", "BLOWFISH-CBC [RFC2451]", "TWOFISH-CBC",
	"MAC-RIPEMD-160-96 [RFC2857]",
}

var wiresharkESPIntegrity = map[string]Integrity{
	"NULL":                    IntegrityNone,
	"HMAC-SHA-1-96 [RFC2404]": IntegrityHMACSHA196,
	"HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]": IntegrityHMACSHA25696,
	"HMAC-SHA-256-128 [RFC4868]":                         IntegrityHMACSHA256128,
	"HMAC-SHA-384-192 [RFC4868]":                         IntegrityHMACSHA384192,
	"HMAC-SHA-512-256 [RFC4868]":                         IntegrityHMACSHA512256,
	"HMAC-MD5-96 [RFC2403]":                              IntegrityHMACMD596,
	"ANY 64 bit authentication [no checking]":            IntegrityAny64,
	"ANY 96 bit authentication [no checking]":            IntegrityAny96,
	"ANY 128 bit authentication [no checking]":           IntegrityAny128,
	"ANY 192 bit authentication [no checking]":           IntegrityAny192,
	"ANY 256 bit authentication [no checking]":           IntegrityAny256,
}

// wiresharkIKEv2CipherName is the name Wireshark's IKEv2 table gives the
// cipher with keyLen bytes of key material; "" when it has none.
func wiresharkIKEv2CipherName(c Cipher, keyLen int) string {
	for _, w := range wiresharkIKEv2Ciphers {
		if w.cipher == c && w.aesLen+c.saltLen() == keyLen {
			return w.name
		}
	}
	return ""
}

// wiresharkIntegrityName is the name of the integrity algorithm in
// Wireshark's IKEv2 table or (esp) its ESP table.
func wiresharkIntegrityName(i Integrity, esp bool) string {
	m := wiresharkIKEv2Integrity
	if esp {
		m = wiresharkESPIntegrity
	}
	for name, v := range m {
		if v == i {
			return name
		}
	}
	return ""
}

// wiresharkESPCipherName is the name of the cipher in Wireshark's ESP table.
// AES-GCM is written with its ICV length, which Wireshark 4.0 reads with
// "NULL" authentication.
func wiresharkESPCipherName(c Cipher) string {
	switch c {
	case CipherNull:
		return "NULL"
	case CipherDES3CBC:
		return "TripleDES-CBC [RFC2451]"
	case CipherAESCBC:
		return "AES-CBC [RFC3602]"
	case CipherAESCTR:
		return "AES-CTR [RFC3686]"
	case CipherAESGCM8:
		return "AES-GCM with 8 octet ICV [RFC4106]"
	case CipherAESGCM12:
		return "AES-GCM with 12 octet ICV [RFC4106]"
	case CipherAESGCM16:
		return "AES-GCM with 16 octet ICV [RFC4106]"
	}
	return ""
}
