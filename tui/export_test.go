package tui

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
	"github.com/vpnpcap/vpnpcap/rules"
)

func TestCaptureBase(t *testing.T) {
	for in, want := range map[string]string{
		"samples/x/inside.pcap":    "inside",
		"a/b/outside.pcapng":       "outside",
		"trace.pcap.gz":            "trace",
		"dump.cap":                 "dump",
		"noext":                    "noext",
		"/abs/dir/odd.name.pcapng": "odd.name",
	} {
		if got := captureBase(in); got != want {
			t.Errorf("captureBase(%q) = %q, want %q", in, got, want)
		}
	}
}

// fileModel analyses a sample pair from files, as the UI does.
func fileModel(t *testing.T, in, out string) *model {
	t.Helper()
	caps := []*capture{{path: in}, {path: out}}
	ctx := context.Background()
	cor := flows.Correlate(caps[0].source(ctx), caps[1].source(ctx), flows.CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	rc := rules.NewCorrelatedContext(cor, nil)
	return newModel(rc, nil, nil, caps)
}

// TestExportFragments writes a tunnel whose IKE_AUTH was IP-fragmented:
// the file must hold every fragment, so that Wireshark can reassemble the
// message, with the original link type and time stamps.
func TestExportFragments(t *testing.T) {
	in, out := samplePair(t, "ike-fragments-dropped")
	m := fileModel(t, in, out)
	s := subject{view: m.rc.Tunnels[0]}
	msg, err := exportSubject(context.Background(), m, s, decode.Options{KeepOther: true}, t.TempDir())
	if err != nil {
		t.Fatalf("exportSubject: %v", err)
	}
	t.Log(msg)
	member := s.member(m, flows.SideInside)
	want := map[int]bool{}
	for _, df := range readFrames(t, in) {
		if member(&df.p) {
			want[df.p.Frame] = true
		}
	}
	r, err := decode.Open(filepath.Join(filepath.Dir(in), "inside-tunnel1.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	frags, n := 0, 0
	var rec decode.Record
	for r.Next(&rec) == nil {
		n++
		if rec.LinkType != pcaptest.LinkTypeEthernet {
			t.Errorf("record %d: link type %v, want Ethernet", n, rec.LinkType)
		}
		data := rec.Data
		if rec.Time.IsZero() || len(data) == 0 {
			t.Errorf("record %d: time %v, %d bytes", n, rec.Time, len(data))
		}
		// IPv4 flags and fragment offset: a fragment has MF or an offset.
		if len(data) >= 34 && data[12] == 0x08 && data[13] == 0x00 {
			if ff := uint16(data[20])<<8 | uint16(data[21]); ff&0x3fff != 0 {
				frags++
			}
		}
	}
	if frags < 2 {
		t.Errorf("export holds %d IP fragments, want the fragmented IKE_AUTH's pieces", frags)
	}
	if n < len(want) {
		t.Errorf("export holds %d frames, want at least the %d frames of the tunnel's packets", n, len(want))
	}
}

// TestExportFallsBack writes into the fallback directory when the file
// cannot be created beside the capture (here a directory has its name,
// which defeats even root).
func TestExportFallsBack(t *testing.T) {
	in, out := samplePair(t, "natt-ok")
	m := fileModel(t, in, out)
	if err := os.Mkdir(filepath.Join(filepath.Dir(in), "inside-tunnel1.pcap"), 0o755); err != nil {
		t.Fatal(err)
	}
	fallback := t.TempDir()
	msg, err := exportSubject(context.Background(), m, subject{view: m.rc.Tunnels[0]}, decode.Options{KeepOther: true}, fallback)
	if err != nil {
		t.Fatalf("exportSubject: %v", err)
	}
	if _, err := os.Stat(filepath.Join(fallback, "inside-tunnel1.pcap")); err != nil {
		t.Errorf("no export in the fallback directory (%s): %v", msg, err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(out), "outside-tunnel1.pcap")); err != nil {
		t.Errorf("the outside export did not go beside its capture (%s): %v", msg, err)
	}
}

// TestExportPacketsOnly refuses a capture given as decoded packets.
func TestExportPacketsOnly(t *testing.T) {
	m := scenarioModel(t)
	if _, err := exportSubject(context.Background(), m, subject{view: m.rc.Tunnels[0]}, decode.Options{KeepOther: true}, t.TempDir()); err == nil {
		t.Error("exportSubject of decoded packets: no error")
	}
}
