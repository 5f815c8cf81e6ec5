package decode

import (
	"bufio"
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestEnumStringFallback(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{ExchangeTypeIKESAInit.String(), "IKE_SA_INIT"},
		{ExchangeTypeIdentityProtection.String(), "Identity Protection (Main Mode)"},
		{ExchangeTypeIKEIntermediate.String(), "IKE_INTERMEDIATE"},
		{ExchangeTypeIKEFollowupKE.String(), "IKE_FOLLOWUP_KE"},
		{ExchangeType(200).String(), "200"},
		{PayloadTypeNotify.String(), "Notify"},
		{PayloadTypeV1Notification.String(), "Notification"},
		{PayloadTypeSKF.String(), "Encrypted and Authenticated Fragment"},
		{PayloadType(99).String(), "99"},
		{NotifyTypeIKEv2FragmentationSupported.String(), "IKEV2_FRAGMENTATION_SUPPORTED"},
		{NotifyTypeV1RUThere.String(), "R-U-THERE"},
		{NotifyType(9999).String(), "9999"},
		{NotifyTypeNoProposalChosen.Name(1), "NO-PROPOSAL-CHOSEN"},
		{NotifyTypeNoProposalChosen.Name(2), "NO_PROPOSAL_CHOSEN"},
		{NotifyType(16384).Name(1), "CONNECTED"},
		{NotifyType(16384).Name(2), "INITIAL_CONTACT"},
		{NotifyTypeV1InitialContact.Name(1), "INITIAL-CONTACT"},
		{NotifyTypeV1InitialContact.Name(2), "24578"},
		{ProtocolIDESP.String(), "ESP"},
		{ProtocolIDESP.Name(1), "IPSEC_ESP"},
		{ProtocolID(9).String(), "9"},
		{TransformTypeINTEG.String(), "Integrity Algorithm (INTEG)"},
		{TransformType(99).String(), "99"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("String() = %q, want %q", tc.got, tc.want)
		}
	}
	if !NotifyTypeAuthenticationFailed.IsError() || NotifyTypeCookie.IsError() || NotifyType(0).IsError() {
		t.Errorf("IsError wrong for 24, 16390 or 0")
	}
	if !ExchangeTypeIKEAuth.IsIKEv2() || ExchangeTypeQuickMode.IsIKEv2() {
		t.Errorf("IsIKEv2 wrong for IKE_AUTH or Quick Mode")
	}
}

// tsharkNames reads the value strings tshark has for an ISAKMP field:
// lists[0] the first (IKEv1 where tshark has two), lists[1] the second,
// split where the values start again from a lower number. Ranges and
// generic names (reserved, unassigned, private use) are left out.
func tsharkNames(t *testing.T, out []byte, field string) [2]map[int]string {
	t.Helper()
	lists := [2]map[int]string{{}, {}}
	list, last := 0, -1
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 4 || f[1] != field {
			continue
		}
		lo, _ := strconv.Atoi(f[2])
		hi, name := lo, f[3]
		if f[0] == "R" && len(f) >= 5 {
			hi, _ = strconv.Atoi(f[3])
			name = f[4]
		}
		if lo < last && list == 0 {
			list = 1
		}
		last = lo
		name = strings.TrimSpace(name)
		generic := false
		for _, g := range []string{"Unassigned", "Private", "RESERVED", "Reserved", "Future", "<UNKNOWN>", "DOI-specific", "NONE", "UNASSIGNED", "UNDEFINED"} {
			generic = generic || strings.Contains(name, g)
		}
		if lo == hi && !generic {
			lists[list][lo] = name
		}
	}
	return lists
}

// TestNamesMatchTshark compares the names of exchange, payload, notify and
// transform types and protocol IDs with the tshark installed on the machine,
// for every number tshark names: vpnpcap's output must read like Wireshark's.
// Numbers tshark does not know (newer registrations) are not compared.
func TestNamesMatchTshark(t *testing.T) {
	if testing.Short() {
		t.Skip("tshark -G values takes seconds")
	}
	path, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	out, err := exec.Command(path, "-G", "values").Output()
	if err != nil {
		t.Skipf("tshark -G values: %v", err)
	}
	// tshark 4.0 names IKEv2 error 46 CHILD_SA_NOT_FOUND, a copy of 44; the
	// IANA registry has AUTHORIZATION_FAILED (G-IKEv2).
	tsharkWrong := map[string]bool{"IKEv2 notify type 46": true}
	check := func(what string, want map[int]string, got func(int) string) {
		if len(want) == 0 {
			t.Errorf("%s: tshark names none; field renamed?", what)
		}
		for n, name := range want {
			if g := got(n); g != name && !tsharkWrong[what+" "+strconv.Itoa(n)] {
				t.Errorf("%s %d: vpnpcap %q, tshark %q", what, n, g, name)
			}
		}
	}
	// One list: the IKEv1 and IKEv2 exchange types do not overlap.
	exch := tsharkNames(t, out, "isakmp.exchangetype")
	check("exchange type", exch[0], func(n int) string { return ExchangeType(n).String() })
	payloads := tsharkNames(t, out, "isakmp.nextpayload")
	check("payload type", payloads[0], func(n int) string { return PayloadType(n).String() })
	notify := tsharkNames(t, out, "isakmp.notify.msgtype")
	check("IKEv1 notify type", notify[0], func(n int) string { return NotifyType(n).Name(1) })
	check("IKEv2 notify type", notify[1], func(n int) string { return NotifyType(n).Name(2) })
	proto := tsharkNames(t, out, "isakmp.prop.protoid")
	check("IKEv1 protocol", proto[0], func(n int) string { return ProtocolID(n).Name(1) })
	check("IKEv2 protocol", proto[1], func(n int) string { return ProtocolID(n).Name(2) })
	tf := tsharkNames(t, out, "isakmp.tf.type")
	check("transform type", tf[0], func(n int) string { return TransformType(n).String() })
	for field, typ := range map[string]TransformType{"encr": TransformTypeENCR, "prf": TransformTypePRF,
		"integ": TransformTypeINTEG, "dh": TransformTypeKE, "esn": TransformTypeESN} {
		ids := tsharkNames(t, out, "isakmp.tf.id."+field)
		check("IKEv2 "+field+" ID", ids[0], func(n int) string { return TransformIDName(2, 0, typ, uint16(n)) })
	}
	check("IKEv1 IKE attribute", tsharkNames(t, out, "isakmp.ike.attr.type")[0],
		func(n int) string { return AttributeName(1, ProtocolIDISAKMP, uint16(n)) })
	check("IKEv1 IPsec attribute", tsharkNames(t, out, "isakmp.ipsec.attr.type")[0],
		func(n int) string { return AttributeName(1, ProtocolIDESP, uint16(n)) })
	for field, attr := range map[string]uint16{"encryption_algorithm": 1, "hash_algorithm": 2,
		"authentication_method": 3, "group_description": 4, "life_type": 11} {
		check("IKEv1 IKE "+field, tsharkNames(t, out, "isakmp.ike.attr."+field)[0],
			func(n int) string { return AttributeValueName(1, ProtocolIDISAKMP, attr, uint64(n)) })
	}
	// The ICMPv6 error types (tshark has no value strings for ICMP's
	// types and codes, nor for ICMPv6's codes: TestICMPNames has those).
	icmp6 := map[int]string{}
	for n, name := range tsharkNames(t, out, "icmpv6.type")[0] {
		if n < 128 && n != 127 && n != 100 && n != 101 {
			icmp6[n] = name
		}
	}
	check("ICMPv6 error type", icmp6, func(n int) string { return ICMPType(n).Name(true) })
	for field, attr := range map[string]uint16{"encap_mode": 4, "auth_algorithm": 5, "life_type": 1, "group_description": 3} {
		check("IKEv1 IPsec "+field, tsharkNames(t, out, "isakmp.ipsec.attr."+field)[0],
			func(n int) string { return AttributeValueName(1, ProtocolIDESP, attr, uint64(n)) })
	}
}

func TestTransformAndAttributeNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{TransformIDName(2, ProtocolIDIKE, TransformTypeENCR, 12), "ENCR_AES_CBC"},
		{TransformIDName(2, ProtocolIDIKE, TransformTypeKE, 31), "Curve25519"},
		{TransformIDName(2, ProtocolIDIKE, TransformTypeADDKE1, 36), "ML-KEM-768"},
		{TransformIDName(2, ProtocolIDESP, TransformTypeESN, 1), "Extended Sequence Numbers"},
		{TransformIDName(2, ProtocolIDESP, TransformTypeENCR, 999), "999"},
		{TransformIDName(1, ProtocolIDISAKMP, 0, 1), "KEY_IKE"},
		{TransformIDName(1, ProtocolIDESP, 0, 12), "ESP_AES-CBC"},
		{AttributeName(1, ProtocolIDISAKMP, 2), "Hash-Algorithm"},
		{AttributeName(1, ProtocolIDESP, 4), "Encapsulation-Mode"},
		{AttributeName(2, ProtocolIDESP, 14), "Key Length"},
		{AttributeName(2, ProtocolIDESP, 1), "1"},
		{AttributeValueName(1, ProtocolIDISAKMP, 2, 2), "SHA"},
		{AttributeValueName(1, ProtocolIDISAKMP, 4, 14), "2048 bit MODP group"},
		{AttributeValueName(1, ProtocolIDESP, 4, EncapsulationModeUDPTunnelDraft), "UDP-Encapsulated-Tunnel (draft)"},
		{AttributeValueName(1, ProtocolIDESP, 4, EncapsulationModeUDPTransport), "UDP-Encapsulated-Transport"},
		{AttributeValueName(1, ProtocolIDISAKMP, 12, 86400), "86400"},
		{AttributeValueName(1, ProtocolIDISAKMP, 12, 1<<63), "0x8000000000000000"},
		{IDTypeName(1, 3), "USER_FQDN"},
		{IDTypeName(2, 3), "RFC822_ADDR"},
		{IDTypeName(2, 200), "200"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("name = %q, want %q", tc.got, tc.want)
		}
	}
}
