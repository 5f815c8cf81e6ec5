package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// pptpVerdictOf runs every rule on c and returns the verdict of PPTP call
// id.
func pptpVerdictOf(t *testing.T, c *Context, id int) Verdict {
	t.Helper()
	for _, vd := range Verdicts(c, Run(c)) {
		if vd.Session == id {
			return vd
		}
	}
	t.Fatalf("no verdict for PPTP call %d", id)
	return Verdict{}
}

func wantVerdictText(t *testing.T, name, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q lacks %q", name, got, w)
		}
	}
}

// TestPPTPVerdictRefused: a refusal the capture holds fails the call and
// names the control message's frame; no GRE is expected after it.
func TestPPTPVerdictRefused(t *testing.T) {
	srv := dpPPTPServer + ":1723"
	client := testClient + ":40000"

	s := pt.New()
	s.PPTP(client, srv, dpSCCRQ, 0, 0, 0)
	s.PPTP(srv, client, dpSCCRP, 0, 0, 2)
	vd := pptpVerdictOf(t, oneCapture(t, s.Packets), 1)
	if vd.Works {
		t.Errorf("control refused: works")
	}
	wantVerdictText(t, "control refused", vd.Failure, "the server refused the control connection (Start-Control-Connection-Reply result 2, frame 2)")

	s = pt.New()
	s.PPTP(client, srv, dpSCCRQ, 0, 0, 0)
	s.PPTP(srv, client, dpSCCRP, 0, 0, 1)
	s.PPTP(client, srv, dpOCRQ, dpClientCall, 0, 0)
	s.PPTP(srv, client, dpOCRP, dpServerCall, dpClientCall, 3)
	vd = pptpVerdictOf(t, oneCapture(t, s.Packets), 1)
	if vd.Works {
		t.Errorf("call refused: works")
	}
	wantVerdictText(t, "call refused", vd.Summary, "It fails: the server refused the call (Outgoing-Call-Reply result 3, frame 4).")
}

// TestPPTPVerdictCannotTell: what a capture does not hold is said, not
// taken for a failure.
func TestPPTPVerdictCannotTell(t *testing.T) {
	srv := dpPPTPServer + ":1723"
	client := testClient + ":40000"
	cases := []struct {
		name string
		pkts func() []decode.Packet
		want string
	}{
		{"no control reply", func() []decode.Packet {
			s := pt.New()
			s.PPTP(client, srv, dpOCRQ, dpClientCall, 0, 0)
			return s.Packets
		}, "The capture holds no Start-Control-Connection-Reply for its control connection"},
		{"no call reply", func() []decode.Packet {
			s := pt.New()
			s.PPTP(client, srv, dpSCCRQ, 0, 0, 0)
			s.PPTP(srv, client, dpSCCRP, 0, 0, 1)
			s.PPTP(client, srv, dpOCRQ, dpClientCall, 0, 0)
			return s.Packets
		}, "The capture holds no reply to its call request"},
		{"no GRE at all", func() []decode.Packet {
			s := pt.New()
			dpPPTPControl(s, client, dpClientCall, dpServerCall)
			return s.Packets
		}, `the capture holds no GRE at all: a capture filter such as "tcp port 1723" leaves GRE (IP protocol 47) out`},
		{"other GRE only", func() []decode.Packet {
			s := pt.New()
			dpPPTPControl(s, client, dpClientCall, dpServerCall)
			s.GRE(testClient2, "192.0.2.80", 7, 0)
			return s.Packets
		}, "No GRE of the call was captured in either direction, though other GRE was"},
		{"few one way", func() []decode.Packet {
			s := pt.New()
			dpPPTPCall(s, client, dpClientCall, dpServerCall, 2, true, false)
			return s.Packets
		}, "2 GRE packets went from the client to the server and none came back in the capture: too few to tell"},
	}
	for _, tc := range cases {
		vd := pptpVerdictOf(t, oneCapture(t, tc.pkts()), 1)
		if vd.Outcome != OutcomeUnknown || strings.Contains(vd.Summary, "It fails") {
			t.Errorf("%s: %s, want unknown: %q", tc.name, vd.Outcome, vd.Summary)
		}
		wantVerdictText(t, tc.name, vd.Summary, tc.want)
	}
}

// TestPPTPVerdictPassthrough: the reason a call depends on PPTP
// passthrough is what the captures show the NAT doing.
func TestPPTPVerdictPassthrough(t *testing.T) {
	inside := dpPPTPInside(10, true, true)
	nat := dpPassthroughNAT()
	vd := pptpVerdictOf(t, twoCaptures(t, inside, nat.Translate(inside)), 1)
	if !vd.Works || vd.DependsOnPassthrough != DependsYes || vd.NAT != flows.NATInitiator {
		t.Errorf("forwarded: %+v", vd)
	}
	wantVerdictText(t, "forwarded", vd.Reason, "the NAT forwarded all 10 of the server's GRE packets back to the client with the call IDs unchanged")

	// An ALG that translates the call ID in the control connection and
	// the GRE key alike.
	nat.Rewrite = dpALG(map[uint16]uint16{dpClientCall: 4711}, map[uint16]uint16{dpClientCall: 4711})
	c := twoCaptures(t, inside, nat.Translate(inside))
	vd = pptpVerdictOf(t, c, 1)
	if !vd.Works {
		t.Errorf("translated: fails: %q", vd.Summary)
	}
	wantVerdictText(t, "translated", vd.Reason, "the NAT translated the client's call ID (100 (0x0064) inside, 4711 (0x1267) outside)", "PPTP passthrough with call-ID translation")
	if cx, sx := c.Sessions[0].Translated(); !cx || sx {
		t.Errorf("translated: Translated() = %v, %v; want true, false", cx, sx)
	}

	// The outside capture was taken with a filter that left GRE out.
	nat = dpPassthroughNAT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return p.Kind == decode.KindGRE }
	vd = pptpVerdictOf(t, twoCaptures(t, inside, nat.Translate(inside)), 1)
	if !vd.Works {
		t.Errorf("outside without GRE: fails: %q", vd.Summary)
	}
	wantVerdictText(t, "outside without GRE", vd.Reason, "the server's GRE came through the NAT to the client (10 packets inside); the outside capture holds no GRE at all")

	// One capture, a private client calling a public server.
	vd = pptpVerdictOf(t, oneCapture(t, dpPPTPInside(10, true, true)), 1)
	wantVerdictText(t, "one capture", vd.Reason, "the client at 10.0.0.2, a private address, reaches the server at 198.51.100.9, a public one, so a NAT sits between them")
}

// TestPPTPVerdictSharedGRE: GRE that fits two colliding calls is said to
// be shared, and counted for neither.
func TestPPTPVerdictSharedGRE(t *testing.T) {
	s := pt.New()
	dpPPTPControl(s, testPublic+":40000", dpClientCall, 300)
	dpPPTPControl(s, testPublic+":40001", dpClientCall, 301)
	for i := uint32(0); i < 3; i++ {
		s.GRE(testPublic, dpPPTPServer, 301, i)
		s.GRE(dpPPTPServer, testPublic, dpClientCall, i)
		s.After(time.Second)
	}
	c := oneCapture(t, s.Packets)
	second := c.Sessions[1].Any()
	if second.GREIn != 0 || second.GREInShared != 3 || c.Sessions[0].Any().GREInShared != 3 {
		t.Fatalf("GRE in %d, shared %d and %d; want 0, 3 and 3", second.GREIn, second.GREInShared, c.Sessions[0].Any().GREInShared)
	}
	vd := pptpVerdictOf(t, c, 2)
	wantVerdictText(t, "shared", vd.Summary, "carries the call ID of another call as well (see VP402), so which of it (3 packets) was this call's cannot be told")
}
