package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
	"github.com/vpnpcap/vpnpcap/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/expected/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "expected", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./report -update and review the diff)\ngot:\n%s", name, got)
	}
}

const (
	spiI = 0x1111111111111111
	spiR = 0x2222222222222222
)

// fixture is a client behind a NAT whose IKE_AUTH on 4500 never crosses:
// IKE_SA_INIT both ways, then four IKE_AUTH requests dropped at the NAT.
func fixture() *rules.Context {
	s := pt.New()
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	s.IKE(ini, resp, decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34, Flags: decode.IKEv2FlagInitiator,
		NATD: []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}}, 1)
	s.IKE(resp, ini, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 34, Flags: decode.IKEv2FlagResponse,
		NATD: []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMismatch)}}, 2)
	auth := decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator, Encrypted: true}
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	for _, d := range []time.Duration{4 * time.Second, 7200 * time.Millisecond, 12960 * time.Millisecond} {
		s.After(d).IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	}
	s.Other(17, "10.0.0.2:53000", "192.0.2.53:53", 77)
	inside := s.Packets
	nat := pt.NAT{
		Map:    map[string]string{"10.0.0.2:500": "203.0.113.5:500", "10.0.0.2:4500": "203.0.113.5:4500", "10.0.0.2:53000": "203.0.113.5:41000"},
		Offset: 7300 * time.Millisecond, Delay: time.Millisecond,
		Drop: func(i int, p *decode.Packet) bool { return p.DstPort == 4500 },
	}
	outside := nat.Translate(inside)
	cor := flows.Correlate(flows.Packets("inside.pcap", inside), flows.Packets("outside.pcap", outside),
		flows.CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	return rules.NewCorrelatedContext(cor, nil)
}

func fixtureFindings(c *rules.Context) []rules.Finding {
	return []rules.Finding{{
		RuleID: "VP999", Slug: "example", Title: "Example finding", Severity: rules.Error, Confidence: rules.High,
		Tunnel: 1, Message: "initiator 10.0.0.2 sent IKE_AUTH 4 times; none crossed the NAT",
		Evidence:    append(c.Evidence(flows.SideInside, 3, 4, 5, 6), c.Evidence(flows.SideOutside, 2)...),
		Explanation: "The NAT drops UDP 4500, so the exchange that follows the port float never reaches the responder.",
		Remedy:      "Allow UDP 4500 on the NAT.",
	}}
}

// single is the report analyze writes of the fixture.
func single(c *rules.Context, f []rules.Finding, opts Options) *Batch {
	opts.Detail = true
	return NewSingle(FailOn{Severity: rules.Error}, NewCheck("site", c, f, rules.Verdicts(c, f), opts))
}

func TestWriteText(t *testing.T) {
	c := fixture()
	f := fixtureFindings(c)
	var b bytes.Buffer
	if err := WriteText(&b, single(c, f, Options{}), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "natt-blocked.txt", b.Bytes())
}

func TestWriteTextColor(t *testing.T) {
	c := fixture()
	f := fixtureFindings(c)
	var b bytes.Buffer
	if err := WriteText(&b, single(c, f, Options{}), TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{ansiRed + "ERROR", ansiRed + "FAILS"} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("coloured report has no red %q", want[len(ansiRed):])
		}
	}
	b.Reset()
	if err := WriteText(&b, single(c, f, Options{}), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("\x1b[")) {
		t.Errorf("report without colour contains escape sequences")
	}
}

func TestWriteJSON(t *testing.T) {
	c := fixture()
	f := fixtureFindings(c)
	v := rules.Verdicts(c, f)
	var b bytes.Buffer
	if err := WriteJSON(&b, Build(c, f, v, Options{})); err != nil {
		t.Fatal(err)
	}
	golden(t, "natt-blocked.json", b.Bytes())
	var back map[string]any
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	for _, key := range []string{"schema", "captures", "tunnels", "mappings", "findings"} {
		if _, ok := back[key]; !ok {
			t.Errorf("JSON report lacks %q", key)
		}
	}
	tun := back["tunnels"].([]any)[0].(map[string]any)
	for _, key := range []string{"id", "ike_version", "spi_i", "spi_r", "initiator", "responder", "nat", "natd_faked", "natt_negotiated", "encapsulation", "esp_sas", "state", "verdict"} {
		if _, ok := tun[key]; !ok {
			t.Errorf("JSON tunnel lacks %q", key)
		}
	}
}

func TestBuildDeterministic(t *testing.T) {
	var first []byte
	for i := 0; i < 5; i++ {
		c := fixture()
		var b bytes.Buffer
		if err := WriteJSON(&b, Build(c, fixtureFindings(c), nil, Options{Flows: true})); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b.Bytes()
		} else if !bytes.Equal(first, b.Bytes()) {
			t.Fatalf("run %d gives different bytes", i)
		}
	}
}
