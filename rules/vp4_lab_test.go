package rules

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// The PPTP captures whose content is known: the lab's two scenarios, taken
// on both sides of a real Linux NAT (their TRUTH.md), and the public
// corpus's two PPTP control sessions (read with tshark). The expectations
// below come from those, not from vpnpcap.

// pptpLabContext correlates a lab scenario's captures as analyze does.
func pptpLabContext(t *testing.T, scenario string) *Context {
	t.Helper()
	in, out := corpus.LabScenario(t, scenario)
	cor := flows.Correlate(flows.File(in), flows.File(out), flows.CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	return NewCorrelatedContext(cor, nil)
}

// labCallIDs is one call's call IDs on each side, from the facts of
// TRUTH.md (Outgoing-Call-Request and -Reply in each capture).
type labCallIDs struct {
	insideClient, outsideClient, server uint16
}

func checkCallIDs(t *testing.T, c *Context, want []labCallIDs, translated bool) {
	t.Helper()
	if len(c.Sessions) != len(want) {
		t.Fatalf("%d PPTP calls, want %d", len(c.Sessions), len(want))
	}
	for i, w := range want {
		v := c.Sessions[i]
		if v.Sides[flows.SideInside] == nil || v.Sides[flows.SideOutside] == nil {
			t.Fatalf("call %d not joined across the captures: %+v", i+1, v.Sides)
		}
		for side, client := range map[flows.Side]uint16{flows.SideInside: w.insideClient, flows.SideOutside: w.outsideClient} {
			gc, gs, hc, hs := v.CallIDs(side)
			if !hc || !hs || gc != client || gs != w.server {
				t.Errorf("call %d %s: call IDs %#04x/%#04x (seen %v/%v), want %#04x/%#04x", i+1, side, gc, gs, hc, hs, client, w.server)
			}
		}
		if cx, sx := v.Translated(); cx != translated || sx {
			t.Errorf("call %d: translated client %v, server %v; want %v, false", i+1, cx, sx, translated)
		}
	}
}

// runAll runs every rule and decides the verdicts, as analyze does.
func runAll(c *Context) ([]Finding, []Verdict) {
	fs := Run(c)
	return fs, Verdicts(c, fs)
}

// checkVerdictBacked checks that a verdict saying a call fails names an
// error finding about that call or the refusal's frame, and that one
// saying nothing of failure is not marked failed.
func checkVerdictBacked(t *testing.T, fs []Finding, vds []Verdict) {
	t.Helper()
	for _, vd := range vds {
		if vd.Session == 0 {
			continue
		}
		says := strings.Contains(vd.Summary, "It fails")
		fails := vd.Outcome == OutcomeFails
		if says != fails {
			t.Errorf("call %d: outcome %s, yet the summary %q", vd.Session, vd.Outcome, vd.Summary)
		}
		if !fails {
			continue
		}
		backed := strings.Contains(vd.Failure, "refused")
		for _, f := range fs {
			if f.Session == vd.Session && f.Severity == Error && strings.HasPrefix(vd.Failure, f.RuleID+" ") {
				backed = true
			}
		}
		if !backed {
			t.Errorf("call %d fails with %q, which names no error finding about it", vd.Session, vd.Failure)
		}
	}
}

// TestPPTPLabHelper: the NAT with the PPTP helper translated each
// client's call ID 0x4000 (to 0x9c40 and 0x311a, its translated TCP port)
// and left the server's; every GRE packet crossed both ways. Healthy PPTP
// passthrough with call-ID translation: nothing above info, both calls
// work and depend on passthrough, for the reason the captures show.
func TestPPTPLabHelper(t *testing.T) {
	c := pptpLabContext(t, "pptp-gre")
	checkCallIDs(t, c, []labCallIDs{{0x4000, 0x9c40, 0x8001}, {0x4000, 0x311a, 0x8002}}, true)
	fs, vds := runAll(c)
	for _, f := range fs {
		if f.Severity > Info {
			t.Errorf("%s %s: %s", f.RuleID, f.Severity, f.Message)
		}
	}
	checkVerdictBacked(t, fs, vds)
	outside := []string{"40000 (0x9c40)", "12570 (0x311a)"}
	n := 0
	for _, vd := range vds {
		if vd.Session == 0 {
			continue
		}
		n++
		if !vd.Works || vd.NAT != flows.NATInitiator || vd.DependsOnPassthrough != DependsYes {
			t.Errorf("call %d: works %v, NAT %s, depends %s; want works, initiator, yes", vd.Session, vd.Works, vd.NAT, vd.DependsOnPassthrough)
		}
		for _, w := range []string{"translated the client's call ID (16384 (0x4000) inside, " + outside[vd.Session-1] + " outside)",
			"forwarded all 6 of the server's GRE packets", "PPTP passthrough with call-ID translation"} {
			if !strings.Contains(vd.Reason, w) {
				t.Errorf("call %d: reason %q lacks %q", vd.Session, vd.Reason, w)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d PPTP verdicts, want 2", n)
	}
}

// TestPPTPLabNoHelper: without the helper both calls keep call ID 0x4000
// from one public address; the clients' GRE goes out, the server's (12
// packets with key 0x4000 to 198.51.100.1) reaches the outside capture and
// none of it the inside one. Both calls fail, for that reason, and the
// collision is reported; nothing may say the NAT delivered the GRE to
// another client.
func TestPPTPLabNoHelper(t *testing.T) {
	c := pptpLabContext(t, "pptp-gre-nohelper")
	checkCallIDs(t, c, []labCallIDs{{0x4000, 0x4000, 0x8001}, {0x4000, 0x4000, 0x8002}}, false)
	fs, vds := runAll(c)
	checkVerdictBacked(t, fs, vds)
	oneWay := map[int]bool{}
	collisions := 0
	for _, f := range fs {
		if strings.Contains(f.Message, "delivers") || strings.Contains(f.Message, "elsewhere") {
			t.Errorf("%s says the GRE was delivered somewhere: %s", f.RuleID, f.Message)
		}
		switch f.RuleID {
		case "VP401":
			oneWay[f.Session] = true
			for _, w := range []string{"5 GRE packets went from the client to the server in the inside capture",
				"the outside capture shows 12 packets with it", "none of it reaches the inside capture, for this client or any other"} {
				if !strings.Contains(f.Message, w) {
					t.Errorf("VP401 call %d: %q lacks %q", f.Session, f.Message, w)
				}
			}
		case "VP402":
			collisions++
			for _, w := range []string{"2 PPTP calls from 198.51.100.1 (TCP ports 40000, 20552)", "call ID 16384 (0x4000)",
				"the outside capture shows 12 GRE packets from the server with that key",
				"none of the server's GRE with that key reaches 10.0.0.2 or 10.0.0.3"} {
				if !strings.Contains(f.Message, w) {
					t.Errorf("VP402: %q lacks %q", f.Message, w)
				}
			}
		}
	}
	if !oneWay[1] || !oneWay[2] || collisions != 1 {
		t.Errorf("VP401 for calls %v, %d VP402; want calls 1 and 2, one VP402", oneWay, collisions)
	}
	for _, vd := range vds {
		if vd.Session == 0 {
			continue
		}
		if vd.Works || vd.DependsOnPassthrough != DependsYes || !strings.HasPrefix(vd.Failure, "VP401 ") {
			t.Errorf("call %d: works %v, depends %s, failure %q; want a VP401 failure", vd.Session, vd.Works, vd.DependsOnPassthrough, vd.Failure)
		}
		for _, w := range []string{"none of the server's GRE with the call's ID (12 packets outside) back to the client", "left the call IDs unchanged"} {
			if !strings.Contains(vd.Reason, w) {
				t.Errorf("call %d: reason %q lacks %q", vd.Session, vd.Reason, w)
			}
		}
	}
}

// TestPPTPPublicCalls: the public corpus's PPTP control sessions. nDPI's
// holds TCP port 1723 alone (24 frames, tshark: no GRE), a call connected
// and then cleared; tcpdump's a connected call, one GRE packet from the
// client (an LCP Configure-Request) and none back before the capture ends.
// Neither shows a failure: no finding above info, no verdict that fails,
// and the summary says what cannot be told.
func TestPPTPPublicCalls(t *testing.T) {
	dir := corpus.Dir(t)
	for file, want := range map[string][]string{
		"nDPI/pptp.pcap":    {"none of it was captured", "the capture holds no GRE at all", `"tcp port 1723" leaves GRE (IP protocol 47) out`},
		"tcpdump/pptp.pcap": {"1 packet out, 0 in", "1 GRE packet went from the client to the server and none came back in the capture: too few to tell"},
	} {
		t.Run(file, func(t *testing.T) {
			a := flows.Analyze(flows.File(filepath.Join(dir, file)), decode.Options{KeepOther: true}, flows.Options{})
			c := NewContext(a, nil)
			if len(c.Sessions) != 1 || !pptpConnected(c.Sessions[0].Any()) {
				t.Fatalf("%d PPTP calls, want one connected", len(c.Sessions))
			}
			fs, vds := runAll(c)
			for _, f := range fs {
				if f.Severity > Info {
					t.Errorf("%s %s: %s", f.RuleID, f.Severity, f.Message)
				}
			}
			checkVerdictBacked(t, fs, vds)
			if len(vds) != 1 || vds[0].Outcome != OutcomeUnknown {
				t.Fatalf("verdicts %+v, want one whose outcome cannot be told", vds)
			}
			for _, w := range want {
				if !strings.Contains(vds[0].Summary, w) {
					t.Errorf("summary %q lacks %q", vds[0].Summary, w)
				}
			}
		})
	}
}
