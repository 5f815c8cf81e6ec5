package decode

import (
	"crypto/md5"
	"encoding/hex"
	"testing"
)

// TestVendorIDTableHashes checks every table value documented as an MD5
// hash against its source string, and that every value is valid hex with a
// name.
func TestVendorIDTableHashes(t *testing.T) {
	for _, e := range vendorIDEntries {
		b, err := hex.DecodeString(e.hex)
		if err != nil || len(b) == 0 || e.name == "" {
			t.Errorf("entry %q %q: bad value or no name (%v)", e.hex, e.name, err)
			continue
		}
		if e.md5 != "" {
			sum := md5.Sum([]byte(e.md5))
			if got := hex.EncodeToString(sum[:]); got != e.hex {
				t.Errorf("entry %q: MD5(%q) = %s, table has %s", e.name, e.md5, got, e.hex)
			}
		}
	}
}

// TestVendorIDName checks exact and prefix matches with values seen in the
// public captures (the names are tshark's where tshark knows the value).
func TestVendorIDName(t *testing.T) {
	tests := []struct {
		hex  string
		want string
	}{
		{"4a131c81070358455c5728f20e95452f", "RFC 3947 Negotiation of NAT-Traversal in the IKE"},
		{"90cb80913ebb696e086381b5ec427b1f", `draft-ietf-ipsec-nat-t-ike-02\n`},
		{"cd60464335df21f87cfdb2fc68b6a448", "draft-ietf-ipsec-nat-t-ike-02"},
		{"7d9419a65310ca6f2c179d9215529d56", "draft-ietf-ipsec-nat-t-ike-03"},
		{"4485152d18b6bbcd0be8a8469579ddcc", "draft-ietf-ipsec-nat-t-ike-00"},
		{"27bab5dc01ea0760ea4e3190ac27c0d0", "draft-stenberg-ipsec-nat-traversal-01"},
		{"afcad71368a1f1c96b8696fc77570100", "RFC 3706 DPD (Dead Peer Detection)"},
		{"afcad71368a1f1c96b8696fc77570101", "RFC 3706 DPD (Dead Peer Detection)"},
		{"09002689dfd6b712", "XAUTH"},
		{"12f5f28c457168a9702d9fe274cc0100", "CISCO-UNITY"},
		{"4048b7d56ebce88525e7de7f00d6c2d3", "Cisco Fragmentation"},
		{"4048b7d56ebce88525e7de7f00d6c2d380000000", "Cisco Fragmentation"},
		{"4048b7d56ebce88525e7de7f00d6c2d3c0000000", "Cisco Fragmentation"},
		{"464c455856504e2d535550504f52544544", "Cisco FlexVPN Supported"},
		{"436f7079726967687420286329203230303920436973636f2053797374656d732c20496e632e", "Cisco Copyright (c) 2009"},
		{"1e2b516905991c7d7c96fcbfb587e46100000009", "MS NT5 ISAKMPOAKLEY (Windows 8 or later)"},
		{"1e2b516905991c7d7c96fcbfb587e4610000000a", "MS NT5 ISAKMPOAKLEY"},
		{"fb1de3cdf341b7ea16b7e5be0855f120", "MS-Negotiation Discovery Capable"},
		{"26244d38eddb61b3172a36e3d0cfb819", "Microsoft Vid-Initial-Contact"},
		{"01528bbbc00696121849ab9a1c5b2a5100000002", "Windows KEY_MODS (IKEv2)"},
		{"882fe56d6fd20dbc2251613b2ebe5beb", "strongSwan"},
		{"882fe56d6fd20dbc2251613b2ebe5beb352e392e3130", "strongSwan"},
		{"4f45706c75746f756e697430", "Openswan/FreeS/WAN"},                          // "OEplutounit0", Openswan unit tests
		{"4f454e", "Libreswan 3.0 - 3.5"},                                           // "OEN"
		{"4f452d4c696272657377616e2d352e30", "Libreswan"},                           // "OE-Libreswan-5.0"
		{"699369228741c6d4ca094c93e242c9de19e7b7c60000000500000500", "Netscreen-6"}, // arkime IKEv1.pcap
		{"8299031757a36082c6a621de00000000", "Fortigate (Fortinet)"},
		{"f4ed19e0c114eb516faaac0ee37daf2807b4381f000000010000138d0000000000000000", "Check Point"},
		{"404bf439522ca3f6", "SonicWall"},
		{"7003cbc1097dbe9c2600ba6983bc8b35", "KAME/racoon"},
		// Unknown values, including a truncated known one.
		{"11bdfe02d056587f2c18125972c32401", ""},
		{"4a131c81070358455c5728f20e9545", ""},
		{"4f45", ""}, // "OE" alone is not a FreeS/WAN ID: those are 12 octets
		{"", ""},
	}
	for _, tc := range tests {
		b, _ := hex.DecodeString(tc.hex)
		if got := VendorIDName(b); got != tc.want {
			t.Errorf("VendorIDName(%s) = %q, want %q", tc.hex, got, tc.want)
		}
	}
}

// TestVendorIDNameNoAllocs checks that naming a vendor ID, known or not,
// allocates nothing.
func TestVendorIDNameNoAllocs(t *testing.T) {
	known, unknown := unhex("4048b7d56ebce88525e7de7f00d6c2d380000000"), unhex("11bdfe02d056587f2c18125972c32401")
	if allocs := testing.AllocsPerRun(1000, func() { VendorIDName(known); VendorIDName(unknown) }); allocs != 0 {
		t.Errorf("VendorIDName allocated %v times, want 0", allocs)
	}
}
