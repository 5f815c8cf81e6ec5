package decode

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// tsharkExplained is a disagreement with tshark that is understood: the
// capture (relative to the corpus directory), the frame, the field as
// TestTsharkDiff names it ("isakmp.payloads"; the protocol alone when one
// side has the protocol and the other does not), and why the Decoder's
// reading is the one kept.
type tsharkExplained struct {
	file   string
	frame  int
	field  string
	reason string
}

// truncatedFirstFragment explains the captures whose only IKE or ESP is in
// the first fragment of a datagram that the snap length cut short.
const truncatedFirstFragment = "the frame is the first fragment of an IPv4 datagram (More Fragments set, " +
	"offset 0; RFC 791 §3.1) captured shorter than it was sent: its data is incomplete, so the datagram " +
	"can never be reassembled (RFC 791 §3.2) and vpnpcap reports the fragment and a malformed datagram. " +
	"tshark, unable to reassemble it, dissects the first fragment's partial payload as if it were whole."

// ikeWithoutMarker explains an IKE message sent on UDP 4500 without the
// non-ESP marker.
const ikeWithoutMarker = "the UDP 4500 payload is a whole IKEv1 header (version 1.0, Identity Protection, " +
	"length 1324 = the payload's length) with no non-ESP marker in front, which RFC 3948 §2.2 requires " +
	"there. tshark applies the §2 split as a receiver would and dissects ESP with SPI 0x80010203 and " +
	"sequence number 0x04050607, the initiator's IKE SPI; vpnpcap decodes the IKE message and marks the " +
	"missing marker, so that the violation is reported instead of an ESP SA that does not exist."

// payload15 explains Cisco's pre-RFC 3947 NAT-D (see ike_payloads.go).
const payload15 = "the two payloads of type 15 are Cisco IOS's NAT-D of draft-ietf-ipsec-nat-t-ike-07 §3.2, " +
	"sent before RFC 3947 §3.2 assigned NAT-D the number 20; vpnpcap lists both. tshark 4.0 dissects " +
	"15 as the GDOI SA KEK payload (RFC 6407 §5), finds a hash where the KEK's fields should be, marks " +
	"the frame malformed and lists no payload after the first 15."

// tsharkExplainedDiffs lists every known disagreement between the Decoder
// and tshark 4.0 over the public corpus. An entry that no longer matches a
// disagreement fails the test, so the list cannot outlive what it explains.
var tsharkExplainedDiffs = []tsharkExplained{
	{"tcpdump/ISAKMP_sa_setup.pcap", 3, "isakmp.payloads", payload15},
	{"tcpdump/ISAKMP_sa_setup.pcap", 4, "isakmp.payloads", payload15},
	{"zeek-spicy-ipsec/ipsec-ikev1-payload-bad-length.pcap", 1, "isakmp.payloads",
		"the Vendor ID payload after the SA has Payload Length 3, less than its own 4-octet generic header " +
			"(RFC 2408 §3.2), so it delimits nothing and the chain cannot be walked past it: vpnpcap lists " +
			"the payloads before it and reports the message malformed. tshark lists the bogus payload, " +
			"reads another header 3 octets on, inside it, and stops at its length of 7297."},
	{"tcpdump/isakmp-delete-segfault.pcap", 1, "isakmp",
		"the UDP Length field says 456 octets and the IP datagram carries 146 (RFC 768: the length counts " +
			"the header and the data): vpnpcap reports malformed UDP and reads no payload; tshark flags the " +
			"bad length and dissects the payload anyway, as ISAKMP of major version 11 (RFC 2408 §3.1 " +
			"defines 1), and marks it malformed."},
	{"tcpdump/gre-heapoverflow-2.pcap", 2, "gre",
		"the GRE header has the Routing bit set (RFC 1701 §2.1) and its source route entry runs past the " +
			"48 captured octets: vpnpcap reports malformed GRE; tshark shows the fixed header fields in front " +
			"of the routing and stops there."},
	{"tcpdump/esp_truncated.pcap", 1, "esp", truncatedFirstFragment},
	{"Openswan/xf88-v1certQI1/v1certN3.pcap", 1, "isakmp", ikeWithoutMarker},
	{"Openswan/xf88-v1certQI1/v1certN3.pcap", 1, "esp", ikeWithoutMarker},
	{"tcpdump/ikev1_id_ipv6_addr_subnet-oobr.pcap", 1, "isakmp", truncatedFirstFragment},
	{"tcpdump/isakmp-ikev1_n_print-oobr.pcap", 1, "isakmp", truncatedFirstFragment},
	{"tcpdump/isakmp-ikev1_n_print-oobr.pcap", 3, "isakmp", truncatedFirstFragment},
	{"tcpdump/isakmp-various-oobr.pcap", 1, "isakmp", truncatedFirstFragment},
	{"tcpdump/isakmpv1-attr-oobr.pcap", 1, "isakmp", truncatedFirstFragment},
}

// tsharkDecodeAs are the Decode As rules (tshark -d) a capture needs for
// tshark to dissect it as the Decoder does; paths are relative to the
// captures directory. The NAT of natt-rebind-mobike mapped the client's
// NAT-T flow to UDP 3452, which tshark reads as SABP (its TRUTH.md gives
// the same rule); the Decoder reads it by the other port, 4500.
var tsharkDecodeAs = map[string][]string{
	"lab/natt-rebind-mobike/outside.pcap": {"udp.port==3452,udpencap"},
}

// tsharkDiffProtocols are the protocols of which the corpus has instances
// that both sides see; a run over the whole corpus that compared none of
// one has lost a field name or a dissector.
var tsharkDiffProtocols = []string{"isakmp", "esp", "ah", "gre", "pptp", "nat-keepalive"}

// TestTsharkDiff decodes every capture of the public corpus with ReadFile
// and compares, frame by frame, what it reports with what tshark dissects
// in the same frames: the IKE header (version, exchange, SPIs, message ID,
// flags, length, next payload), the types of the top-level payloads and
// the non-ESP marker (RFC 2408 §3.1, RFC 7296 §3.1, RFC 3948 §2.2); ESP
// and AH SPI and sequence number, and whether the ESP was in UDP (RFC 4303
// §2, RFC 4302 §2, RFC 3948 §2.1); the NAT-T keepalive (RFC 3948 §2.3);
// the outer GRE header of the frame (version, protocol, key, or call ID and
// payload length, sequence and acknowledgment numbers: RFC 2784 §2,
// RFC 2890 §2, RFC 2637 §4.1); and each PPTP control message's type, call
// IDs and result and error codes (RFC 2637 §2); and each ICMP or ICMPv6
// error that quotes VPN traffic: its type, code and MTU, the quoted
// addresses, protocol and ports, and the quoted ESP or AH SPI and sequence
// number, IKE SPIs, GRE version and key or call ID (RFC 792, RFC 4443 §3).
// It covers the public corpus and the lab captures. Every disagreement
// must be listed in tsharkExplainedDiffs. It also checks that no capture makes the
// Decoder panic and that its Stats account for every frame tshark reads.
//
// tshark runs once per capture, in parallel subtests. The test is skipped
// when tshark is not installed, except under CI (CI set in the
// environment), where it fails.
func TestTsharkDiff(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tshark not found under CI: %v", err)
		}
		t.Skipf("tshark not installed: %v", err)
	}
	dir := corpus.Dir(t)
	files := corpus.Files(t)
	configDir := t.TempDir()

	explained := map[string][]tsharkExplained{}
	for _, e := range tsharkExplainedDiffs {
		explained[e.file] = append(explained[e.file], e)
	}
	for f := range explained {
		if !slices.Contains(files, f) && !strings.HasPrefix(f, "lab/") {
			t.Errorf("tsharkExplainedDiffs names %s, which is not in the corpus", f)
		}
	}
	var (
		mu    sync.Mutex
		total vpnDiffCounts
	)
	t.Run("file", func(t *testing.T) {
		for _, f := range files {
			t.Run(f, func(t *testing.T) {
				t.Parallel()
				c := diffCapture(t, tshark, configDir, dir, f, explained[f])
				mu.Lock()
				total.merge(&c)
				mu.Unlock()
			})
		}
	})
	// The lab captures, taken on both sides of a real NAT, hold what the
	// public corpus lacks: ICMP errors that quote ESP-in-UDP and enhanced
	// GRE. Their paths are relative to the captures directory.
	t.Run("lab", func(t *testing.T) {
		labDir := corpus.LabDir(t)
		var lab vpnDiffCounts
		for _, f := range corpus.LabFiles(t) {
			name := filepath.ToSlash(filepath.Join("lab", f))
			t.Run(f, func(t *testing.T) {
				c := diffCapture(t, tshark, configDir, filepath.Dir(labDir), name, explained[name])
				mu.Lock()
				lab.merge(&c)
				mu.Unlock()
			})
		}
		t.Logf("lab: %d captures, %d frames; protocol instances compared: %s", lab.files, lab.frames, lab.instanceSummary())
		if !t.Failed() && lab.instances["icmp"] == 0 {
			t.Errorf("no icmp instance compared over the lab captures")
		}
		total.merge(&lab)
	})
	t.Logf("%s", tsharkVersion(tshark))
	t.Logf("%d captures, %d frames; %d frames with VPN protocols compared, %d fields compared; "+
		"protocol instances compared: %s; %d explained disagreements; "+
		"%d VPN layers inside GRE not compared (vpnpcap does not decode GRE payloads)",
		total.files, total.frames, total.compared, total.fields, total.instanceSummary(),
		total.explained, total.tunnelled)
	if total.files == len(files) && !t.Failed() {
		for _, p := range tsharkDiffProtocols {
			if total.instances[p] == 0 {
				t.Errorf("no %s instance compared over the whole corpus", p)
			}
		}
	}
}

// diffCapture compares the capture file (relative to the corpus directory
// dir) and reports every disagreement that explained does not list, and
// every entry of explained that matched none.
func diffCapture(t *testing.T, tshark, configDir, dir, file string, explained []tsharkExplained) vpnDiffCounts {
	t.Helper()
	path := filepath.Join(dir, file)
	frames, complaint, err := runTshark(context.Background(), tshark, configDir, path, tsharkDecodeAs[file]...)
	if err != nil {
		t.Fatal(err)
	}
	if complaint != "" {
		t.Logf("tshark: %s", complaint)
	}

	ours := map[int]*vpnFacts{}
	st, readErr, panicked := readFileNoPanic(path, func(p *Packet) {
		f := ours[p.Frame]
		if f == nil {
			f = &vpnFacts{}
			ours[p.Frame] = f
		}
		packetVPNFacts(f, p)
	})
	if panicked != "" {
		t.Fatalf("ReadFile panicked: %s", panicked)
	}
	if readErr != nil {
		t.Logf("ReadFile: %v", readErr)
	}
	if st.Accounted() != st.Frames {
		t.Errorf("Stats account for %d of %d frames: %+v", st.Accounted(), st.Frames, st)
	}
	if st.Frames != len(frames) {
		t.Errorf("ReadFile decoded %d frames, tshark read %d", st.Frames, len(frames))
	}

	counts := vpnDiffCounts{files: 1, frames: len(frames)}
	theirs := map[int]*vpnFacts{}
	for i := range frames {
		facts, tunnelled := tsharkFacts(&frames[i])
		counts.tunnelled += tunnelled
		theirs[frames[i].number] = &facts
	}
	for _, n := range sortedFrameNumbers(ours) {
		if theirs[n] == nil {
			t.Errorf("the Decoder reports packets at frame %d, which tshark does not read", n)
		}
	}
	used := make([]bool, len(explained))
	for _, n := range sortedFrameNumbers(theirs) {
		o := ours[n]
		if o == nil {
			o = &vpnFacts{}
		}
	diffs:
		for _, d := range compareVPNFacts(n, o, theirs[n], &counts) {
			for i, e := range explained {
				if e.frame == d.frame && e.field == d.field {
					used[i] = true
					counts.explained++
					t.Logf("explained: %s: %s", d, e.reason)
					continue diffs
				}
			}
			t.Errorf("unexplained disagreement: %s\n\tto explain it: {%q, %d, %q, reason}",
				d, file, d.frame, d.field)
		}
	}
	for i, e := range explained {
		if !used[i] {
			t.Errorf("explained disagreement no longer seen, remove it: frame %d %s: %s", e.frame, e.field, e.reason)
		}
	}
	return counts
}

// readFileNoPanic runs ReadFile with the zero Options and turns a panic
// into its message and stack, so that the failure names the capture.
func readFileNoPanic(path string, fn func(*Packet)) (st Stats, err error, panicked string) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprintf("%v\n%s", r, debug.Stack())
		}
	}()
	st, err = ReadFile(path, Options{}, fn)
	return st, err, ""
}

// tsharkDiffFixture has the shape of tshark 4.0's -T json -J output for
// five frames, cut down to the fields TestTsharkDiff reads: IKEv2 behind
// the non-ESP marker on UDP 4500 (an SA payload whose nested proposal must
// not count as a top-level payload), enhanced GRE carrying GRE, a TCP
// segment with two PPTP control messages, which tshark prints as repeated
// keys, an ICMP port unreachable quoting ESP in UDP (tshark prints the
// quoted IP and UDP headers inside the ICMP layer and the ESP after it), and
// one quoting DNS, which the comparison leaves out.
const tsharkDiffFixture = `[
 {"_source": {"layers": {
  "frame": {"frame.number": "1", "frame.protocols": "eth:ethertype:ip:udp:udpencap:isakmp"},
  "eth": {"filtered": "eth"},
  "udpencap": {"udpencap.non_esp_marker": ""},
  "isakmp": {
   "isakmp.ispi": "00:01:02:03:04:05:06:07", "isakmp.rspi": "00:00:00:00:00:00:00:00",
   "isakmp.nextpayload": "33", "isakmp.version": "0x20",
   "isakmp.version_tree": {"isakmp.mjver": "0x02", "isakmp.mnver": "0x00"},
   "isakmp.exchangetype": "34", "isakmp.flags": "0x08", "isakmp.messageid": "0x00000000",
   "isakmp.length": "300",
   "isakmp.typepayload": "33",
   "isakmp.typepayload_tree": {"isakmp.nextpayload": "34", "isakmp.typepayload": "2",
    "isakmp.typepayload_tree": {"isakmp.nextpayload": "0"}},
   "isakmp.typepayload": "34",
   "isakmp.typepayload_tree": {"isakmp.nextpayload": "40"},
   "isakmp.typepayload": "40"}}}},
 {"_source": {"layers": {
  "frame": {"frame.number": "2", "frame.protocols": "eth:ethertype:ip:gre:ip:gre"},
  "gre": {"gre.flags_and_version": "0x3081", "gre.proto": "0x880b",
   "gre.key.payload_length": "103", "gre.key.call_id": "6016",
   "gre.sequence_number": "430001", "gre.ack_number": "539254"},
  "ip": {"filtered": "ip"},
  "gre": {"gre.flags_and_version": "0x2000", "gre.proto": "0x0800", "gre.key": "0x00000028"}}}},
 {"_source": {"layers": {
  "frame": {"frame.number": "3", "frame.protocols": "eth:ethertype:ip:tcp:pptp"},
  "_ws.malformed": {"_ws.malformed": "Malformed Packet"},
  "pptp": {"pptp.type": "1", "pptp.control_message_type": "8", "pptp.call_id": "11755",
   "pptp.peer_call_id": "0", "pptp.out_result": "1", "pptp.error": "0"},
  "pptp": {"pptp.type": "1", "pptp.control_message_type": "5"}}}},
 {"_source": {"layers": {
  "frame": {"frame.number": "4", "frame.protocols": "eth:ethertype:ip:icmp:ip:udp:udpencap:esp"},
  "icmp": {"icmp.type": "3", "icmp.code": "3",
   "ip": {"ip.proto": "17", "ip.src": "198.51.100.2", "ip.dst": "198.51.100.1"},
   "udp": {"udp.srcport": "4500", "udp.dstport": "1042"}},
  "udpencap": "UDP Encapsulation of IPsec Packets",
  "esp": {"esp.spi": "0x7aa865d2", "esp.sequence": "7"}}}},
 {"_source": {"layers": {
  "frame": {"frame.number": "5", "frame.protocols": "eth:ethertype:ip:icmp:ip:udp:dns"},
  "icmp": {"icmp.type": "3", "icmp.code": "3",
   "ip": {"ip.proto": "17", "ip.src": "192.0.2.1", "ip.dst": "192.0.2.2"},
   "udp": {"udp.srcport": "40000", "udp.dstport": "53"}}}}}
]`

// tsharkDiffFixturePackets are the packets the Decoder would report for
// tsharkDiffFixture's frames.
func tsharkDiffFixturePackets() []Packet {
	return []Packet{
		{Frame: 1, Kind: KindIKE, NonESPMarker: true, IKE: &IKEMessage{
			Version: 2, SPIi: 0x0001020304050607, Exchange: ExchangeTypeIKESAInit,
			Flags: IKEv2FlagInitiator, Length: 300, NextPayload: 33,
			Payloads: []PayloadSummary{{Type: 33}, {Type: 34}, {Type: 40}},
		}},
		{Frame: 2, Kind: KindGRE, GRE: GREInfo{Version: 1, Protocol: 0x880b, KeyPresent: true,
			SeqPresent: true, AckPresent: true, Key: 103<<16 | 6016, CallID: 6016, PayloadLen: 103,
			Seq: 430001, Ack: 539254}},
		{Frame: 3, Kind: KindPPTP, PPTP: PPTPInfo{Type: PPTPMessageTypeOutgoingCallReply,
			CallID: 11755, HasCallID: true, HasPeerCall: true, ResultCode: 1}},
		{Frame: 3, Kind: KindPPTP, PPTP: PPTPInfo{Type: PPTPMessageTypeEchoRequest}},
		{Frame: 4, Kind: KindICMPError, ICMP: &ICMPError{Type: 3, Code: 3, Quote: ICMPQuote{
			Src: netip.MustParseAddr("198.51.100.2"), Dst: netip.MustParseAddr("198.51.100.1"), Proto: 17,
			SrcPort: 4500, DstPort: 1042, Kind: KindUDPESP, ESP: ESPInfo{SPI: 0x7aa865d2, Seq: 7},
			Have: QuotePorts | QuoteSPI | QuoteSeq}}},
	}
}

// TestTsharkDiffCompare checks the comparison of TestTsharkDiff on a
// fixture: that tshark's repeated keys are kept, nested payloads and
// tunnelled GRE are left out, matching packets agree, and each kind of
// difference is reported under its field name.
func TestTsharkDiffCompare(t *testing.T) {
	frames, err := parseTsharkJSON(strings.NewReader(tsharkDiffFixture))
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 5 {
		t.Fatalf("parseTsharkJSON: %d frames, want 5", len(frames))
	}
	if !frames[2].malformed || frames[0].malformed {
		t.Errorf("malformed = %v, %v, %v; want false, false, true",
			frames[0].malformed, frames[1].malformed, frames[2].malformed)
	}
	diffs := func(mutate func(ps []Packet) []Packet) (got []string, counts vpnDiffCounts) {
		ps := mutate(tsharkDiffFixturePackets())
		for i := range frames {
			theirs, tunnelled := tsharkFacts(&frames[i])
			counts.tunnelled += tunnelled
			var ours vpnFacts
			for j := range ps {
				if ps[j].Frame == frames[i].number {
					packetVPNFacts(&ours, &ps[j])
				}
			}
			for _, d := range compareVPNFacts(frames[i].number, &ours, &theirs, &counts) {
				got = append(got, fmt.Sprintf("%d %s: %s, %s", d.frame, d.field, d.ours, d.theirs))
			}
		}
		return got, counts
	}

	got, counts := diffs(func(ps []Packet) []Packet { return ps })
	if len(got) != 0 {
		t.Errorf("fixture packets disagree: %q", got)
	}
	if counts.compared != 4 || counts.tunnelled != 1 || counts.instances["isakmp"] != 1 || counts.instances["gre"] != 1 ||
		counts.instances["pptp"] != 2 || counts.instances["icmp"] != 1 || counts.instances["esp"] != 0 {
		t.Errorf("counts = %+v, want 4 frames, 1 tunnelled, isakmp 1, gre 1, pptp 2, icmp 1 (the quoted ESP in it)", counts)
	}
	// 5 instances, 10 ISAKMP fields, 6 GRE, 5 and 1 PPTP, 9 ICMP.
	if counts.fields != 36 {
		t.Errorf("fields compared = %d, want 36", counts.fields)
	}

	for _, tc := range []struct {
		name   string
		mutate func(ps []Packet) []Packet
		want   []string
	}{
		{"ike payloads", func(ps []Packet) []Packet {
			ps[0].IKE.Payloads = ps[0].IKE.Payloads[:2]
			return ps
		}, []string{"1 isakmp.payloads: 33,34, 33,34,40"}},
		{"non-esp marker", func(ps []Packet) []Packet {
			ps[0].NonESPMarker = false
			return ps
		}, []string{"1 isakmp.non-esp-marker: false, true"}},
		{"gre call id", func(ps []Packet) []Packet {
			ps[1].GRE.CallID = 6017
			return ps
		}, []string{"2 gre.call-id: 6017, 6016"}},
		{"gre without ack", func(ps []Packet) []Packet {
			ps[1].GRE.AckPresent = false
			return ps
		}, []string{"2 gre.ack: (absent), 539254"}},
		{"second pptp message missing", func(ps []Packet) []Packet {
			return append(ps[:3], ps[4])
		}, []string{"3 pptp#2: (absent), present"}},
		{"icmp quoted spi", func(ps []Packet) []Packet {
			e := *ps[4].ICMP
			e.Quote.ESP.SPI = 0x7aa865d3
			ps[4].ICMP = &e
			return ps
		}, []string{"4 icmp.spi: 0x7aa865d3, 0x7aa865d2"}},
		{"icmp sequence cut off", func(ps []Packet) []Packet {
			e := *ps[4].ICMP
			e.Quote.Have &^= QuoteSeq
			ps[4].ICMP = &e
			return ps
		}, []string{"4 icmp.seq: (absent), 7"}},
		{"icmp error missing", func(ps []Packet) []Packet {
			return ps[:4]
		}, []string{"4 icmp: (absent), present"}},
		{"icmp error quoting dns reported", func(ps []Packet) []Packet {
			p := ps[4]
			p.Frame = 5
			return append(ps, p)
		}, []string{"5 icmp: present, (absent)"}},
		{"esp instead of ike", func(ps []Packet) []Packet {
			ps[0] = Packet{Frame: 1, Kind: KindUDPESP, ESP: ESPInfo{SPI: 1, Seq: 1}}
			return ps
		}, []string{"1 esp: present, (absent)", "1 isakmp: (absent), present"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := diffs(tc.mutate)
			if !slices.Equal(got, tc.want) {
				t.Errorf("diffs = %q, want %q", got, tc.want)
			}
		})
	}
}
