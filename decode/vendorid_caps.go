package decode

import "strings"

// IsNATTVendorID reports whether a Vendor ID announces NAT traversal: the
// RFC 3947 value or one of the drafts before it (draft-ietf-ipsec-nat-t-ike
// 00–08, the stenberg and huttunen drafts, ESPThruNAT).
func IsNATTVendorID(data []byte) bool {
	name := VendorIDName(data)
	return strings.HasPrefix(name, "RFC 3947") ||
		strings.Contains(name, "nat-t") ||
		strings.Contains(name, "nat-traversal") ||
		strings.Contains(name, "esp-in-udp") ||
		name == "ESPThruNAT"
}

// IsRFC3947VendorID reports whether a Vendor ID is the RFC 3947 one, as
// opposed to a draft.
func IsRFC3947VendorID(data []byte) bool {
	return strings.HasPrefix(VendorIDName(data), "RFC 3947")
}

// IsFragmentationVendorID reports whether a Vendor ID announces IKEv1
// fragmentation support (Cisco's, also sent by strongSwan, libreswan and
// Windows).
func IsFragmentationVendorID(data []byte) bool {
	return strings.Contains(strings.ToLower(VendorIDName(data)), "fragmentation")
}
