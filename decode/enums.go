package decode

// This file and enums_message.go and enums_notify.go hold the IKE
// registries: exchange types, payload types, notify message types,
// protocol identifiers, transform types, transform IDs and attributes, and
// ID types, with their names. Names follow Wireshark's spelling where Wireshark has one (so that
// output can be compared with tshark field by field) and the IANA registries
// ("Internet Key Exchange Version 2 (IKEv2) Parameters", "Internet Security
// Association and Key Management Protocol (ISAKMP) Identifiers") otherwise.
// Every String method falls back to the number, so an unknown value is still
// shown and never mistaken for a known one.

// ProtocolID is a protocol identifier in proposals, notifies and deletes
// (RFC 2407 §4.4.1, RFC 7296 §3.3.1). IKEv1 and IKEv2 agree on 1–3 (the IKE
// SA, AH, ESP) but name them differently; see [ProtocolID.Name].
type ProtocolID uint8

// Protocol identifiers.
const (
	ProtocolIDReserved           ProtocolID = 0
	ProtocolIDIKE                ProtocolID = 1 // IKEv2 IKE; IKEv1 PROTO_ISAKMP
	ProtocolIDAH                 ProtocolID = 2 // IKEv2 AH; IKEv1 PROTO_IPSEC_AH
	ProtocolIDESP                ProtocolID = 3 // IKEv2 ESP; IKEv1 PROTO_IPSEC_ESP
	ProtocolIDIPCOMP             ProtocolID = 4 // IKEv1 only (RFC 2407 §4.4.1); IKEv2 FC_ESP_HEADER
	ProtocolIDGigabeamRadio      ProtocolID = 5 // IKEv1 (RFC 4705); IKEv2 FC_CT_AUTHENTICATION
	ProtocolIDGIKEUpdate         ProtocolID = 6 // IKEv2, G-IKEv2
	ProtocolIDISAKMP                        = ProtocolIDIKE
	ProtocolIDFCESPHeader                   = ProtocolIDIPCOMP
	ProtocolIDFCCTAuthentication            = ProtocolIDGigabeamRadio
)

var protocolIDNamesV2 = [...]string{"RESERVED", "IKE", "AH", "ESP", "FC_ESP_HEADER", "FC_CT_AUTHENTICATION", "GIKE_UPDATE"}
var protocolIDNamesV1 = [...]string{"RESERVED", "ISAKMP", "IPSEC_AH", "IPSEC_ESP", "IPCOMP", "GIGABEAM_RADIO"}

// String returns the IKEv2 name of the protocol ("IKE", "AH", "ESP"…) or the
// number. Use [ProtocolID.Name] for the IKEv1 spelling.
func (p ProtocolID) String() string { return p.Name(2) }

// Name returns the protocol's name in the given IKE major version's registry
// ("ISAKMP", "IPSEC_ESP" for IKEv1; "IKE", "ESP" for IKEv2), or the number.
func (p ProtocolID) Name(version uint8) string {
	if version == 1 {
		if int(p) < len(protocolIDNamesV1) {
			return protocolIDNamesV1[p]
		}
	} else if int(p) < len(protocolIDNamesV2) {
		return protocolIDNamesV2[p]
	}
	return itoa(int(p))
}

// TransformType is an IKEv2 transform type (RFC 7296 §3.3.2, RFC 9370 for
// the additional key exchanges, G-IKEv2 for 13 and 14). IKEv1 transforms have
// no type; their Transform.Type is 0.
type TransformType uint8

// IKEv2 transform types.
const (
	TransformTypeENCR   TransformType = 1  // encryption algorithm
	TransformTypePRF    TransformType = 2  // pseudorandom function
	TransformTypeINTEG  TransformType = 3  // integrity algorithm
	TransformTypeKE     TransformType = 4  // key exchange method (Diffie-Hellman group)
	TransformTypeESN    TransformType = 5  // (extended) sequence numbers
	TransformTypeADDKE1 TransformType = 6  // RFC 9370 additional key exchange 1
	TransformTypeADDKE2 TransformType = 7  // RFC 9370
	TransformTypeADDKE3 TransformType = 8  // RFC 9370
	TransformTypeADDKE4 TransformType = 9  // RFC 9370
	TransformTypeADDKE5 TransformType = 10 // RFC 9370
	TransformTypeADDKE6 TransformType = 11 // RFC 9370
	TransformTypeADDKE7 TransformType = 12 // RFC 9370
	TransformTypeKWA    TransformType = 13 // key wrap algorithm (G-IKEv2)
	TransformTypeGCAUTH TransformType = 14 // group controller authentication method (G-IKEv2)
	TransformTypeDH                   = TransformTypeKE
)

var transformTypeNames = [...]string{
	0:                   "RESERVED",
	TransformTypeENCR:   "Encryption Algorithm (ENCR)",
	TransformTypePRF:    "Pseudo-random Function (PRF)",
	TransformTypeINTEG:  "Integrity Algorithm (INTEG)",
	TransformTypeKE:     "Diffie-Hellman Group (D-H)",
	TransformTypeESN:    "Extended Sequence Numbers (ESN)",
	TransformTypeADDKE1: "Additional Key Exchange 1 (ADDKE1)",
	TransformTypeADDKE2: "Additional Key Exchange 2 (ADDKE2)",
	TransformTypeADDKE3: "Additional Key Exchange 3 (ADDKE3)",
	TransformTypeADDKE4: "Additional Key Exchange 4 (ADDKE4)",
	TransformTypeADDKE5: "Additional Key Exchange 5 (ADDKE5)",
	TransformTypeADDKE6: "Additional Key Exchange 6 (ADDKE6)",
	TransformTypeADDKE7: "Additional Key Exchange 7 (ADDKE7)",
	TransformTypeKWA:    "Key Wrap Algorithm (KWA)",
	TransformTypeGCAUTH: "Group Controller Authentication Method (GCAUTH)",
}

// String returns the transform type's name as Wireshark shows it, such as
// "Encryption Algorithm (ENCR)", or its number.
func (t TransformType) String() string {
	if int(t) < len(transformTypeNames) {
		return transformTypeNames[t]
	}
	return itoa(int(t))
}

// Names of transform IDs and SA attributes. IKEv1 names transforms per
// protocol (RFC 2407 §4.4) and puts the algorithms in attributes whose
// meaning depends on the protocol (RFC 2409 Appendix A for ISAKMP, RFC 2407
// §4.5 for AH, ESP and IPCOMP); IKEv2 names transforms per transform type
// (RFC 7296 §3.3.2) and has one attribute, Key Length (RFC 7296 §3.3.5).

var ikev2TransformIDNames = map[TransformType]map[uint16]string{
	TransformTypeENCR: {
		1: "ENCR_DES_IV64", 2: "ENCR_DES", 3: "ENCR_3DES", 4: "ENCR_RC5", 5: "ENCR_IDEA", 6: "ENCR_CAST",
		7: "ENCR_BLOWFISH", 8: "ENCR_3IDEA", 9: "ENCR_DES_IV32", 11: "ENCR_NULL", 12: "ENCR_AES_CBC",
		13: "ENCR_AES_CTR", 14: "ENCR_AES-CCM_8", 15: "ENCR-AES-CCM_12", 16: "ENCR-AES-CCM_16",
		18: "AES-GCM with a 8 octet ICV", 19: "AES-GCM with a 12 octet ICV", 20: "AES-GCM with a 16 octet ICV",
		21: "ENCR_NULL_AUTH_AES_GMAC", 23: "ENCR_CAMELLIA_CBC", 24: "ENCR_CAMELLIA_CTR",
		25: "ENCR_CAMELLIA_CCM with an 8-octet ICV", 26: "ENCR_CAMELLIA_CCM with a 12-octet ICV",
		27: "ENCR_CAMELLIA_CCM with a 16-octet ICV", 28: "ENCR_CHACHA20_POLY1305",
		29: "ENCR_AES_CCM_8_IIV", 30: "ENCR_AES_GCM_16_IIV", 31: "ENCR_CHACHA20_POLY1305_IIV",
		32: "ENCR_KUZNYECHIK_MGM_KTREE", 33: "ENCR_MAGMA_MGM_KTREE", 34: "ENCR_KUZNYECHIK_MGM_MAC_KTREE",
		35: "ENCR_MAGMA_MGM_MAC_KTREE",
	},
	TransformTypePRF: {
		1: "PRF_HMAC_MD5", 2: "PRF_HMAC_SHA1", 3: "PRF_HMAC_TIGER", 4: "PRF_AES128_CBC", 5: "PRF_HMAC_SHA2_256",
		6: "PRF_HMAC_SHA2_384", 7: "PRF_HMAC_SHA2_512", 8: "PRF_AES128_CMAC6", 9: "PRF_HMAC_STREEBOG_512",
	},
	TransformTypeINTEG: {
		0: "NONE", 1: "AUTH_HMAC_MD5_96", 2: "AUTH_HMAC_SHA1_96", 3: "AUTH_DES_MAC", 4: "AUTH_KPDK_MD5",
		5: "AUTH_AES_XCBC_96", 6: "AUTH_HMAC_MD5_128", 7: "AUTH_HMAC_SHA1_160", 8: "AUTH_AES_CMAC_96",
		9: "AUTH_AES_128_GMAC", 10: "AUTH_AES_192_GMAC", 11: "AUTH_AES_256_GMAC", 12: "AUTH_HMAC_SHA2_256_128",
		13: "AUTH_HMAC_SHA2_384_192", 14: "AUTH_HMAC_SHA2_512_256",
	},
	TransformTypeESN: {0: "No Extended Sequence Numbers", 1: "Extended Sequence Numbers"},
}

// groupNames names Diffie-Hellman groups and key exchange methods: the IKEv1
// Group Description attribute (RFC 2409 §6, RFC 3526, RFC 5903…) and the
// IKEv2 KE transform IDs (RFC 7296 §3.3.2, RFC 9370 for ML-KEM), which share
// one registry.
var groupNames = map[uint16]string{
	0: "NONE", 1: "Default 768-bit MODP group", 2: "Alternate 1024-bit MODP group",
	3: "EC2N group on GP[2^155] group", 4: "EC2N group on GP[2^185] group", 5: "1536 bit MODP group",
	6: "EC2N group over GF[2^163]", 7: "EC2N group over GF[2^163]", 8: "EC2N group over GF[2^283]",
	9: "EC2N group over GF[2^283]", 10: "EC2N group over GF[2^409]", 11: "EC2N group over GF[2^409]",
	12: "EC2N group over GF[2^571]", 13: "EC2N group over GF[2^571]", 14: "2048 bit MODP group",
	15: "3072 bit MODP group", 16: "4096 bit MODP group", 17: "6144 bit MODP group", 18: "8192 bit MODP group",
	19: "256-bit random ECP group", 20: "384-bit random ECP group", 21: "521-bit random ECP group",
	22: "1024-bit MODP Group with 160-bit Prime Order Subgroup", 23: "2048-bit MODP Group with 224-bit Prime Order Subgroup",
	24: "2048-bit MODP Group with 256-bit Prime Order Subgroup", 25: "192-bit Random ECP Group",
	26: "224-bit Random ECP Group", 27: "224-bit Brainpool ECP group", 28: "256-bit Brainpool ECP group",
	29: "384-bit Brainpool ECP group", 30: "512-bit Brainpool ECP group", 31: "Curve25519", 32: "Curve448",
	33: "GOST3410_2012_256", 34: "GOST3410_2012_512", 35: "ML-KEM-512", 36: "ML-KEM-768", 37: "ML-KEM-1024",
}

var ikev1TransformIDNames = map[ProtocolID]map[uint16]string{
	ProtocolIDISAKMP: {1: "KEY_IKE"},
	ProtocolIDAH: {2: "AH_MD5", 3: "AH_SHA", 4: "AH_DES", 5: "AH_SHA2-256", 6: "AH_SHA2-384", 7: "AH_SHA2-512",
		8: "AH_RIPEMD", 9: "AH_AES-XCBC-MAC", 10: "AH_RSA", 11: "AH_AES-128-GMAC", 12: "AH_AES-192-GMAC", 13: "AH_AES-256-GMAC"},
	ProtocolIDESP: {1: "ESP_DES_IV64", 2: "ESP_DES", 3: "ESP_3DES", 4: "ESP_RC5", 5: "ESP_IDEA", 6: "ESP_CAST",
		7: "ESP_BLOWFISH", 8: "ESP_3IDEA", 9: "ESP_DES_IV32", 10: "ESP_RC4", 11: "ESP_NULL", 12: "ESP_AES-CBC",
		13: "ESP_AES-CTR", 14: "ESP_AES-CCM_8", 15: "ESP_AES-CCM_12", 16: "ESP_AES-CCM_16", 18: "ESP_AES-GCM_8",
		19: "ESP_AES-GCM_12", 20: "ESP_AES-GCM_16", 21: "ESP_SEED_CBC", 22: "ESP_CAMELLIA", 23: "ESP_NULL_AUTH_AES-GMAC"},
	ProtocolIDIPCOMP: {1: "IPCOMP_OUI", 2: "IPCOMP_DEFLATE", 3: "IPCOMP_LZS", 4: "IPCOMP_LZJH"},
}

// TransformIDName returns the name of a transform ID: for IKEv1 per
// protocol (KEY_IKE, ESP_AES-CBC… RFC 2407 §4.4), for IKEv2 per transform
// type (ENCR_AES_CBC, PRF_HMAC_SHA2_256, a key exchange method…; RFC 7296
// §3.3.2). It returns the number when the registry has no name.
func TransformIDName(version uint8, proto ProtocolID, t TransformType, id uint16) string {
	var names map[uint16]string
	switch {
	case version == 1:
		names = ikev1TransformIDNames[proto]
	case t == TransformTypeKE || (t >= TransformTypeADDKE1 && t <= TransformTypeADDKE7):
		names = groupNames
	default:
		names = ikev2TransformIDNames[t]
	}
	if s, ok := names[id]; ok {
		return s
	}
	return itoa(int(id))
}

// IKEv1 attribute types for ISAKMP (Phase 1) proposals, RFC 2409 Appendix A.
var ikev1IKEAttrNames = map[uint16]string{
	1: "Encryption-Algorithm", 2: "Hash-Algorithm", 3: "Authentication-Method", 4: "Group-Description",
	5: "Group-Type", 6: "Group-Prime", 7: "Group-Generator-One", 8: "Group-Generator-Two", 9: "Group-Curve-A",
	10: "Group-Curve-B", 11: "Life-Type", 12: "Life-Duration", 13: "PRF", 14: "Key-Length", 15: "Field-Size",
	16: "Group-Order", 17: "Block-Size", 20: "Asymmetric-Cryptographic-Algorithm-Type",
}

// IKEv1 attribute types for IPsec (Phase 2) proposals, RFC 2407 §4.5.
var ikev1IPsecAttrNames = map[uint16]string{
	1: "SA-Life-Type", 2: "SA-Life-Duration", 3: "Group-Description", 4: "Encapsulation-Mode",
	5: "Authentication-Algorithm", 6: "Key-Length", 7: "Key-Rounds", 8: "Compress-Dictionary-Size",
	9: "Compress-Private-Algorithm", 10: "ECN Tunnel", 11: "Extended (64-bit) Sequence Number",
	12: "Authentication Key Length", 13: "Signature Encoding Algorithm", 14: "Address Preservation", 15: "SA Direction",
}

// The IKEv1 attributes whose values are enumerated, and their values.
var (
	ikev1IKEAttrValues = map[uint16]map[uint64]string{
		1: {1: "DES-CBC", 2: "IDEA-CBC", 3: "BLOWFISH-CBC", 4: "RC5-R16-B64-CBC", 5: "3DES-CBC", 6: "CAST-CBC", 7: "AES-CBC", 8: "CAMELLIA-CBC",
			127: "SM4-CBC (DEPRECATED)", 128: "SM1-CBC", 129: "SM4-CBC"},
		2: {1: "MD5", 2: "SHA", 3: "TIGER", 4: "SHA2-256", 5: "SHA2-384", 6: "SHA2-512", 20: "SM3"},
		3: {1: "Pre-shared key", 2: "DSS signatures", 3: "RSA signatures", 4: "Encryption with RSA",
			5: "Revised encryption with RSA", 9: "ECDSA with SHA-256 on the P-256 curve",
			10: "ECDSA with SHA-384 on the P-384 curve", 11: "ECDSA with SHA-512 on the P-521 curve",
			64221: "HybridInitRSA", 64222: "HybridRespRSA", 64223: "HybridInitDSS", 64224: "HybridRespDSS",
			65001: "XAUTHInitPreShared", 65002: "XAUTHRespPreShared", 65003: "XAUTHInitDSS", 65004: "XAUTHRespDSS",
			65005: "XAUTHInitRSA", 65006: "XAUTHRespRSA", 65007: "XAUTHInitRSAEncryption",
			65008: "XAUTHRespRSAEncryption", 65009: "XAUTHInitRSARevisedEncryption", 65010: "XAUTHRespRSARevisedEncryption"},
		5:  {1: "MODP", 2: "ECP", 3: "EC2N"},
		11: {1: "Seconds", 2: "Kilobytes"},
	}
	ikev1IPsecAttrValues = map[uint16]map[uint64]string{
		1: {1: "Seconds", 2: "Kilobytes"},
		4: {1: "Tunnel", 2: "Transport", 3: "UDP-Encapsulated-Tunnel", 4: "UDP-Encapsulated-Transport",
			61440: "Check Point IPSec UDP Encapsulation", 61443: "UDP-Encapsulated-Tunnel (draft)",
			61444: "UDP-Encapsulated-Transport (draft)"},
		5: {1: "HMAC-MD5", 2: "HMAC-SHA", 3: "DES-MAC", 4: "KPDK", 5: "HMAC-SHA2-256", 6: "HMAC-SHA2-384",
			7: "HMAC-SHA2-512", 8: "HMAC-RIPEMD", 9: "AES-XCBC-MAC", 10: "SIG-RSA", 11: "AES-128-GMAC",
			12: "AES-192-GMAC", 13: "AES-256-GMAC"},
		10: {1: "Allowed", 2: "Forbidden"},
		11: {1: "64-bit Sequence Number"},
	}
)

// IKEv1 IPsec DOI Encapsulation Mode values (RFC 2407 §4.5, RFC 3947 §5.1
// and the values of the NAT-T drafts, which real devices still send).
const (
	EncapsulationModeTunnel              = 1
	EncapsulationModeTransport           = 2
	EncapsulationModeUDPTunnel           = 3
	EncapsulationModeUDPTransport        = 4
	EncapsulationModeUDPTunnelDraft      = 61443
	EncapsulationModeUDPTransportDraft   = 61444
	EncapsulationModeCheckPointUDPEncaps = 61440
)

// AttributeName returns the name of an SA attribute type: IKEv1 ISAKMP
// (Phase 1) attributes (RFC 2409 Appendix A) when proto is ISAKMP, IKEv1
// IPsec attributes (RFC 2407 §4.5) otherwise, IKEv2 transform attributes
// (RFC 7296 §3.3.5: Key Length) for version 2. It returns the number when
// the registry has no name.
func AttributeName(version uint8, proto ProtocolID, attr uint16) string {
	var s string
	switch {
	case version != 1:
		if attr == 14 {
			s = "Key Length"
		}
	case proto == ProtocolIDISAKMP:
		s = ikev1IKEAttrNames[attr]
	default:
		s = ikev1IPsecAttrNames[attr]
	}
	if s == "" {
		return itoa(int(attr))
	}
	return s
}

// AttributeValueName returns the name of an enumerated IKEv1 attribute value
// (encryption and hash algorithms, authentication methods, groups, life
// types, encapsulation modes, authentication algorithms…), or the number for
// an attribute whose values are quantities (durations, key lengths) or a
// value the registry does not name.
func AttributeValueName(version uint8, proto ProtocolID, attr uint16, v uint64) string {
	if version == 1 {
		if (proto == ProtocolIDISAKMP && attr == 4) || (proto != ProtocolIDISAKMP && attr == 3) {
			if s, ok := groupNames[uint16(v)]; ok && v <= 0xffff {
				return s
			}
		}
		values := ikev1IPsecAttrValues
		if proto == ProtocolIDISAKMP {
			values = ikev1IKEAttrValues
		}
		if s, ok := values[attr][v]; ok {
			return s
		}
	}
	if v > 1<<62 {
		return "0x" + hexString(v)
	}
	return itoa(int(v))
}

func hexString(v uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b[:])
}

// ID types (RFC 2407 §4.6.2.1 for IKEv1, RFC 7296 §3.5 for IKEv2).
var (
	idTypeNamesV1 = map[uint8]string{1: "IPV4_ADDR", 2: "FQDN", 3: "USER_FQDN", 4: "IPV4_ADDR_SUBNET", 5: "IPV6_ADDR",
		6: "IPV6_ADDR_SUBNET", 7: "IPV4_ADDR_RANGE", 8: "IPV6_ADDR_RANGE", 9: "DER_ASN1_DN", 10: "DER_ASN1_GN",
		11: "KEY_ID", 12: "LIST"}
	idTypeNamesV2 = map[uint8]string{1: "IPV4_ADDR", 2: "FQDN", 3: "RFC822_ADDR", 5: "IPV6_ADDR", 9: "DER_ASN1_DN",
		10: "DER_ASN1_GN", 11: "KEY_ID", 12: "FC_NAME", 13: "NULL"}
)

// IDTypeName returns the name of an identification type in the given IKE
// version's registry, such as "FQDN" or "IPV4_ADDR", or the number.
func IDTypeName(version uint8, t uint8) string {
	names := idTypeNamesV2
	if version == 1 {
		names = idTypeNamesV1
	}
	if s, ok := names[t]; ok {
		return s
	}
	return itoa(int(t))
}

// Certificate encodings of CERT and CERTREQ payloads (RFC 2408 §3.9,
// RFC 7296 §3.6), as the IANA registries name them.
var certEncodingNames = map[uint8]string{
	1: "PKCS #7 wrapped X.509 certificate", 2: "PGP Certificate", 3: "DNS Signed Key",
	4: "X.509 Certificate - Signature", 5: "X.509 Certificate - Key Exchange", 6: "Kerberos Tokens",
	7: "Certificate Revocation List (CRL)", 8: "Authority Revocation List (ARL)", 9: "SPKI Certificate",
	10: "X.509 Certificate - Attribute", 11: "Raw RSA Key", 12: "Hash and URL of X.509 certificate",
	13: "Hash and URL of X.509 bundle", 14: "OCSP Content", 15: "Raw Public Key",
}

// CertEncodingName names a certificate encoding, such as "X.509
// Certificate - Signature", or returns its number.
func CertEncodingName(e uint8) string {
	if s, ok := certEncodingNames[e]; ok {
		return s
	}
	return itoa(int(e))
}

// IKEv2 authentication methods (RFC 7296 §3.8, RFC 4754, RFC 6467,
// RFC 7619, RFC 7427).
var authMethodNames = map[uint8]string{
	1: "RSA Digital Signature", 2: "Shared Key Message Integrity Code", 3: "DSS Digital Signature",
	9: "ECDSA with SHA-256 on the P-256 curve", 10: "ECDSA with SHA-384 on the P-384 curve",
	11: "ECDSA with SHA-512 on the P-521 curve", 12: "Generic Secure Password Authentication Method",
	13: "NULL Authentication", 14: "Digital Signature",
}

// AuthMethodName names an IKEv2 authentication method, such as "Shared Key
// Message Integrity Code", or returns its number.
func AuthMethodName(m uint8) string {
	if s, ok := authMethodNames[m]; ok {
		return s
	}
	return itoa(int(m))
}

// ConfigTypeName names the type of a configuration payload (IKEv2 CP,
// RFC 7296 §3.15; IKEv1 Attributes, draft-ietf-ipsec-isakmp-mode-cfg-05
// §3.2, which numbers them alike), or returns its number.
func ConfigTypeName(t uint8) string {
	switch t {
	case 1:
		return "CFG_REQUEST"
	case 2:
		return "CFG_REPLY"
	case 3:
		return "CFG_SET"
	case 4:
		return "CFG_ACK"
	}
	return itoa(int(t))
}

// EAPCodeName names an EAP code (RFC 3748 §4), or returns its number.
func EAPCodeName(c uint8) string {
	switch c {
	case 1:
		return "Request"
	case 2:
		return "Response"
	case 3:
		return "Success"
	case 4:
		return "Failure"
	}
	return itoa(int(c))
}

// Configuration attribute types (RFC 7296 §3.15.1, RFC 8598; for IKEv1
// draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2, which numbers the shared ones
// alike, and the XAUTH attributes of draft-beaulieu-ike-xauth-02 §6.1).
var configAttributeNames = map[uint16]string{
	1: "INTERNAL_IP4_ADDRESS", 2: "INTERNAL_IP4_NETMASK", 3: "INTERNAL_IP4_DNS", 4: "INTERNAL_IP4_NBNS",
	5: "INTERNAL_ADDRESS_EXPIRY", 6: "INTERNAL_IP4_DHCP", 7: "APPLICATION_VERSION", 8: "INTERNAL_IP6_ADDRESS",
	9: "INTERNAL_IP6_NETMASK", 10: "INTERNAL_IP6_DNS", 11: "INTERNAL_IP6_NBNS", 12: "INTERNAL_IP6_DHCP",
	13: "INTERNAL_IP4_SUBNET", 14: "SUPPORTED_ATTRIBUTES", 15: "INTERNAL_IP6_SUBNET", 25: "INTERNAL_DNS_DOMAIN",
}

var xauthAttributeNames = map[uint16]string{
	16520: "XAUTH_TYPE", 16521: "XAUTH_USER_NAME", 16522: "XAUTH_USER_PASSWORD", 16523: "XAUTH_PASSCODE",
	16524: "XAUTH_MESSAGE", 16525: "XAUTH_CHALLENGE", 16526: "XAUTH_DOMAIN", 16527: "XAUTH_STATUS",
	16528: "XAUTH_NEXT_PIN", 16529: "XAUTH_ANSWER",
}

// ConfigAttributeName names a configuration attribute type of the given
// IKE version, such as "INTERNAL_IP4_ADDRESS", or returns its number.
func ConfigAttributeName(version uint8, t uint16) string {
	if s, ok := configAttributeNames[t]; ok && (version == 2 || t <= 15) {
		return s
	}
	if s, ok := xauthAttributeNames[t]; ok && version == 1 {
		return s
	}
	return itoa(int(t))
}
