package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// vp110Outside scripts, outside the NAT, an IKEv2 SA of a NATed client
// that floats to 4500 (public port 62001) and later reappears from port
// 1033: the NAT gave it a new mapping.
func vp110Outside(rebind bool) []decode.Packet {
	s := pt.New()
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	req.NATD = []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMismatch), pt.NATD(decode.NATDDestination, decode.NATDMatched)}
	s.IKE("203.0.113.5:500", "198.51.100.7:500", req, 1)
	s.IKE("198.51.100.7:500", "203.0.113.5:500", vp1Msg(decode.ExchangeTypeIKESAInit, 0, true), 2)
	s.IKE("203.0.113.5:62001", "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 3)
	s.IKE("198.51.100.7:4500", "203.0.113.5:62001", vp1Msg(decode.ExchangeTypeIKEAuth, 1, true), 4)
	port := "62001"
	if rebind {
		port = "1033"
	}
	s.After(60 * time.Second)
	s.IKE("203.0.113.5:"+port, "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeInformational, 2, false), 5)
	s.IKE("198.51.100.7:4500", "203.0.113.5:"+port, vp1Msg(decode.ExchangeTypeInformational, 2, true), 6)
	return s.Packets
}

func TestVP110Rebinding(t *testing.T) {
	f := wantFindings(t, checkRule(t, ikeAddressChange{}, oneCapture(t, vp110Outside(true))), 1)[0]
	if f.Severity != Info || f.Tunnel != 1 {
		t.Errorf("severity %s tunnel %d; want info, 1", f.Severity, f.Tunnel)
	}
	wantMessage(t, f.Message, "1 address or port change of the IKE SA's peers: the initiator from 203.0.113.5:62001 to 203.0.113.5:1033 at frame 5")
	wantFrames(t, f, flows.SideInside, 5)
}

func TestVP110Notify(t *testing.T) {
	s := pt.New()
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	req.Notifies = []decode.Notify{{Type: decode.NotifyTypeNoNATsAllowed}}
	s.IKE("10.0.0.2:500", "198.51.100.7:500", req, 1)
	rsp := vp1Msg(decode.ExchangeTypeIKESAInit, 0, true)
	rsp.Notifies = []decode.Notify{{Type: decode.NotifyTypeUnexpectedNATDetected}}
	s.IKE("198.51.100.7:500", "10.0.0.2:500", rsp, 2)
	f := wantFindings(t, checkRule(t, ikeAddressChange{}, oneCapture(t, s.Packets)), 1)[0]
	wantMessage(t, f.Message, "the initiator sent NO_NATS_ALLOWED (frame 1)", "the responder sent UNEXPECTED_NAT_DETECTED (frame 2)")
	wantFrames(t, f, flows.SideInside, 1, 2)
}

func TestVP110Clean(t *testing.T) {
	// The float alone is not a change worth reporting, on either side.
	out := vp110Outside(false)
	wantFindings(t, checkRule(t, ikeAddressChange{}, oneCapture(t, out)), 0)
	// Nor is a MOBIKE announcement without any change.
	s := pt.New()
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	req.Notifies = []decode.Notify{{Type: decode.NotifyTypeMOBIKESupported}}
	s.IKE("10.0.0.2:500", "198.51.100.7:500", req, 1)
	wantFindings(t, checkRule(t, ikeAddressChange{}, oneCapture(t, s.Packets)), 0)
}

func TestVP110OutsideOfPair(t *testing.T) {
	// Inside, the client keeps its tuple; outside, the NAT moves it to a
	// new port: the finding names the outside capture.
	s := pt.New()
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 3)
	s.IKE("198.51.100.7:4500", "10.0.0.2:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, true), 4)
	vp1Background(s, 60*time.Second)
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeInformational, 2, false), 5)
	s.IKE("198.51.100.7:4500", "10.0.0.2:4500", vp1Msg(decode.ExchangeTypeInformational, 2, true), 6)
	in := s.Packets
	nat := vp1NAT()
	rebind := in[len(in)-2].Time
	nat.Rewrite = func(p *decode.Packet) {
		// After an idle minute the NAT maps 4500 to a new port.
		if !p.Time.Before(rebind) && p.IKE != nil {
			if p.SrcPort == 62001 {
				p.SrcPort = 1033
			}
			if p.DstPort == 62001 {
				p.DstPort = 1033
			}
		}
	}
	c := twoCaptures(t, in, nat.Translate(in))
	f := wantFindings(t, checkRule(t, ikeAddressChange{}, c), 1)[0]
	wantMessage(t, f.Message, "(outside capture): the initiator from 203.0.113.5:62001 to 203.0.113.5:1033")
	wantFrames(t, f, flows.SideInside)
	if len(evidenceFrames(f, flows.SideOutside)) != 1 {
		t.Errorf("evidence %v, want the outside frame of the change", f.Evidence)
	}
}

// TestVP110BackAndForth checks that an initiator whose IKE goes back to
// its pre-float endpoint and then resumes on its NAT-T endpoint is not
// reported: both endpoints were the SA's already (VP309 reports the
// return to port 500).
func TestVP110BackAndForth(t *testing.T) {
	s := pt.New()
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	req.NATD = []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMismatch), pt.NATD(decode.NATDDestination, decode.NATDMatched)}
	s.IKE("203.0.113.5:31000", "198.51.100.7:500", req, 1)
	s.IKE("198.51.100.7:500", "203.0.113.5:31000", vp1Msg(decode.ExchangeTypeIKESAInit, 0, true), 2)
	s.IKE("203.0.113.5:62001", "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 3)
	s.IKE("198.51.100.7:4500", "203.0.113.5:62001", vp1Msg(decode.ExchangeTypeIKEAuth, 1, true), 4)
	s.After(40 * time.Second)
	// The responder's liveness check goes to the pre-float endpoint, and
	// the initiator answers from there.
	check := vp1Msg(decode.ExchangeTypeInformational, 0, true)
	check.Flags = 0
	s.IKE("198.51.100.7:500", "203.0.113.5:31000", check, 5)
	answer := vp1Msg(decode.ExchangeTypeInformational, 0, false)
	answer.Flags = decode.IKEv2FlagInitiator | decode.IKEv2FlagResponse
	s.IKE("203.0.113.5:31000", "198.51.100.7:500", answer, 6)
	s.After(time.Second)
	s.IKE("203.0.113.5:62001", "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeInformational, 2, false), 7)
	s.IKE("198.51.100.7:4500", "203.0.113.5:62001", vp1Msg(decode.ExchangeTypeInformational, 2, true), 8)
	wantFindings(t, checkRule(t, ikeAddressChange{}, oneCapture(t, s.Packets)), 0)
}
