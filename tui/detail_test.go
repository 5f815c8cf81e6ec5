package tui

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/vpnpcap/vpnpcap/decode"
	pcapfile "github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/decode/dissect"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// decodedFrame is one packet of a capture with its frame.
type decodedFrame struct {
	p   decode.Packet
	rec pcapfile.Record
}

// readFrames decodes a capture file and keeps every packet with its frame.
func readFrames(t *testing.T, path string) []decodedFrame {
	t.Helper()
	r, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := decode.NewDecoder(decode.Options{KeepOther: true})
	var out []decodedFrame
	var rec pcapfile.Record
	for {
		if err := r.Next(&rec); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		own := ownRecord(&rec)
		for _, p := range d.Decode(&rec) {
			out = append(out, decodedFrame{p, own})
		}
	}
	return out
}

// TestDecodePane shows the tree of a NAT-D notify from its frame: the first
// line names the capture, a field's notes are dim lines under it before
// its children, its tone colours it, and selecting a field or its note
// highlights the field's bytes.
func TestDecodePane(t *testing.T) {
	in, _ := samplePair(t, "natt-ok")
	var f *decodedFrame
	for _, df := range readFrames(t, in) {
		if df.p.Kind == decode.KindIKE && len(df.p.IKE.NATD) > 0 {
			f = &df
			break
		}
	}
	if f == nil {
		t.Fatal("natt-ok has no IKE message with NAT-D")
	}
	a := &App{st: newStyles(false)}
	a.hex = newHexView(a)
	a.hex.setData(f.rec.Data, "", "")
	d := newDetailView(a)
	root := decodeTree(&f.p, &f.rec, "inside.pcap")
	d.setTrees([2]*dissect.Node{root, nil}, [2]string{"frame 3 of inside.pcap"}, flows.SideInside, false)
	if got := d.root.side[0].text; got != "Frame 3 of inside.pcap: "+root.Value {
		t.Errorf("first line %q", got)
	}
	var natd *pnode
	var walk func(p *pnode)
	walk = func(p *pnode) {
		if t := p.side[0]; natd == nil && !t.note && len(t.field.Notes) > 0 && t.field.Tone != dissect.Plain {
			natd = p
		}
		for _, k := range p.kids {
			walk(k)
		}
	}
	walk(d.root)
	if natd == nil {
		t.Fatal("no NAT-D field with a note and a tone")
	}
	field := natd.side[0].field
	want := a.st.good
	if field.Tone == dissect.Bad {
		want = a.st.bad
	}
	l := d.textLine(tline{p: natd, prefix: "├─▸ "}, flows.SideInside, false)
	if got := l[len(l)-1].st; got != want {
		t.Errorf("%q: style %v, want the tone's %v", natd.side[0].text, got, want)
	}
	if string(l[2].r) != "▸" || l[0].st != a.st.dim {
		t.Errorf("%q: the tree graphics are not drawn dim before the text", natd.side[0].text)
	}
	kids := natd.kids
	if len(kids) != len(field.Notes)+len(field.Children) || kids[0].side[0].text != field.Notes[0] || !kids[0].side[0].note {
		t.Fatalf("%q: children %d, want its note then its %d fields", natd.side[0].text, len(kids), len(field.Children))
	}
	if l := d.textLine(tline{p: kids[0]}, flows.SideInside, false); l[len(l)-1].st != a.st.dim {
		t.Errorf("the note is not dim")
	}
	d.cur = kids[0]
	a.fieldSelected(d.selectedField())
	if a.hex.mark != [2]int{field.Start, field.End} || !field.HasBytes() {
		t.Errorf("selecting the note marks %v, want the field's bytes [%d,%d)", a.hex.mark, field.Start, field.End)
	}
}

// TestICMPErrorsInTunnel checks that a tunnel's packets include the ICMP
// errors that quote them, with a summary line: in the lab's natt-rebind
// outside capture, the NAT's port unreachable for the gateway's ESP to a
// stale port (frames 23 and 26, TRUTH.md).
func TestICMPErrorsInTunnel(t *testing.T) {
	dir := filepath.Join(corpus.LabDir(t), "natt-rebind")
	out := filepath.Join(dir, "outside.pcap")
	m := fileModel(t, filepath.Join(dir, "inside.pcap"), out)
	member := subject{view: m.rc.Tunnels[0]}.member(m, flows.SideOutside)
	var frames []int
	for _, df := range readFrames(t, out) {
		if df.p.Kind == decode.KindICMPError {
			if !member(&df.p) {
				t.Errorf("frame %d: the ICMP error is not among the tunnel's packets", df.p.Frame)
			}
			frames = append(frames, df.p.Frame)
			want := "Port unreachable for udp-esp 198.51.100.2:4500 → 198.51.100.1:1042 spi 0x7aa865d2"
			if got := dissect.Summary(&df.p); got != want {
				t.Errorf("summary = %q, want %q", got, want)
			}
		}
	}
	if len(frames) != 2 || frames[0] != 23 || frames[1] != 26 {
		t.Errorf("ICMP errors at %v, want 23 and 26", frames)
	}
}

// TestNotesWrap draws a NAT-D field's note, a sentence, in a narrow pane:
// it wraps under its first word rather than being cut.
func TestNotesWrap(t *testing.T) {
	in, _ := samplePair(t, "natt-ok")
	var f *decodedFrame
	for _, df := range readFrames(t, in) {
		if df.p.Kind == decode.KindIKE && len(df.p.IKE.NATD) > 0 {
			f = &df
			break
		}
	}
	if f == nil {
		t.Fatal("natt-ok has no IKE message with NAT-D")
	}
	a := &App{st: newStyles(false)}
	a.hex = newHexView(a)
	d := newDetailView(a)
	d.setTrees([2]*dissect.Node{decodeTree(&f.p, &f.rec, "inside.pcap"), nil}, [2]string{"frame 3"}, flows.SideInside, false)
	// Select the first note, whose line is the longest of the tree.
	var note *pnode
	var walk func(p *pnode)
	walk = func(p *pnode) {
		if note == nil && p.side[0].note {
			note = p
		}
		for _, k := range p.kids {
			walk(k)
		}
	}
	walk(d.root)
	if note == nil {
		t.Fatal("no note in the tree")
	}
	for p := note.parent; p != nil; p = p.parent {
		p.open = true
	}
	d.cur = note
	s := tcell.NewSimulationScreen("UTF-8")
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	defer s.Fini()
	s.SetSize(50, 30)
	d.SetRect(0, 0, 50, 30)
	d.Draw(s)
	s.Show()
	cells, w, _ := s.GetContents()
	var words []string
	_, top, _, _ := d.GetInnerRect()
	for i, p := range d.rowLines {
		if p != note {
			continue
		}
		y := top + i
		var b strings.Builder
		for x := 0; x < w; x++ {
			b.WriteString(string(cells[y*w+x].Runes))
		}
		row := strings.TrimRight(b.String(), " ")
		if strings.Contains(row, "…") {
			t.Errorf("row %d is cut: %q", y, row)
		}
		words = append(words, strings.Fields(strings.Trim(row, "│║ "))...)
	}
	n := 0
	for _, p := range d.rowLines {
		if p == note {
			n++
		}
	}
	if n < 2 {
		t.Errorf("the note takes %d rows of a 50-column pane, want it wrapped", n)
	}
	text := strings.Join(words, " ")
	if len(words) == 0 || !strings.Contains(text, note.side[0].text) || !strings.Contains(strings.Join(strings.Fields(note.side[0].text), " "), strings.Join(words[1:], " ")) {
		t.Errorf("the note %q is not on the screen whole:\n%s", note.side[0].text, text)
	}
}
