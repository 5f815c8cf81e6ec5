package ladder

import (
	"bytes"
	"context"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
	"github.com/vpnpcap/vpnpcap/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	spiI = 0x1111111111111111
	spiR = 0x2222222222222222
)

// blocked4500 is a client behind a NAT whose IKE_AUTH on UDP 4500 never
// crosses: IKE_SA_INIT both ways, then three IKE_AUTH requests dropped at
// the NAT, and a keepalive dropped too.
func blocked4500() (inside, outside []decode.Packet) {
	s := pt.New()
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	s.IKE(ini, resp, decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagInitiator,
		NATD: []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}}, 1)
	s.IKE(resp, ini, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagResponse,
		NATD: []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMismatch)}}, 2)
	auth := decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: decode.ExchangeTypeIKEAuth, MessageID: 1, Flags: decode.IKEv2FlagInitiator, Encrypted: true}
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	s.After(2*time.Second).IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	s.After(3*time.Second).IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	s.Keepalive("10.0.0.2:4500", "198.51.100.7:4500")
	s.Other(17, "10.0.0.2:53000", "192.0.2.53:53", 77)
	s.After(time.Second).Other(17, "192.0.2.53:53", "10.0.0.2:53000", 78)
	nat := pt.NAT{
		Map:    map[string]string{"10.0.0.2:500": "203.0.113.5:500", "10.0.0.2:4500": "203.0.113.5:4500", "10.0.0.2:53000": "203.0.113.5:41000"},
		Offset: 7300 * time.Millisecond, Delay: time.Millisecond,
		Drop: func(i int, p *decode.Packet) bool { return p.DstPort == 4500 },
	}
	return s.Packets, nat.Translate(s.Packets)
}

// rawESP is a client behind a NAT with Passthrough: IKE, then raw ESP both
// ways, two of the outbound packets lost at the NAT.
func rawESP() (inside, outside []decode.Packet) {
	s := pt.New()
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	s.IKE(ini, resp, decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagInitiator}, 1)
	s.IKE(resp, ini, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagResponse}, 2)
	s.IKE(ini, resp, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: decode.ExchangeTypeIKEAuth, MessageID: 1, Flags: decode.IKEv2FlagInitiator, Encrypted: true}, 3)
	s.IKE(resp, ini, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: decode.ExchangeTypeIKEAuth, MessageID: 1, Flags: decode.IKEv2FlagResponse, Encrypted: true}, 4)
	for seq := uint32(1); seq <= 6; seq++ {
		s.ESP("10.0.0.2", "198.51.100.7", 0xc0ffee01, seq)
		s.ESP("198.51.100.7", "10.0.0.2", 0xc0ffee02, seq)
	}
	nat := pt.NAT{
		Map:    map[string]string{"10.0.0.2:500": "203.0.113.5:500", "10.0.0.2": "203.0.113.5"},
		Offset: 2 * time.Second, Delay: time.Millisecond,
		Drop: func(i int, p *decode.Packet) bool {
			return p.Kind == decode.KindESP && p.ESP.SPI == 0xc0ffee01 && (p.ESP.Seq == 3 || p.ESP.Seq == 5)
		},
	}
	return s.Packets, nat.Translate(s.Packets)
}

func pairContext(inside, outside []decode.Packet) *rules.Context {
	cor := flows.Correlate(flows.Packets("inside.pcap", inside), flows.Packets("outside.pcap", outside),
		flows.CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	return rules.NewCorrelatedContext(cor, nil)
}

// collect draws the ladders of every subject of a pair of captures given
// as packets.
func collect(t *testing.T, scenario func() (inside, outside []decode.Packet)) []*Ladder {
	t.Helper()
	inside, outside := scenario()
	c := pairContext(inside, outside)
	srcs := []flows.Source{flows.Packets("inside.pcap", inside), flows.Packets("outside.pcap", outside)}
	ls, err := Collect(context.Background(), srcs, c, Subjects(c), decode.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestLadderBlocked(t *testing.T) {
	ls := collect(t, blocked4500)
	if len(ls) != 1 {
		t.Fatalf("%d ladders, want 1", len(ls))
	}
	l := ls[0]
	if l.Name != "tunnel 1" || !l.Two || l.Host.Role != "initiator" || l.Host.Addr[0].String() != "10.0.0.2" || l.Host.Addr[1].String() != "203.0.113.5" {
		t.Errorf("ladder %q, two %v, host %+v", l.Name, l.Two, l.Host)
	}
	want := []struct {
		label          string
		dir            Dir
		count, resent  int
		crossed, lost  int
		fate           Fate
		inside, outOne int // first frames; -1: none
	}{
		{"IKE_SA_INIT request #0", Out, 1, 0, 1, 0, FateCrossed, 1, 1},
		{"IKE_SA_INIT response #0", In, 1, 0, 1, 0, FateCrossed, 2, 2},
		{"IKE_AUTH request #1 on 4500", Out, 3, 2, 0, 3, FateLost, 3, -1},
		{"NAT-T keepalive", Out, 1, 0, 0, 1, FateLost, 6, -1},
	}
	if len(l.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(l.Rows), len(want), l.Rows)
	}
	for i, w := range want {
		r := l.Rows[i]
		first := func(f Frames) int {
			if f.N == 0 {
				return -1
			}
			return f.First[0]
		}
		if r.Label != w.label || r.Dir != w.dir || r.Count != w.count || r.Resent != w.resent || r.Crossed != w.crossed || r.Lost != w.lost ||
			r.Fate(true) != w.fate || first(r.Frames[0]) != w.inside || first(r.Frames[1]) != w.outOne {
			t.Errorf("row %d = %q dir %d, %d packets, resent %d, crossed %d, lost %d, fate %d, frames %d/%d;\nwant %+v",
				i, r.Label, r.Dir, r.Count, r.Resent, r.Crossed, r.Lost, r.Fate(true), first(r.Frames[0]), first(r.Frames[1]), w)
		}
	}
	if l.Lost != 4 {
		t.Errorf("%d packets lost in all, want 4", l.Lost)
	}
	golden(t, "blocked4500.txt", l.Lines(80, UTF8))
	golden(t, "blocked4500-ascii.txt", l.Lines(80, ASCII))
}

func TestLadderRuns(t *testing.T) {
	ls := collect(t, rawESP)
	l := ls[0]
	var out, in *Row
	for i := range l.Rows {
		switch l.Rows[i].Label {
		case "ESP 0xc0ffee01 seq 1–6":
			out = &l.Rows[i]
		case "ESP 0xc0ffee02 seq 1–6":
			in = &l.Rows[i]
		}
	}
	if out == nil || in == nil || len(l.Rows) != 6 {
		t.Fatalf("rows %+v: want 4 IKE rows and one ESP run each way", l.Rows)
	}
	if out.Count != 6 || out.Crossed != 4 || out.Lost != 2 || out.Fate(true) != FatePartlyLost || out.Dir != Out {
		t.Errorf("outbound run: %d packets, %d crossed, %d lost, fate %d", out.Count, out.Crossed, out.Lost, out.Fate(true))
	}
	// Frames 5, 7, 9… are the outbound ESP; seq 3 and 5 are frames 9 and 13.
	if got := out.LostFrames; len(got) != 2 || got[0] != 9 || got[1] != 13 {
		t.Errorf("lost frames %v, want [9 13]", got)
	}
	if in.Count != 6 || in.Crossed != 6 || in.Dir != In || in.Fate(true) != FateCrossed {
		t.Errorf("inbound run: %d packets, %d crossed, fate %d", in.Count, in.Crossed, in.Fate(true))
	}
	if text := rowText(out, l, UTF8); !strings.Contains(text, "✗ 2 lost at the NAT (inside 9, 13)") {
		t.Errorf("the row does not call out the lost packets: %s", text)
	}
}

// TestLadderOneCapture: with one capture the ladder marks the capture
// point and says nothing of fates.
func TestLadderOneCapture(t *testing.T) {
	inside, _ := blocked4500()
	c := rules.NewContext(flows.Analyze(flows.Packets("c.pcap", inside), decode.Options{KeepOther: true}, flows.Options{}), nil)
	ls, err := Collect(context.Background(), []flows.Source{flows.Packets("c.pcap", inside)}, c, Subjects(c), decode.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := ls[0]
	if l.Two || l.Lost != 0 || len(l.Rows) != 4 {
		t.Fatalf("two %v, lost %d, %d rows", l.Two, l.Lost, len(l.Rows))
	}
	for _, r := range l.Rows {
		if r.Fate(false) != FateSeen {
			t.Errorf("row %q has fate %d with one capture", r.Label, r.Fate(false))
		}
	}
	text := strings.Join(l.Lines(80, UTF8), "\n")
	if !strings.Contains(text, "─◉─") || !strings.Contains(text, "►│") || strings.Contains(text, "✗") {
		t.Errorf("one-capture ladder:\n%s", text)
	}
	// Build, from the packets the TUI holds, draws the same ladder.
	var pkts [2][]decode.Packet
	member := Member(c, Subjects(c)[0], flows.SideInside)
	for _, p := range inside {
		if member(&p) {
			pkts[0] = append(pkts[0], p)
		}
	}
	if got := Build(c, Subjects(c)[0], pkts); !sameLines(got.Lines(80, UTF8), l.Lines(80, UTF8)) {
		t.Errorf("Build and Collect differ:\n%s\n---\n%s", strings.Join(got.Lines(80, UTF8), "\n"), text)
	}
}

func sameLines(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// TestLinesFit: no line is wider than asked, down to 50 columns, and the
// ASCII glyphs draw ASCII alone.
func TestLinesFit(t *testing.T) {
	ls := collect(t, blocked4500)
	ls = append(ls, collect(t, rawESP)...)
	ls = append(ls, collect(t, keyedESP)...)
	for _, l := range ls {
		for _, width := range []int{50, 60, 72, 80, 100, 132} {
			for _, g := range []Glyphs{UTF8, ASCII} {
				for _, line := range l.Lines(width, g) {
					if w := runewidth.StringWidth(line); w > width {
						t.Errorf("%s at %d: line of %d columns: %q", l.Name, width, w, line)
					}
					if g.ascii && strings.ContainsFunc(line, func(r rune) bool { return r > 126 }) {
						t.Errorf("%s: ASCII line holds more: %q", l.Name, line)
					}
				}
			}
		}
	}
}

// TestTruncated: past the bound a ladder ends where the first capture's
// list filled, and does not call the other capture's later packets lost.
func TestTruncated(t *testing.T) {
	defer func(n int) { limitPackets = n }(limitPackets)
	limitPackets = 8
	ls := collect(t, rawESP)
	l := ls[0]
	if !l.Truncated || l.Until.IsZero() {
		t.Fatalf("not truncated at %d packets", limitPackets)
	}
	if l.Packets[0] > limitPackets || l.Packets[1] > limitPackets {
		t.Errorf("kept %v packets, bound %d", l.Packets, limitPackets)
	}
	for _, r := range l.Rows {
		if !r.Time.Before(l.Until) {
			t.Errorf("row %q at %v, after the cut at %v", r.Label, r.Time, l.Until)
		}
	}
	text := strings.Join(l.Lines(80, UTF8), "\n")
	if !strings.Contains(text, "the ladder ends at") {
		t.Errorf("the text does not say where it stopped:\n%s", text)
	}
	// Build, given every packet of the tunnel as the terminal UI holds
	// them, keeps as many and ends where Collect does.
	inside, outside := rawESP()
	c := pairContext(inside, outside)
	var pkts [2][]decode.Packet
	for side, list := range [2][]decode.Packet{inside, outside} {
		member := Member(c, Subjects(c)[0], flows.Side(side))
		for _, p := range list {
			if member(&p) {
				pkts[side] = append(pkts[side], p)
			}
		}
	}
	if len(pkts[0]) <= limitPackets {
		t.Fatalf("%d inside packets: the test needs more than %d", len(pkts[0]), limitPackets)
	}
	if got := Build(c, Subjects(c)[0], pkts); !got.Truncated || !got.Until.Equal(l.Until) || !sameLines(got.Lines(80, UTF8), l.Lines(80, UTF8)) {
		t.Errorf("Build: truncated %v at %v; Collect at %v\n%s\n---\n%s", got.Truncated, got.Until, l.Until, strings.Join(got.Lines(80, UTF8), "\n"), text)
	}
}

func TestNumbers(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{
		{[]int{5, 6, 7, 9, 27, 30}, "5–7, 9, 27, 30"},
		{[]int{1, 2}, "1, 2"},
		{[]int{4}, "4"},
		{nil, ""},
	} {
		if got := numbers(tc.in, UTF8); got != tc.want {
			t.Errorf("numbers(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func golden(t *testing.T, name string, lines []string) {
	t.Helper()
	got := []byte(strings.Join(lines, "\n") + "\n")
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ladder -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./ladder -update and review the diff)\ngot:\n%s", name, got)
	}
}

// TestBlind: once the packets of the tunnels not drawn are too many to
// keep, a packet of a drawn tunnel seen in one capture only is not called
// lost: its counterpart may be among them.
func TestBlind(t *testing.T) {
	defer func(n int) { limitOthers = n }(limitOthers)
	limitOthers = 1
	s := pt.New()
	// Client B's IKE_SA_INIT, both ways, first: the other tunnel.
	s.IKE("10.0.0.3:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: 0x33, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagInitiator}, 30)
	s.IKE("198.51.100.7:500", "10.0.0.3:500", decode.IKEMessage{Version: 2, SPIi: 0x33, SPIr: 0x44, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagResponse}, 31)
	inside, _ := rawESP()
	for _, p := range inside {
		p.Time = p.Time.Add(time.Second)
		s.Add(p)
	}
	nat := pt.NAT{
		Map:    map[string]string{"10.0.0.2:500": "203.0.113.5:500", "10.0.0.2": "203.0.113.5", "10.0.0.3:500": "203.0.113.5:4000"},
		Offset: 2 * time.Second, Delay: time.Millisecond,
		Drop: func(i int, p *decode.Packet) bool {
			return p.Kind == decode.KindESP && p.ESP.SPI == 0xc0ffee01 && (p.ESP.Seq == 3 || p.ESP.Seq == 5)
		},
	}
	outside := nat.Translate(s.Packets)
	c := pairContext(s.Packets, outside)
	srcs := []flows.Source{flows.Packets("inside.pcap", s.Packets), flows.Packets("outside.pcap", outside)}
	var a Subject
	for _, sub := range Subjects(c) {
		if sub.Tunnel.Any().SPIi == spiI {
			a = sub
		}
	}
	ls, err := Collect(context.Background(), srcs, c, []Subject{a}, decode.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := ls[0]
	if l.Blind.IsZero() || l.Lost != 0 {
		t.Fatalf("blind at %v, %d lost; want blind, and nothing called lost", l.Blind, l.Lost)
	}
	row := l.Rows[len(l.Rows)-2]
	if row.Label != "ESP 0xc0ffee01 seq 1–6" || row.NotCompared != 2 || row.Crossed != 4 {
		t.Errorf("outbound ESP %q: %d crossed, %d not compared; want the 2 dropped not compared", row.Label, row.Crossed, row.NotCompared)
	}
	if notes := strings.Join(l.Notes(UTF8), "\n"); !strings.Contains(notes, "packets seen in one capture only are not compared") {
		t.Errorf("the notes do not say why:\n%s", notes)
	}
	// With room for the others, the same packets are lost.
	limitOthers = maxOthers
	ls, _ = Collect(context.Background(), srcs, c, []Subject{a}, decode.Options{})
	if ls[0].Lost != 2 || !ls[0].Blind.IsZero() {
		t.Errorf("with the others kept: %d lost, blind at %v; want 2 lost", ls[0].Lost, ls[0].Blind)
	}
}

// TestLayout: each line of the drawing says what it draws: the header,
// one line of the columns' heading, each row's lines in order (the first
// with the row's time), then the notes.
func TestLayout(t *testing.T) {
	l := collect(t, blocked4500)[0]
	for _, width := range []int{50, 80, 400} {
		laid := l.Layout(width, UTF8)
		var parts []Part
		next := 0
		for i, line := range laid {
			if n := len(parts); n == 0 || parts[n-1] != line.Part {
				parts = append(parts, line.Part)
			}
			if line.Part != PartRow {
				if line.Row != -1 {
					t.Errorf("width %d, line %d (%q): part %d names row %d", width, i, line.Text, line.Part, line.Row)
				}
				continue
			}
			switch {
			case line.Row == next:
				if want := l.Rows[next].Time.UTC().Format("15:04:05.000"); !strings.HasPrefix(line.Text, want) {
					t.Errorf("width %d: row %d starts %q, want its time %s", width, next, line.Text, want)
				}
				next++
			case line.Row != next-1:
				t.Errorf("width %d, line %d: row %d after row %d", width, i, line.Row, next-1)
			}
		}
		if want := []Part{PartHeader, PartColumns, PartRow, PartNote}; !slices.Equal(parts, want) {
			t.Errorf("width %d: parts %v, want %v", width, parts, want)
		}
		if next != len(l.Rows) {
			t.Errorf("width %d: %d rows drawn of %d", width, next, len(l.Rows))
		}
		if !sameLines(l.Lines(width, UTF8), texts(laid)) {
			t.Errorf("width %d: Layout and Lines differ", width)
		}
	}
	// Wide enough, each row takes one line.
	rows := 0
	for _, line := range l.Layout(400, UTF8) {
		if line.Part == PartRow {
			rows++
		}
	}
	if rows != len(l.Rows) {
		t.Errorf("at 400 columns %d row lines for %d rows", rows, len(l.Rows))
	}
}

func texts(ls []Line) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Text
	}
	return out
}

// keyedESP is rawESP as decoded with keys: each ESP packet carries a
// ping, the gateway's answers, but the client's sixth fails its integrity
// check; and the IKE_AUTH response, decrypted, refuses the
// authentication.
func keyedESP() (inside, outside []decode.Packet) {
	inside, _ = rawESP()
	client, gw := netip.MustParseAddr("192.0.2.17"), netip.MustParseAddr("203.0.113.1")
	for i := range inside {
		p := &inside[i]
		switch {
		case p.Kind == decode.KindESP && p.ESP.SPI == 0xc0ffee01 && p.ESP.Seq == 6:
			p.Decrypted = &decode.ESPDecryption{Status: decode.DecryptFailed, Reason: "integrity check failed with the key of esp_sa:1"}
		case p.Kind == decode.KindESP && p.ESP.SPI == 0xc0ffee01:
			p.Decrypted = &decode.ESPDecryption{Status: decode.Decrypted, NextHeader: 4,
				Inner: decode.InnerPacket{Tunnel: true, Src: client, Dst: gw, Proto: 1, Transport: true, ICMPType: 8}}
		case p.Kind == decode.KindESP:
			p.Decrypted = &decode.ESPDecryption{Status: decode.Decrypted, NextHeader: 4,
				Inner: decode.InnerPacket{Tunnel: true, Src: gw, Dst: client, Proto: 1, Transport: true}}
		case p.IKE != nil && p.IKE.Exchange == decode.ExchangeTypeIKEAuth && p.IKE.IsResponse():
			m := *p.IKE
			m.Notifies = []decode.Notify{{Type: decode.NotifyTypeAuthenticationFailed}}
			m.Decryption = &decode.Decryption{Status: decode.Decrypted, Payloads: []decode.PayloadSummary{{Type: decode.PayloadTypeNotify, Entry: 0}}}
			p.IKE = &m
		}
	}
	nat := pt.NAT{
		Map:    map[string]string{"10.0.0.2:500": "203.0.113.5:500", "10.0.0.2": "203.0.113.5"},
		Offset: 2 * time.Second, Delay: time.Millisecond,
		Drop: func(i int, p *decode.Packet) bool {
			return p.Kind == decode.KindESP && p.ESP.SPI == 0xc0ffee01 && (p.ESP.Seq == 3 || p.ESP.Seq == 5)
		},
	}
	return inside, nat.Translate(inside)
}

// TestLadderDecrypted: what keys revealed is said apart from what the
// capture shows in cleartext, marked "decrypted:" on lines of its own: an
// error notify read inside the encryption is not in the row's label; a
// run of ESP names what its packets carried, and those that did not
// decrypt.
func TestLadderDecrypted(t *testing.T) {
	l := collect(t, keyedESP)[0]
	byLabel := map[string]*Row{}
	for i := range l.Rows {
		byLabel[l.Rows[i].Label] = &l.Rows[i]
	}
	auth := byLabel["IKE_AUTH response #1"]
	if auth == nil || auth.Decrypted != "N(AUTHENTICATION_FAILED)" || auth.NotDecrypted != "" {
		t.Fatalf("the IKE_AUTH response: %+v; want its label without the notify read decrypted, and the notify as decrypted", l.Rows)
	}
	if req := byLabel["IKE_AUTH request #1"]; req == nil || req.Decrypted != "" {
		t.Errorf("the IKE_AUTH request, which was not decrypted: %+v", req)
	}
	out := byLabel["ESP 0xc0ffee01 seq 1–6"]
	if out == nil || out.Decrypted != "192.0.2.17 > 203.0.113.1 icmp echo-request ×5" || out.NotDecrypted != "1 packet: integrity check failed with the key of esp_sa:1" {
		t.Errorf("the client's ESP: decrypted %q, not %q", out.Decrypted, out.NotDecrypted)
	}
	in := byLabel["ESP 0xc0ffee02 seq 1–6"]
	if in == nil || in.Decrypted != "203.0.113.1 > 192.0.2.17 icmp echo-reply ×6" || in.NotDecrypted != "" {
		t.Errorf("the gateway's ESP: decrypted %q, not %q", in.Decrypted, in.NotDecrypted)
	}
	lines := l.Lines(80, UTF8)
	text := strings.Join(lines, "\n")
	// Each starts a line of its own, beside the lifelines.
	for _, want := range []string{"decrypted: N(AUTHENTICATION_FAILED)", "not decrypted: 1 packet: integrity"} {
		found := false
		for _, line := range lines {
			if i := strings.LastIndex(line, "│"); i >= 0 && strings.HasPrefix(strings.TrimSpace(line[i+len("│"):]), want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no row line starts %q:\n%s", want, text)
		}
	}
	// The lines that say what decryption revealed are flagged, and no
	// other: the IKE_AUTH response's one, two for each ESP run.
	flagged := 0
	for _, line := range l.Layout(80, UTF8) {
		if line.Decrypted {
			flagged++
			if strings.Contains(line.Text, "not decrypted") || line.Part != PartRow {
				t.Errorf("line %q is flagged decrypted", line.Text)
			}
		}
	}
	if flagged != 5 {
		t.Errorf("%d lines flagged decrypted, want 5", flagged)
	}
	if !strings.Contains(text, "\n  decrypted: what the keys given revealed inside the encryption") {
		t.Errorf("the notes do not say what decrypted means:\n%s", text)
	}
	golden(t, "keyed.txt", lines)
	// Without keys, none of it.
	plain := collect(t, rawESP)[0]
	for _, r := range plain.Rows {
		if r.Decrypted != "" || r.NotDecrypted != "" {
			t.Errorf("row %q without keys: decrypted %q, not %q", r.Label, r.Decrypted, r.NotDecrypted)
		}
	}
	if notes := strings.Join(plain.Notes(UTF8), "\n"); strings.Contains(notes, "decrypted") {
		t.Errorf("notes without keys: %s", notes)
	}
}

// TestLabelNotifies: an error notify in cleartext names the row; read
// decrypted, it does not (the row says it as decrypted).
func TestLabelNotifies(t *testing.T) {
	m := decode.IKEMessage{Version: 2, Exchange: decode.ExchangeTypeIKEAuth, MessageID: 1, Flags: decode.IKEv2FlagResponse,
		Notifies: []decode.Notify{{Type: decode.NotifyTypeAuthenticationFailed}}}
	p := &decode.Packet{Kind: decode.KindIKE, IKE: &m}
	if got := label(p, KindIKE); got != "IKE_AUTH response #1: AUTHENTICATION_FAILED" {
		t.Errorf("cleartext: %q", got)
	}
	m.Decryption = &decode.Decryption{Status: decode.Decrypted, Payloads: []decode.PayloadSummary{{Type: decode.PayloadTypeNotify, Entry: 0}}}
	if got := label(p, KindIKE); got != "IKE_AUTH response #1" {
		t.Errorf("decrypted: %q", got)
	}
}
