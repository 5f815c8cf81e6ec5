package rules

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// vp101Inside scripts the inside capture of an IKEv2 client behind a NAT
// whose IKE_AUTH request (frame 3) is retransmitted three times with
// strongSwan's back-off (frames 4–6) and never answered; the capture goes
// on for tail afterwards with DNS in both directions.
func vp101Inside(tail time.Duration) []decode.Packet {
	s := pt.New()
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	auth := vp1Msg(decode.ExchangeTypeIKEAuth, 1, false)
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	for _, gap := range []time.Duration{4 * time.Second, 7200 * time.Millisecond, 12960 * time.Millisecond} {
		s.After(gap).IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	}
	vp1Background(s, tail)
	return s.Packets
}

func TestVP101Trigger(t *testing.T) {
	c := oneCapture(t, vp101Inside(30*time.Second))
	f := wantFindings(t, checkRule(t, ikeRequestUnanswered{}, c), 1)[0]
	if f.RuleID != "VP101" || f.Tunnel != 1 || f.Confidence != High {
		t.Errorf("finding %s tunnel %d confidence %s; want VP101, 1, high", f.RuleID, f.Tunnel, f.Confidence)
	}
	wantMessage(t, f.Message,
		"initiator 10.0.0.2:4500 sent IKE_AUTH request (message ID 1) 4 times over 24.2s to 198.51.100.7:4500",
		"(intervals 4.0s, 7.2s, 13.0s)", "the responder never answered")
	wantFrames(t, f, flows.SideInside, 3, 4, 5, 6)
}

func TestVP101Clean(t *testing.T) {
	s := pt.New()
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	auth := vp1Msg(decode.ExchangeTypeIKEAuth, 1, false)
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	// One retransmission, then the answer: a slow peer, not a failure.
	s.After(2*time.Second).IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	s.IKE("198.51.100.7:4500", "10.0.0.2:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, true), 4)
	// A dead-peer check left unanswered but retransmitted only once.
	dpd := vp1Msg(decode.ExchangeTypeInformational, 2, false)
	s.After(30*time.Second).IKE("10.0.0.2:4500", "198.51.100.7:4500", dpd, 5)
	s.After(2*time.Second).IKE("10.0.0.2:4500", "198.51.100.7:4500", dpd, 5)
	vp1Background(s, 30*time.Second)
	wantFindings(t, checkRule(t, ikeRequestUnanswered{}, oneCapture(t, s.Packets)), 0)
}

func TestVP101CaptureEndsEarly(t *testing.T) {
	pkts := vp101Inside(0)
	f := wantFindings(t, checkRule(t, ikeRequestUnanswered{}, oneCapture(t, pkts)), 1)[0]
	if f.Confidence != Medium {
		t.Errorf("confidence = %s, want medium (the capture ends with the last retransmission)", f.Confidence)
	}
	wantMessage(t, f.Message, "the capture ends 0ms after the last one")
}

func TestVP101OneWayCapture(t *testing.T) {
	// A mirror port that copies one direction only: the initiator's
	// IKE_SA_INIT requests and its DNS queries, no packet back.
	s := pt.New()
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	for i, gap := range []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second} {
		s.After(gap).IKE("10.0.0.2:500", "198.51.100.7:500", req, 1)
		s.Other(17, "10.0.0.2:53000", "192.0.2.53:53", uint64(100+i))
	}
	s.After(20*time.Second).Other(17, "10.0.0.2:53000", "192.0.2.53:53", 200)
	f := wantFindings(t, checkRule(t, ikeRequestUnanswered{}, oneCapture(t, s.Packets)), 1)[0]
	if f.Confidence != Low {
		t.Errorf("confidence = %s, want low", f.Confidence)
	}
	wantMessage(t, f.Message, "IKE_SA_INIT request (message ID 0) 4 times over 7.1s", "may see one direction only")
	wantFrames(t, f, flows.SideInside, 1, 3, 5, 7)
}

func TestVP101IKEv1MainMode(t *testing.T) {
	// MM1–MM4 complete, the NAT-T float, then MM5 on 4500 resent twice.
	s := pt.New()
	v1 := func(spir uint64) decode.IKEMessage {
		return decode.IKEMessage{Version: 1, SPIi: testSPIi, SPIr: spir, Exchange: decode.ExchangeTypeMain, Length: 200}
	}
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	s.IKE(ini, resp, v1(0), 1)
	s.IKE(resp, ini, v1(testSPIr), 2)
	s.IKE(ini, resp, v1(testSPIr), 3)
	s.IKE(resp, ini, v1(testSPIr), 4)
	mm5 := v1(testSPIr)
	mm5.Flags = decode.IKEv1FlagEncryption
	for _, gap := range []time.Duration{0, 10 * time.Second, 10 * time.Second} {
		s.After(gap).IKE("10.0.0.2:4500", "198.51.100.7:4500", mm5, 5)
	}
	vp1Background(s, 30*time.Second)
	f := wantFindings(t, checkRule(t, ikeRequestUnanswered{}, oneCapture(t, s.Packets)), 1)[0]
	wantMessage(t, f.Message, "initiator 10.0.0.2:4500 sent MM5 3 times over 20.0s to 198.51.100.7:4500 (intervals 10.0s, 10.0s)")
	wantFrames(t, f, flows.SideInside, 5, 6, 7)
}

func TestVP101RequestsDroppedByNAT(t *testing.T) {
	in := vp101Inside(30 * time.Second)
	nat := vp1NAT()
	nat.Drop = func(i int, p *decode.Packet) bool { return p.DstPort == 4500 }
	out := nat.Translate(in)
	f := wantFindings(t, checkRule(t, ikeRequestUnanswered{}, twoCaptures(t, in, out)), 1)[0]
	if f.Confidence != High {
		t.Errorf("confidence = %s, want high", f.Confidence)
	}
	wantMessage(t, f.Message, "none of the 4 appears in the outside capture: the device between the captures dropped them")
	wantFrames(t, f, flows.SideInside, 3, 4, 5, 6)
	wantFrames(t, f, flows.SideOutside)
}

func TestVP101RequestsCrossedNoAnswer(t *testing.T) {
	in := vp101Inside(30 * time.Second)
	nat := vp1NAT()
	out := nat.Translate(in)
	f := wantFindings(t, checkRule(t, ikeRequestUnanswered{}, twoCaptures(t, in, out)), 1)[0]
	wantMessage(t, f.Message, "4 of the 4 appear in the outside capture, with no answer there either",
		"they crossed the NAT outbound")
	wantFrames(t, f, flows.SideInside, 3, 4, 5, 6)
	if got := evidenceFrames(f, flows.SideOutside); len(got) != 4 {
		t.Errorf("outside evidence = %v, want the 4 requests", got)
	}
}

func TestVP101ResponseDroppedInbound(t *testing.T) {
	// The responder answers every IKE_AUTH request outside; the NAT drops
	// the answers.
	s := pt.New()
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	auth := vp1Msg(decode.ExchangeTypeIKEAuth, 1, false)
	rsp := vp1Msg(decode.ExchangeTypeIKEAuth, 1, true)
	for _, gap := range []time.Duration{0, 4 * time.Second, 8 * time.Second} {
		s.After(gap).IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
		s.IKE("198.51.100.7:4500", "10.0.0.2:4500", rsp, 4)
	}
	vp1Background(s, 30*time.Second)
	all := s.Packets
	nat := vp1NAT()
	out := nat.Translate(all)
	var in []decode.Packet
	for _, p := range all {
		if p.IKE != nil && p.IKE.Exchange == decode.ExchangeTypeIKEAuth && p.IKE.IsResponse() {
			continue
		}
		in = append(in, p)
	}
	f := wantFindings(t, checkRule(t, ikeRequestUnanswered{}, twoCaptures(t, in, out)), 1)[0]
	wantMessage(t, f.Message, "the outside capture shows the responder's answer (IKE_AUTH response) that never appears in the inside capture")
	if got := evidenceFrames(f, flows.SideOutside); len(got) != 3 {
		t.Errorf("outside evidence = %v, want the 3 responses", got)
	}
}

func TestVP101OutsideHostNotBehindNAT(t *testing.T) {
	// The outside capture also sees another host on the WAN side whose
	// IKE_SA_INIT goes unanswered: it never crossed the NAT, so its
	// absence inside says nothing about the NAT.
	in := vp9Healthy(30)
	nat := vp1NAT()
	out := nat.Translate(in)
	s := &pt.Script{Now: out[0].Time.Add(time.Second)}
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	req.SPIi = 0x7777777777777777
	for _, gap := range []time.Duration{0, 2 * time.Second, 4 * time.Second} {
		s.After(gap).IKE("192.0.2.77:500", "198.51.100.7:500", req, 70)
	}
	out = append(out, s.Packets...)
	slices.SortStableFunc(out, func(a, b decode.Packet) int { return a.Time.Compare(b.Time) })
	for i := range out {
		out[i].Frame, out[i].FirstFrame = i+1, i+1
	}
	f := wantFindings(t, checkRule(t, ikeRequestUnanswered{}, twoCaptures(t, in, out)), 1)[0]
	wantMessage(t, f.Message, "initiator 192.0.2.77:500 sent IKE_SA_INIT request (message ID 0) 3 times")
	if strings.Contains(f.Message, "inside capture") {
		t.Errorf("message %q locates a loss at a NAT the tunnel never crossed", f.Message)
	}
	if len(evidenceFrames(f, flows.SideOutside)) != 3 || len(evidenceFrames(f, flows.SideInside)) != 0 {
		t.Errorf("evidence %v, want the 3 outside requests", f.Evidence)
	}
}
