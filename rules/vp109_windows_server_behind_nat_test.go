package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// vp109MainMode scripts a Windows L2TP/IPsec client (MS NT5 ISAKMPOAKLEY
// vendor ID) reaching a server behind a NAT (its own NAT-D source hash
// mismatches), up to Main Mode message 4; with mm5 the client goes on.
func vp109MainMode(vid decode.VendorID, tail time.Duration, mm5 bool) []decode.Packet {
	s := pt.New()
	v1 := func(spir uint64) decode.IKEMessage {
		return decode.IKEMessage{Version: 1, SPIi: testSPIi, SPIr: spir, Exchange: decode.ExchangeTypeMain, Length: 200}
	}
	natd := func(dst, src decode.NATDMatch) []decode.NATD {
		return []decode.NATD{{Kind: decode.NATDDestination, Match: dst, PayloadType: 20}, {Kind: decode.NATDSource, Match: src, PayloadType: 20}}
	}
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	mm1 := v1(0)
	mm1.VendorIDs = []decode.VendorID{vid, {Name: "RFC 3947"}}
	s.IKE(ini, resp, mm1, 1)
	mm2 := v1(testSPIr)
	mm2.VendorIDs = []decode.VendorID{{Name: "RFC 3947"}}
	s.IKE(resp, ini, mm2, 2)
	mm3 := v1(testSPIr)
	mm3.NATD = natd(decode.NATDMatched, decode.NATDMatched)
	s.IKE(ini, resp, mm3, 3)
	mm4 := v1(testSPIr)
	mm4.NATD = natd(decode.NATDMatched, decode.NATDMismatch)
	s.IKE(resp, ini, mm4, 4)
	if mm5 {
		m := v1(testSPIr)
		m.Flags = decode.IKEv1FlagEncryption
		s.IKE("10.0.0.2:4500", "198.51.100.7:4500", m, 5)
		s.IKE("198.51.100.7:4500", "10.0.0.2:4500", m, 6)
	}
	vp1Background(s, tail)
	return s.Packets
}

var vp109Windows = decode.VendorID{Name: "MS NT5 ISAKMPOAKLEY (Windows 8 or later)"}

func TestVP109Trigger(t *testing.T) {
	c := oneCapture(t, vp109MainMode(vp109Windows, 30*time.Second, false))
	f := wantFindings(t, checkRule(t, windowsServerBehindNAT{}, c), 1)[0]
	if f.Tunnel != 1 || f.Confidence != High {
		t.Errorf("tunnel %d confidence %s; want 1, high", f.Tunnel, f.Confidence)
	}
	wantMessage(t, f.Message, `the initiator 10.0.0.2 is a Windows client (vendor ID "MS NT5 ISAKMPOAKLEY (Windows 8 or later)")`,
		"the responder (198.51.100.7) is behind a NAT", "nothing after Main Mode message 4 (frame 4)", "error 809")
	wantFrames(t, f, flows.SideInside, 3, 4)
}

func TestVP109CaptureEndsSoon(t *testing.T) {
	f := wantFindings(t, checkRule(t, windowsServerBehindNAT{}, oneCapture(t, vp109MainMode(vp109Windows, 0, false))), 1)[0]
	if f.Confidence != Medium {
		t.Errorf("confidence %s, want medium", f.Confidence)
	}
}

func TestVP109Clean(t *testing.T) {
	// The client goes on to MM5: the registry value is set.
	wantFindings(t, checkRule(t, windowsServerBehindNAT{}, oneCapture(t, vp109MainMode(vp109Windows, 30*time.Second, true))), 0)
	// Not Windows: another rule's business.
	wantFindings(t, checkRule(t, windowsServerBehindNAT{}, oneCapture(t, vp109MainMode(decode.VendorID{Name: "strongSwan"}, 30*time.Second, false))), 0)
}

func TestVP109IKEv2(t *testing.T) {
	s := pt.New()
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	req.VendorIDs = []decode.VendorID{{Name: "MS NT5 ISAKMPOAKLEY (Windows 8 or later)"}}
	req.NATD = []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}
	s.IKE("10.0.0.2:500", "198.51.100.7:500", req, 1)
	rsp := vp1Msg(decode.ExchangeTypeIKESAInit, 0, true)
	rsp.NATD = []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMismatch), pt.NATD(decode.NATDDestination, decode.NATDMatched)}
	s.IKE("198.51.100.7:500", "10.0.0.2:500", rsp, 2)
	vp1Background(s, 20*time.Second)
	f := wantFindings(t, checkRule(t, windowsServerBehindNAT{}, oneCapture(t, s.Packets)), 1)[0]
	wantMessage(t, f.Message, "nothing after the IKE_SA_INIT response (frame 2)")
}
