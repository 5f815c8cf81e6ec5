package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

// A report bounded to 2 of each kind lists the first two tunnels and the
// one a finding names, counts the others, bounds an ESP group's SAs and
// SPIs, and says so in the text report; unbounded, it lists every one.
func TestBoundLists(t *testing.T) {
	r := &Report{Schema: Schema, PPTP: []PPTPSession{},
		Findings: []rules.Finding{{RuleID: "VP101", Tunnel: 5, Evidence: []rules.Evidence{}}}}
	for id := 1; id <= 6; id++ {
		r.Tunnels = append(r.Tunnels, Tunnel{ID: id})
	}
	g := ESPGroup{ID: 1}
	for i := 0; i < 5; i++ {
		g.SPIs = append(g.SPIs, "0x0000000"+string(rune('1'+i)))
		g.ESPSAs = append(g.ESPSAs, ESPSA{SPI: g.SPIs[i]})
	}
	r.ESPGroups = []ESPGroup{g}
	c := &Check{Name: "x.pcap", Detail: r, Findings: []CheckFinding{{Finding: r.Findings[0]}}}
	for _, tn := range r.Tunnels {
		c.Tunnels = append(c.Tunnels, CheckTunnel{ID: tn.ID})
	}
	b := NewBatch(FailOn{None: true}, nil)
	b.Add(c)
	b.BoundLists(2)

	var out bytes.Buffer
	if err := WriteJSON(&out, r); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Tunnels   []struct{ ID int }
		ESPGroups []struct {
			SPIs   []string `json:"spis"`
			ESPSAs []any    `json:"esp_sas"`
		} `json:"esp_groups"`
		Omitted *Omitted
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, tn := range got.Tunnels {
		ids = append(ids, tn.ID)
	}
	if len(ids) != 3 || ids[0] != 1 || ids[1] != 2 || ids[2] != 5 {
		t.Errorf("tunnels listed %v, want 1, 2 and 5 (the one a finding names)", ids)
	}
	want := Omitted{MaxListed: 2, Tunnels: 3, ESPSAs: 3, SPIs: 3}
	if got.Omitted == nil || *got.Omitted != want {
		t.Errorf("omitted %+v, want %+v", got.Omitted, want)
	}
	if len(got.ESPGroups) != 1 || len(got.ESPGroups[0].SPIs) != 2 || len(got.ESPGroups[0].ESPSAs) != 2 {
		t.Errorf("ESP group lists %+v, want 2 SPIs and 2 SAs", got.ESPGroups)
	}
	if len(r.Tunnels) != 6 || len(r.ESPGroups[0].ESPSAs) != 5 {
		t.Error("bounding the JSON changed the report itself")
	}

	out.Reset()
	if err := WriteBatchJSON(&out, b); err != nil {
		t.Fatal(err)
	}
	var batch struct {
		Checks []struct {
			Tunnels []struct{ ID int }
			Omitted *Omitted
		}
	}
	if err := json.Unmarshal(out.Bytes(), &batch); err != nil {
		t.Fatal(err)
	}
	if ch := batch.Checks[0]; len(ch.Tunnels) != 3 || ch.Tunnels[2].ID != 5 || ch.Omitted == nil || ch.Omitted.Tunnels != 3 {
		t.Errorf("check lists %+v, omitted %+v; want tunnels 1, 2, 5 and 3 omitted", ch.Tunnels, ch.Omitted)
	}
	if note := c.jsonNote(); !strings.Contains(note, "lists 2 of each kind") || !strings.Contains(note, "--max-listed 0") {
		t.Errorf("text note %q does not say the JSON report is bounded", note)
	}

	b.BoundLists(0)
	out.Reset()
	if err := WriteJSON(&out, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), `"omitted"`) || strings.Count(out.String(), `"spi_i"`) != 6 {
		t.Errorf("unbounded, the report still leaves some out:\n%s", out.String())
	}
	if note := c.jsonNote(); note != "the JSON report lists every one" {
		t.Errorf("unbounded, the text note says %q", note)
	}
}

// The note on rows a list left out says one in the singular and counts
// with separators, in the text report and the Markdown and HTML ones alike.
func TestOmittedNote(t *testing.T) {
	r := &Report{}
	if got := omittedNote(r, 1, "tunnel", "tunnels"); got != "… and 1 more tunnel, not listed here (the JSON report lists every one)" {
		t.Errorf("one: %q", got)
	}
	if got := omittedNote(r, 999900, "tunnel", "tunnels"); !strings.HasPrefix(got, "… and 999,900 more tunnels,") {
		t.Errorf("many: %q", got)
	}
	nt := namedTable{}.counted(r, 1, "group", "groups")
	if len(nt.Notes) != 1 || !strings.Contains(nt.Notes[0], "1 more group,") {
		t.Errorf("a table of none of 1 group notes %q", nt.Notes)
	}
}

// A report built from a run makes rows of its NAT mappings as each format
// shows them: the JSON report lists the first MaxListed in the
// correlation's order and counts the rest, or every one when unbounded;
// the text report shows the first MaxShown and says how many more.
func TestMappingRows(t *testing.T) {
	const n = MaxShown + 5
	r := reportOfMappings(n)
	listed := func(max int) (inside []string, omitted *Omitted) {
		r.maxListed = max
		var out bytes.Buffer
		if err := WriteJSON(&out, r); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Mappings []struct{ Inside string }
			Omitted  *Omitted
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		for _, m := range got.Mappings {
			inside = append(inside, m.Inside)
		}
		return inside, got.Omitted
	}
	if in, o := listed(2); !slices.Equal(in, []string{"10.0.0.1:1000", "10.0.0.1:1001"}) || o == nil || o.Mappings != n-2 {
		t.Errorf("bounded to 2: lists %v, omitted %+v; want the first two and %d omitted", in, o, n-2)
	}
	if in, o := listed(0); len(in) != n || in[n-1] != fmt.Sprintf("10.0.0.1:%d", 1000+n-1) || o != nil {
		t.Errorf("unbounded: lists %d mappings (last %v), omitted %+v; want all %d", len(in), in[len(in)-1:], o, n)
	}
	// Without mappings the JSON report still lists them, as none.
	var none bytes.Buffer
	if err := WriteJSON(&none, reportOfMappings(0)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(none.String(), `"mappings": []`) {
		t.Errorf("a report without mappings does not list them as none:\n%s", none.String())
	}
	var text bytes.Buffer
	tw := newTextWriter(&text, TextOptions{})
	tw.mappings(r)
	if got := strings.Count(text.String(), "10.0.0.1:"); got != MaxShown {
		t.Errorf("text shows %d mappings, want %d", got, MaxShown)
	}
	if !strings.Contains(text.String(), "and 5 more NAT mappings") {
		t.Errorf("text does not say 5 more:\n%s", text.String())
	}
}

// Adding a check to a batch, and bounding its lists, makes rows of no more
// NAT mappings than the JSON report lists: a pair of captures of a busy
// NAT has a hundred thousand.
func TestBoundingMakesFewMappingRows(t *testing.T) {
	r := reportOfMappings(20_000)
	allocs := testing.AllocsPerRun(3, func() {
		b := NewBatch(FailOn{None: true}, nil)
		b.Add(&Check{Name: "pair", Detail: r})
		b.BoundLists(10)
	})
	// Each row takes a few allocations (its endpoints' and times' text).
	if allocs > 2_000 {
		t.Errorf("adding and bounding a check of 20,000 NAT mappings took %.0f allocations: rows were made of mappings no report lists", allocs)
	}
}

// reportOfMappings returns a report of a pair of captures, as Build makes
// it, with n UDP mappings of inside port 1000+i onto outside port 2000+i.
func reportOfMappings(n int) *Report {
	r := &Report{Schema: Schema, Correlation: &Correlation{}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		r.natMappings = append(r.natMappings, &flows.Mapping{Protocol: flows.ProtoUDP,
			Inside:  netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(1000+i)),
			Outside: netip.AddrPortFrom(netip.MustParseAddr("198.51.100.1"), uint16(2000+i)),
			First:   t0, Last: t0})
	}
	return r
}
