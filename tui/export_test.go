package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pcapfile "github.com/vpnpcap/vpnpcap/decode/capture"
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

// exportFile exports a subject to a new file in a temporary directory.
func exportFile(t *testing.T, m *model, s subject) (string, exportResult) {
	t.Helper()
	path := filepath.Join(t.TempDir(), defaultExportName(m, s))
	res, err := exportSubject(context.Background(), m, s, decode.Options{KeepOther: true}, path, false)
	if err != nil {
		t.Fatalf("exportSubject: %v", err)
	}
	return path, res
}

// readRecords reads every record of a capture file, with its bytes.
func readRecords(t *testing.T, path string) []pcapfile.Record {
	t.Helper()
	r, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []pcapfile.Record
	var rec pcapfile.Record
	for {
		if err := r.Next(&rec); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			return out
		}
		out = append(out, ownRecord(&rec))
	}
}

// TestExportFragments writes a tunnel whose IKE_AUTH was IP-fragmented:
// the file must hold every fragment, so that Wireshark can reassemble the
// message, with the original link type and time stamps.
func TestExportFragments(t *testing.T) {
	in, out := samplePair(t, "ike-fragments-dropped")
	m := fileModel(t, in, out)
	s := subject{view: m.rc.Tunnels[0]}
	path, res := exportFile(t, m, s)
	member := s.member(m, flows.SideInside)
	want := map[int]bool{}
	for _, df := range readFrames(t, in) {
		if member(&df.p) {
			want[df.p.Frame] = true
		}
	}
	frags, n := 0, 0
	for _, rec := range readRecords(t, path) {
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
	if res.packets[flows.SideInside] < len(want) || n != res.packets[0]+res.packets[1] {
		t.Errorf("export holds %d frames (%v), want at least the %d inside frames of the tunnel's packets", n, res.packets, len(want))
	}
}

// TestExportMergesCaptures exports a tunnel of a pair: one file holds the
// frames of both captures, each byte for byte as in its capture, in time
// order on the inside clock.
func TestExportMergesCaptures(t *testing.T) {
	in, out := samplePair(t, "natt-port-blocked")
	m := fileModel(t, in, out)
	s := subject{view: m.rc.Tunnels[0]}
	path, res := exportFile(t, m, s)
	got := readRecords(t, path)
	if res.packets[0] == 0 || res.packets[1] == 0 || len(got) != res.packets[0]+res.packets[1] {
		t.Fatalf("wrote %v, read back %d frames; want frames of both captures", res.packets, len(got))
	}
	// Every frame written is a frame of one capture, and the inside's
	// come in their order.
	origin := map[string]flows.Side{}
	for sd, p := range []string{in, out} {
		for _, rec := range readRecords(t, p) {
			origin[rec.Time.String()+string(rec.Data)] = flows.Side(sd)
		}
	}
	var last time.Time
	for i, rec := range got {
		sd, ok := origin[rec.Time.String()+string(rec.Data)]
		if !ok {
			t.Fatalf("frame %d of the export is no frame of either capture", i+1)
		}
		at := rec.Time
		if sd == flows.SideOutside {
			at = m.rc.Correlation.ToInside(at)
		}
		if at.Before(last) {
			t.Errorf("frame %d of the export (%v) comes before the one ahead of it (%v) on the inside clock", i+1, at, last)
		}
		last = at
	}
}

// TestExportNoOverwrite refuses to replace a file unless told to, and
// then replaces it whole, leaving nothing beside it.
func TestExportNoOverwrite(t *testing.T) {
	in, out := samplePair(t, "natt-ok")
	m := fileModel(t, in, out)
	dir := t.TempDir()
	path := filepath.Join(dir, "export.pcapng")
	writeTestFile(t, path, "precious")
	s := subject{view: m.rc.Tunnels[0]}
	if _, err := exportSubject(context.Background(), m, s, decode.Options{KeepOther: true}, path, false); !errors.Is(err, errExists) {
		t.Fatalf("export over a file: %v, want errExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Fatalf("the file was changed: %q", b)
	}
	res, err := exportSubject(context.Background(), m, s, decode.Options{KeepOther: true}, path, true)
	if err != nil {
		t.Fatalf("export with overwrite: %v", err)
	}
	if n := len(readRecords(t, path)); n != res.packets[0]+res.packets[1] || n == 0 {
		t.Errorf("the replaced file holds %d frames, want %v", n, res.packets)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files after the export, want 1", len(entries))
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExportComments has tshark read an export: each frame's comment gives
// its capture and original frame number, and the frame is that frame of
// that capture, byte for byte. Skipped without tshark, except under CI.
func TestExportComments(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tshark not found under CI: %v", err)
		}
		t.Skip("tshark not installed")
	}
	in, out := samplePair(t, "natt-port-blocked")
	m := fileModel(t, in, out)
	path, res := exportFile(t, m, subject{view: m.rc.Tunnels[0]})
	cmd := exec.Command(tshark, "-r", path, "-T", "fields", "-E", "separator=|", "-e", "frame.comment", "-e", "frame.interface_name")
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+t.TempDir())
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	exported := readRecords(t, path)
	originals := [2][]pcapfile.Record{readRecords(t, in), readRecords(t, out)}
	comment := regexp.MustCompile(`^frame (\d+) of (\S+) \((inside|outside)\)\|(inside|outside)$`)
	if len(lines) != len(exported) || len(lines) != res.packets[0]+res.packets[1] {
		t.Fatalf("tshark reads %d frames, the export has %d", len(lines), len(exported))
	}
	for i, l := range lines {
		mm := comment.FindStringSubmatch(l)
		if mm == nil || mm[3] != mm[4] {
			t.Fatalf("frame %d: tshark reads %q, want \"frame N of DIR/CAPTURE (side)\" on the side's interface", i+1, l)
		}
		sd := flows.SideInside
		if mm[3] == "outside" {
			sd = flows.SideOutside
		}
		if want := shortPath([]string{in, out}[sd]); mm[2] != want {
			t.Errorf("frame %d: comment names %s, want %s", i+1, mm[2], want)
		}
		n, _ := strconv.Atoi(mm[1])
		if n < 1 || n > len(originals[sd]) || !bytes.Equal(originals[sd][n-1].Data, exported[i].Data) || !originals[sd][n-1].Time.Equal(exported[i].Time) {
			t.Errorf("frame %d: its comment says frame %d of the %s capture, which is not it", i+1, n, mm[3])
		}
	}
}

// TestDefaultExportName names exports after the captures and the subject,
// never as `vpnpcap check` would take a capture of a pair.
func TestDefaultExportName(t *testing.T) {
	in, out := samplePair(t, "natt-ok")
	m := fileModel(t, in, out)
	if got := defaultExportName(m, subject{view: m.rc.Tunnels[0]}); got != "inside+outside-tunnel1.pcapng" {
		t.Errorf("defaultExportName = %q", got)
	}
}

// TestExportPacketsOnly refuses a capture given as decoded packets.
func TestExportPacketsOnly(t *testing.T) {
	m := scenarioModel(t)
	if _, err := exportSubject(context.Background(), m, subject{view: m.rc.Tunnels[0]}, decode.Options{KeepOther: true}, filepath.Join(t.TempDir(), "x.pcapng"), false); err == nil {
		t.Error("exportSubject of decoded packets: no error")
	}
}
