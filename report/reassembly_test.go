package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
	"github.com/vpnpcap/vpnpcap/rules"
)

// TestReassemblyGivenUp: the datagrams given up for reassembly's bounds are
// in the capture's JSON by bound, and in the text report; those that
// timed out are not.
func TestReassemblyGivenUp(t *testing.T) {
	s := pt.New()
	s.Other(17, "10.0.0.2:53000", "192.0.2.53:53", 77)
	fault := func(k decode.FaultKind) decode.Fault {
		return decode.Fault{Kind: k, Layer: "ipv4", Offset: -1, Message: "ipv4: given up"}
	}
	dgram := func(k decode.FaultKind, fragments, octets int) {
		first := s.Add(decode.Packet{Kind: decode.KindIPFragment, Proto: 17, Src: pt.AddrPort("10.0.0.2").Addr(), Dst: pt.AddrPort("198.51.100.7").Addr(),
			Fragment: decode.Fragment{ID: 9, More: true}}).Frame
		p := s.Add(decode.Packet{Kind: decode.KindMalformed, Proto: 17, Src: pt.AddrPort("10.0.0.2").Addr(), Dst: pt.AddrPort("198.51.100.7").Addr(),
			Fragments: fragments, FragmentOctets: octets, Fault: fault(k)})
		p.FirstFrame = first
	}
	dgram(decode.FaultFragmentsTimedOut, 1, 1480)
	dgram(decode.FaultFragmentsEvictedBytes, 40, 59200) // frames 4 and 5
	dgram(decode.FaultFragmentsEvictedBytes, 2, 2960)
	a := flows.Analyze(flows.Packets("flood.pcap", s.Packets), decode.Options{KeepOther: true}, flows.Options{})
	c := rules.NewContext(a, nil)

	var b bytes.Buffer
	if err := WriteJSON(&b, Build(c, nil, nil, Options{})); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Captures []struct {
			Reassembly map[string]map[string]int `json:"reassembly"`
		} `json:"captures"`
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int{"by_bytes": {"bound": decode.DefaultMaxFragmentBytes, "datagrams": 2, "fragments": 42, "octets": 62160, "first_frame": 4}}
	if len(back.Captures) != 1 || !equalNested(back.Captures[0].Reassembly, want) {
		t.Errorf("reassembly = %v, want %v", back.Captures, want)
	}

	b.Reset()
	if err := WriteText(&b, single(c, nil, Options{}), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	line := "IP reassembly full (4 MiB of buffers): 2 datagrams (42 fragments, 62,160 octets) given up unreassembled from frame 4 (VP907)"
	if text := strings.Join(strings.Fields(b.String()), " "); !strings.Contains(text, line) || strings.Count(text, "IP reassembly") != 1 {
		t.Errorf("text report lacks %q, once:\n%s", line, b.Bytes())
	}

	// The same line in what check writes of each capture.
	b.Reset()
	if err := WriteCheckText(&b, NewCheck("flood", c, nil, nil, Options{}), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(strings.Fields(b.String()), " "); !strings.Contains(text, line) {
		t.Errorf("check text lacks %q:\n%s", line, b.Bytes())
	}

	// Nothing given up for a bound: no field, no line.
	a = flows.Analyze(flows.Packets("flood.pcap", s.Packets[:3]), decode.Options{KeepOther: true}, flows.Options{})
	if r := Build(rules.NewContext(a, nil), nil, nil, Options{}).Captures[0].Reassembly; r != nil {
		t.Errorf("reassembly = %+v for a datagram that timed out, want none", r)
	}
}

func equalNested(a, b map[string]map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, m := range a {
		if len(m) != len(b[k]) {
			return false
		}
		for kk, v := range m {
			if w, ok := b[k][kk]; !ok || w != v {
				return false
			}
		}
	}
	return true
}
