package tui

import (
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

// scenarioModel builds the scenario's model without the UI.
func scenarioModel(t testing.TB) *model {
	t.Helper()
	cfg := scenarioConfig()
	cor := flows.Correlate(*cfg.Captures[0].Source, *cfg.Captures[1].Source, flows.CorrelateOptions{RolesGiven: true, Decode: cfg.Decode})
	rc := rules.NewCorrelatedContext(cor, nil)
	fs := scenarioFindings(rc)
	return newModel(rc, fs, rules.Verdicts(rc, fs), nil)
}

// matching returns the IDs of the rows a filter keeps, with their side
// for flows ("F2/out").
func matching(m *model, f *rowFilter) string {
	var ids []string
	for _, r := range m.rows {
		if !f.matches(m, r) {
			continue
		}
		id := r.id
		if r.kind == rowFlow {
			id += "/" + strings.TrimSuffix(r.side.String(), "side")
		}
		ids = append(ids, id)
	}
	return strings.Join(ids, " ")
}

func TestFilterMatches(t *testing.T) {
	m := scenarioModel(t)
	cases := []struct {
		expr string
		want string
	}{
		{"", "T1 F1/in F2/in F1/out F2/out T2 F3/in F4/in F5/in F3/out F4/out F5/out F6/in F6/out"},
		{"   ", "T1 F1/in F2/in F1/out F2/out T2 F3/in F4/in F5/in F3/out F4/out F5/out F6/in F6/out"},
		{"esp", "T2 F4/in F5/in F4/out F5/out"},
		{"udp-esp", "T1 F2/in F2/out"},
		{"ike", "T1 F1/in F2/in F1/out F2/out T2 F3/in F3/out"},
		{"gre", ""},
		{"keepalive", "T1 F2/in F2/out"},
		{"spi=0xc0ffee01", "T1 F2/in F2/out"},
		{"spi=C0FFEE02", "T1 F2/in F2/out"},
		{"spi=0x0badf00d", "T2 F4/in F4/out"},
		{"spi=a1a2a3a4a5a6a7a8", "T1"},
		{"spi!=0xc0ffee01 tunnels", "T2"},
		{"10.0.0.2", "T1 F1/in F2/in F6/in"},
		{"203.0.113.5 flows", "F1/out F2/out F3/out F4/out F5/out F6/out"},
		{"10.0.0.0/24 tunnels", "T1 T2"},
		{"port 4500", "T1 F2/in F2/out"},
		{"port=61001", "T1 F2/out"},
		{"port!=500 udp", "F2/in F2/out F6/in F6/out"},
		{"severity>=warning", "T1 F1/in F2/in F1/out F2/out T2 F3/in F4/in F5/in F3/out F4/out F5/out"},
		{"sev=error tunnels", "T1"},
		{"severity<error tunnels", "T2"},
		{"severity>error", ""},
		{"tunnel=2 tunnels", "T2"},
		{"tunnel>=1 ike flows side=out", "F1/out F2/out F3/out"},
		{"side=in esp flows", "F4/in F5/in"},
		{"state=established tunnels", "T1 T2"},
		{"state!=established", "F6/in F6/out"},
		{"!ike !esp", "F6/in F6/out"},
		{"kind=udp-esp flows", "F2/in F2/out"},
		{"ESP", "T2 F4/in F5/in F4/out F5/out"},
		{"tcp", ""},
	}
	for _, tc := range cases {
		f, err := parseFilter(tc.expr)
		if err != nil {
			t.Errorf("parseFilter(%q): %v", tc.expr, err)
			continue
		}
		if got := matching(m, f); got != tc.want {
			t.Errorf("filter %q keeps %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	cases := []struct {
		expr    string
		wantErr string
	}{
		{"foo", `filter: unknown term "foo"`},
		{"esp bogus", `unknown term "bogus"`},
		{"port", "port needs a number"},
		{"port x", "port x: not a port number"},
		{"port 70000", "not a port number"},
		{"port>4500", "port takes = or !="},
		{"spi=", "spi= needs a value"},
		{"spi=zz", "not a hexadecimal SPI"},
		{"spi=0x", "not a hexadecimal SPI"},
		{"spi=0x1ffffffffffffffff", "not a hexadecimal SPI"},
		{"severity>=bad", `unknown severity "bad"`},
		{"tunnel=x", "not a tunnel number"},
		{"tunnel=-1", "not a tunnel number"},
		{"side=left", "want inside or outside"},
		{"state=up", "want negotiating"},
		{"colour=red", `unknown field "colour"`},
		{"10.0.0.0/33", "not an address prefix"},
		{"!", "negates nothing"},
		{"kind=nope", `unknown term "nope"`},
	}
	for _, tc := range cases {
		f, err := parseFilter(tc.expr)
		if err == nil {
			t.Errorf("parseFilter(%q) = %v, want an error with %q", tc.expr, f, tc.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("parseFilter(%q) error %q, want %q in it", tc.expr, err, tc.wantErr)
		}
		if !strings.HasPrefix(err.Error(), "filter: ") {
			t.Errorf("parseFilter(%q) error %q lacks the component prefix", tc.expr, err)
		}
	}
}

// FuzzFilter checks that no expression panics the parser or the matcher,
// and that an expression that parses keeps its text.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{"", "esp", "port 4500", "spi=0xc0ffee01", "10.0.0.2", "severity>=warning", "tunnel=2",
		"!ike side=out", "10.0.0.0/8 state=failed", "port", "sev<=info kind=gre", "::1 fe80::/10", "=", ">=", "!!", "port=4500=1"} {
		f.Add(s)
	}
	m := scenarioModel(f)
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := parseFilter(s)
		if err != nil {
			return
		}
		if flt.text != strings.TrimSpace(s) {
			t.Errorf("parseFilter(%q).text = %q", s, flt.text)
		}
		for _, r := range m.rows {
			flt.matches(m, r)
		}
	})
}
