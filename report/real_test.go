package report_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/keys"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
	"github.com/vpnpcap/vpnpcap/internal/textwidth"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/pipeline"
	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/rules"
)

// updating reports whether -update (report_test.go's flag) was given.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// realCase is a pair of captures whose reports are kept as golden files,
// with what their ladders must show, as the pair's README or TRUTH.md
// tells.
type realCase struct {
	name string
	// dir finds the pair: a sample's directory, or a lab scenario's.
	dir func(t *testing.T) string
	// check asserts what the captures' documentation says the ladders
	// show, whatever the golden files hold.
	check func(t *testing.T, ls []*ladder.Ladder)
}

// keyedCase is a real case decoded with the keys of a log, relative to
// the captures' directory (the lab's keyed scenarios).
type keyedCase struct {
	realCase
	keys string
}

func sample(name string) func(*testing.T) string {
	return func(*testing.T) string { return filepath.Join(corpus.RepoRoot(), "samples", name) }
}

func lab(name string) func(*testing.T) string {
	return func(t *testing.T) string {
		in, _ := corpus.LabScenario(t, name)
		return filepath.Dir(in)
	}
}

var realCases = []realCase{
	{"natt-port-blocked", sample("natt-port-blocked"), func(t *testing.T, ls []*ladder.Ladder) {
		// README: the IKE_AUTH request and its five retransmissions and
		// the keepalives appear only in the inside capture.
		l := one(t, ls, "tunnel 1")
		auth := row(t, l, "IKE_AUTH request #1 on 4500")
		if auth.Resent != 5 || auth.Crossed != 0 || auth.Lost != 6 || auth.Frames[1].N != 0 {
			t.Errorf("IKE_AUTH: resent %d, crossed %d, lost %d, %d outside; want 5 retransmissions, all 6 lost", auth.Resent, auth.Crossed, auth.Lost, auth.Frames[1].N)
		}
		if ka := row(t, l, "NAT-T keepalive"); ka.Crossed != 0 || ka.Lost != ka.Count {
			t.Errorf("keepalives: %d crossed, %d of %d lost; want none crossing", ka.Crossed, ka.Lost, ka.Count)
		}
	}},
	{"passthrough-collision", sample("passthrough-collision"), func(t *testing.T, ls []*ladder.Ladder) {
		// README: inbound ESP of client B's SA (SPI 0xc83093ce) is sent
		// to client A, 192.168.1.23: it crosses the NAT, to the wrong
		// host.
		b := row(t, one(t, ls, "tunnel 2"), "ESP 0xc83093ce seq 1–10")
		if b.Dir != ladder.In || b.Crossed != b.Count || b.Lost != 0 || b.Modified != b.Count || !hasNote(b, "the NAT delivered them to 192.168.1.23") {
			t.Errorf("tunnel 2's inbound ESP: crossed %d, lost %d, changed %d of %d, notes %q; want all crossed to 192.168.1.23", b.Crossed, b.Lost, b.Modified, b.Count, b.Notes)
		}
		a := row(t, one(t, ls, "tunnel 1"), "ESP 0xc83093ce seq 1–10")
		if a.Crossed != a.Count || !hasNote(a, "outside they are tunnel 2's") {
			t.Errorf("tunnel 1's row of B's ESP: crossed %d of %d, notes %q", a.Crossed, a.Count, a.Notes)
		}
	}},
	{"pptp-gre-blocked", sample("pptp-gre-blocked"), func(t *testing.T, ls []*ladder.Ladder) {
		// README: GRE out is forwarded; inbound GRE (key 10922, the
		// client's call ID) finds no state and is dropped.
		l := one(t, ls, "PPTP call 1")
		out := row(t, l, "GRE to call 28542 (0x6f7e)")
		in := row(t, l, "GRE to call 10922 (0x2aaa)")
		if out.Dir != ladder.Out || out.Crossed != out.Count || out.Lost != 0 {
			t.Errorf("GRE out: %d of %d crossed, %d lost", out.Crossed, out.Count, out.Lost)
		}
		if in.Dir != ladder.In || in.Crossed != 0 || in.Lost != in.Count {
			t.Errorf("GRE in: %d crossed, %d of %d lost; want all lost", in.Crossed, in.Lost, in.Count)
		}
	}},
	{"nat-rebinding", sample("nat-rebinding"), func(t *testing.T, ls []*ladder.Ladder) {
		// README: the client's ESP (SPI 0xce4c9bd9) goes on crossing
		// from a new port; the gateway's answers to the dead port are in
		// the outside capture only, and its INFORMATIONAL responses too.
		l := one(t, ls, "tunnel 1")
		var out, back *ladder.Row
		for i := range l.Rows {
			r := &l.Rows[i]
			switch {
			case strings.HasPrefix(r.Label, "ESP in UDP 0xce4c9bd9"):
				out = r
			case r.Kind == ladder.KindESP && r.Dir == ladder.In:
				back = r
			}
		}
		if out == nil || out.Crossed != out.Count || out.Lost != 0 {
			t.Errorf("the client's ESP: %+v; want every packet crossed", out)
		}
		if back == nil || back.Lost == 0 || back.Crossed == 0 {
			t.Errorf("the gateway's ESP: %+v; want some crossed, the later ones lost", back)
		}
		for _, r := range l.Rows {
			if strings.HasPrefix(r.Label, "INFORMATIONAL response") && (r.Crossed != 0 || r.Lost != r.Count) {
				t.Errorf("%s: %d crossed, %d of %d lost; want lost at the NAT", r.Label, r.Crossed, r.Lost, r.Count)
			}
		}
	}},
	{"lab-natt-blocked-4500", lab("natt-blocked-4500"), func(t *testing.T, ls []*ladder.Ladder) {
		// TRUTH.md: IKE_SA_INIT crosses (inside/outside frames 3/3 and
		// 4/4); the 4 IKE_AUTH requests (inside 5, 6, 7, 10) and the
		// keepalive (inside 11) have no outside counterpart.
		l := one(t, ls, "tunnel 1")
		for label, frames := range map[string][2]int{"IKE_SA_INIT request #0": {3, 3}, "IKE_SA_INIT response #0": {4, 4}} {
			r := row(t, l, label)
			if r.Crossed != 1 || r.Frames[0].First[0] != frames[0] || r.Frames[1].First[0] != frames[1] {
				t.Errorf("%s: crossed %d, frames %v/%v; want %v", label, r.Crossed, r.Frames[0], r.Frames[1], frames)
			}
		}
		auth := row(t, l, "IKE_AUTH request #1 on 4500")
		if auth.Crossed != 0 || auth.Frames[1].N != 0 || !slices.Equal(auth.Frames[0].First, []int{5, 6, 7, 10}) {
			t.Errorf("IKE_AUTH: crossed %d, frames %v/%v; want inside 5, 6, 7, 10 and none outside", auth.Crossed, auth.Frames[0], auth.Frames[1])
		}
		if ka := row(t, l, "NAT-T keepalive"); ka.Crossed != 0 || ka.Frames[0].First[0] != 11 {
			t.Errorf("keepalive: crossed %d, frames %v", ka.Crossed, ka.Frames[0])
		}
	}},
	{"lab-pptp-gre-nohelper", lab("pptp-gre-nohelper"), func(t *testing.T, ls []*ladder.Ladder) {
		// TRUTH.md: for both calls GRE PNS→PAC is forwarded, GRE PAC→PNS
		// (key 0x4000) is dropped at the NAT, which answers with ICMP
		// protocol unreachable from 198.51.100.1.
		for _, name := range []string{"PPTP call 1", "PPTP call 2"} {
			l := one(t, ls, name)
			in := row(t, l, "GRE to call 16384 (0x4000)")
			if in.Dir != ladder.In || in.Crossed != 0 || in.Lost != in.Count {
				t.Errorf("%s: GRE in: %d crossed, %d of %d lost; want all lost", name, in.Crossed, in.Lost, in.Count)
			}
			icmp, out := false, false
			for _, r := range l.Rows {
				icmp = icmp || r.Kind == ladder.KindICMP && r.FromNAT && hasNote(&r, "sent by the NAT itself (198.51.100.1)")
				out = out || r.Kind == ladder.KindGRE && r.Dir == ladder.Out && r.Crossed == r.Count && r.Count > 0
			}
			if !icmp || !out {
				t.Errorf("%s: ICMP from the NAT %v, GRE out crossing %v; want both", name, icmp, out)
			}
		}
	}},
}

// keyedLab finds a keyed lab scenario of the repository, which holds its
// captures and the daemons' key logs.
func keyedLab(name string) func(*testing.T) string {
	return func(*testing.T) string { return filepath.Join(corpus.RepoRoot(), "testdata", "lab", name) }
}

// keyedCases are lab scenarios whose daemons logged their keys: their
// reports with those keys say what decryption revealed, as TRUTH.md lists
// it, marked as decrypted.
var keyedCases = []keyedCase{
	{keys: "logs/charon-client.log", realCase: realCase{name: "lab-natt-ok-keys", dir: keyedLab("natt-ok-keys"), check: func(t *testing.T, ls []*ladder.Ladder) {
		// TRUTH.md: IKE_AUTH (frames 5/6) with IDi client.example.org,
		// IDr gw.example.org, virtual IP 192.0.2.17, CHILD_SA
		// 192.0.2.17/32 === 203.0.113.0/24 with ESP SPIs 0x11b08b5f
		// (client → gateway) and 0x2b6541f0 (gateway → client); 5 ICMP
		// echo requests 192.0.2.17 → 203.0.113.1 and 5 replies; the
		// INFORMATIONAL request (frame 21) carries a Delete payload.
		l := one(t, ls, "tunnel 1")
		for label, want := range map[string][]string{
			"IKE_AUTH request #1 on 4500":       {`IDi("client.example.org")`, `IDr("gw.example.org")`, "CP(CFG_REQUEST)", "SA(ESP 0x2b6541f0)"},
			"IKE_AUTH response #1 on 4500":      {`IDr("gw.example.org")`, "CP(CFG_REPLY 192.0.2.17)", "SA(ESP 0x11b08b5f)", "TSi(192.0.2.17)", "TSr(203.0.113.0/24)"},
			"ESP in UDP 0x11b08b5f seq 1–5":     {"192.0.2.17 > 203.0.113.1 icmp echo-request ×5"},
			"ESP in UDP 0x2b6541f0 seq 1–5":     {"203.0.113.1 > 192.0.2.17 icmp echo-reply ×5"},
			"INFORMATIONAL request #2 on 4500":  {"D(IKE)"},
			"INFORMATIONAL response #2 on 4500": {"no payload"},
		} {
			r := row(t, l, label)
			for _, w := range want {
				if !strings.Contains(r.Decrypted, w) {
					t.Errorf("%s: decrypted %q, want %q in it", label, r.Decrypted, w)
				}
			}
			if r.Crossed != r.Count || r.NotDecrypted != "" {
				t.Errorf("%s: %d of %d crossed, not decrypted %q; want every packet crossed and decrypted", label, r.Crossed, r.Count, r.NotDecrypted)
			}
		}
	}}},
	{keys: "logs/charon-client.log", realCase: realCase{name: "lab-ikev2-auth-failed-keys", dir: keyedLab("ikev2-auth-failed-keys"), check: func(t *testing.T, ls []*ladder.Ladder) {
		// TRUTH.md: the gateway answered IKE_AUTH (frame 6) with an
		// encrypted payload holding one Notify, AUTHENTICATION_FAILED,
		// which must be reported as seen decrypted, not as a cleartext
		// notify.
		r := row(t, one(t, ls, "tunnel 1"), "IKE_AUTH response #1 on 4500")
		if r.Decrypted != "N(AUTHENTICATION_FAILED)" || r.Frames[0].First[0] != 6 || r.Frames[1].First[0] != 6 {
			t.Errorf("the IKE_AUTH response: decrypted %q, frames %v/%v; want the one notify, frame 6 in both", r.Decrypted, r.Frames[0], r.Frames[1])
		}
	}}},
	{keys: "logs/charon-client.log", realCase: realCase{name: "lab-ikev1-natt-keys", dir: keyedLab("ikev1-natt-keys"), check: func(t *testing.T, ls []*ladder.Ladder) {
		// TRUTH.md: MM5 carries ID client.example.org, HASH and N; Mode
		// Config gives the virtual IP 192.0.2.17; Quick Mode (frames
		// 11–13) HASH, SA with SPI 0xe4f2b526 resp. 0xb3db9272, nonce,
		// IDs 192.0.2.17 and 203.0.113.0/255.255.255.0; ESP 0xb3db9272
		// carries the pings to 203.0.113.1, 0xe4f2b526 the replies; the
		// Informational messages HASH and Delete.
		l := one(t, ls, "tunnel 1")
		byFrame := map[int]*ladder.Row{}
		for i := range l.Rows {
			byFrame[l.Rows[i].Frames[0].First[0]] = &l.Rows[i]
		}
		for frame, want := range map[int]string{
			7:  `ID("client.example.org") HASH N(INITIAL-CONTACT`,
			10: "HASH ATTR(CFG_REPLY 192.0.2.17)",
			11: "HASH SA(IPSEC_ESP 0xe4f2b526) NONCE ID(192.0.2.17) ID(203.0.113.0/24)",
			12: "HASH SA(IPSEC_ESP 0xb3db9272) NONCE ID(192.0.2.17) ID(203.0.113.0/24)",
			14: "192.0.2.17 > 203.0.113.1 icmp echo-request ×5",
			15: "203.0.113.1 > 192.0.2.17 icmp echo-reply ×5",
			28: "HASH D(",
		} {
			if r := byFrame[frame]; r == nil || !strings.HasPrefix(r.Decrypted, want) {
				t.Errorf("the row of inside frame %d: %+v; want it decrypted to %q", frame, r, want)
			}
		}
	}}},
}

func one(t *testing.T, ls []*ladder.Ladder, name string) *ladder.Ladder {
	t.Helper()
	for _, l := range ls {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no ladder of %s", name)
	return nil
}

func row(t *testing.T, l *ladder.Ladder, label string) *ladder.Row {
	t.Helper()
	for i := range l.Rows {
		if l.Rows[i].Label == label {
			return &l.Rows[i]
		}
	}
	t.Fatalf("%s has no row %q", l.Name, label)
	return nil
}

func hasNote(r *ladder.Row, note string) bool {
	for _, n := range r.Notes {
		if n == note {
			return true
		}
	}
	return false
}

// analyse runs analyze's pipeline on a pair, its captures named as a
// repository-relative path would name them, so that the golden files do
// not depend on where the corpus lies.
func analyse(t *testing.T, dir, name string) *report.Batch {
	t.Helper()
	return analyseKeyed(t, dir, name, "")
}

// analyseKeyed is analyse with the keys of a log in dir (none when
// keyLog is empty), named by its path relative to dir as the golden files
// show it.
func analyseKeyed(t *testing.T, dir, name, keyLog string) *report.Batch {
	t.Helper()
	opts := decode.Options{KeepOther: true}
	if keyLog != "" {
		text, err := os.ReadFile(filepath.Join(dir, keyLog))
		if err != nil {
			t.Fatal(err)
		}
		store, _, err := keys.Parse(string(text), keyLog)
		if err != nil {
			t.Fatal(err)
		}
		opts.Keys = store
	}
	var srcs []flows.Source
	for _, side := range []string{"inside", "outside"} {
		path := filepath.Join(dir, side+".pcap")
		srcs = append(srcs, flows.Source{Path: name + "/" + side + ".pcap", Read: flows.File(path).Read})
	}
	res, err := pipeline.Run(context.Background(), srcs, pipeline.Options{
		Decode: opts, RolesGiven: true, Summarize: true,
		Ladders: func(c *rules.Context, _ []rules.Verdict) []ladder.Subject { return ladder.Subjects(c) },
	})
	if err != nil {
		t.Fatal(err)
	}
	c := report.NewCheck(name, res.Context, res.Findings, res.Verdicts, report.Options{Detail: true, Ladders: res.Ladders})
	return report.NewSingle(report.FailOn{Severity: rules.Error}, c)
}

// TestRealReports keeps the text, Markdown and HTML reports of real
// captures as golden files (go test ./report -update), checks that their ladders show what the captures'
// documentation tells, and that no line of the text report is wider than
// 80 columns.
func TestRealReports(t *testing.T) {
	all := make([]keyedCase, 0, len(realCases)+len(keyedCases))
	for _, tc := range realCases {
		all = append(all, keyedCase{realCase: tc})
	}
	for _, tc := range append(all, keyedCases...) {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.TrimPrefix(tc.name, "lab-")
			b := analyseKeyed(t, tc.dir(t), name, tc.keys)
			tc.check(t, b.Checks[0].Detail.Ladders)
			var text, md, html bytes.Buffer
			if err := report.WriteText(&text, b, report.TextOptions{Width: 80}); err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(text.String(), "\n") {
				if w := textwidth.Width(line); w > 80 {
					t.Errorf("line %d is %d columns wide: %q", i+1, w, line)
				}
			}
			if err := report.WriteMarkdown(&md, b); err != nil {
				t.Fatal(err)
			}
			if err := report.WriteHTML(&html, b); err != nil {
				t.Fatal(err)
			}
			realGolden(t, tc.name+".txt", text.Bytes())
			realGolden(t, tc.name+".md", md.Bytes())
			realGolden(t, tc.name+".html", html.Bytes())
		})
	}
}

func realGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "real", name)
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./report -update and review the diff)", name)
	}
}
