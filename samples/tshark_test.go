package samples_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/samples"
)

// Wireshark expert severities (epan/proto.h: PI_WARN, PI_ERROR).
const (
	expertWarn  = 0x00600000
	expertError = 0x00800000
)

// tsharkFindings dissects a capture with tshark, IP, UDP and TCP checksum
// validation switched on, and returns the expert errors (malformed frames
// included) and warnings, each prefixed with its frame number, and the
// number of frames read. A capture meant to end in the middle of a record
// (cut) must make tshark say so, and only that.
func tsharkFindings(t *testing.T, tshark, path string, cut bool) (errs, warns []string, frames int) {
	t.Helper()
	cmd := exec.Command(tshark, "-n", "-r", path,
		"-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
		"-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=|",
		"-e", "frame.number", "-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "_ws.expert.message")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	switch {
	case cut && (err == nil || !strings.Contains(stderr.String(), "cut short in the middle of a packet")):
		t.Errorf("tshark: %v: %s; want the file reported cut short", err, stderr.String())
	case !cut && err != nil:
		t.Fatalf("tshark: %v: %s", err, stderr.String())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		frames++
		f := strings.Split(sc.Text(), "\t")
		for len(f) < 4 {
			f = append(f, "")
		}
		if f[1] != "" {
			errs = append(errs, "frame "+f[0]+": malformed: "+f[3])
		}
		msgs := strings.Split(f[3], "|")
		for i, s := range strings.Split(f[2], "|") {
			if s == "" {
				continue
			}
			sev, err := strconv.ParseInt(s, 0, 64)
			if err != nil {
				t.Fatalf("frame %s: severity %q: %v", f[0], s, err)
			}
			msg := ""
			if i < len(msgs) {
				msg = msgs[i]
			}
			switch {
			case sev >= expertError:
				errs = append(errs, "frame "+f[0]+": "+msg)
			case sev >= expertWarn:
				warns = append(warns, "frame "+f[0]+": "+msg)
			}
		}
	}
	return errs, warns, frames
}

func lookTshark(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("tshark dissection skipped in -short mode")
	}
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark not on PATH")
		}
		t.Skip("tshark not on PATH")
	}
	return tshark
}

// TestTshark dissects every generated capture with tshark and fails on
// any frame that Wireshark finds malformed or flags with an expert error
// (bad checksums included). Warnings are logged.
func TestTshark(t *testing.T) {
	tshark := lookTshark(t)
	rs, err := samples.All()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, r := range rs {
		for _, c := range r.Captures {
			t.Run(r.Name+"/"+c.File, func(t *testing.T) {
				t.Parallel()
				path := filepath.Join(dir, r.Name+"-"+c.File)
				if err := os.WriteFile(path, c.Bytes, 0o644); err != nil {
					t.Fatal(err)
				}
				errs, warns, frames := tsharkFindings(t, tshark, path, c.Truncated)
				for _, e := range errs {
					t.Error(e)
				}
				for _, w := range warns {
					t.Log("warning: " + w)
				}
				if frames != len(c.Frames) {
					t.Errorf("tshark read %d frames, the capture has %d", frames, len(c.Frames))
				}
			})
		}
	}
}

// TestTsharkCatchesErrors proves that TestTshark can fail: a capture with
// one UDP checksum corrupted must yield an expert error at that frame.
func TestTsharkCatchesErrors(t *testing.T) {
	tshark := lookTshark(t)
	r, err := samples.Build("natt-ok")
	if err != nil {
		t.Fatal(err)
	}
	c := r.Captures[0]
	var target *samples.Frame
	off := 24
	for _, f := range c.Frames {
		if f.Kind == samples.KindIKE {
			target = f
			break
		}
		off += 16 + f.Length
	}
	if target == nil {
		t.Fatal("no IKE frame")
	}
	b := append([]byte(nil), c.Bytes...)
	b[off+16+14+20+6] ^= 0x5a // the UDP checksum's first octet
	path := filepath.Join(t.TempDir(), "broken.pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	errs, _, _ := tsharkFindings(t, tshark, path, false)
	want := "frame " + strconv.Itoa(target.Number) + ": "
	found := false
	for _, e := range errs {
		found = found || strings.HasPrefix(e, want)
	}
	if !found {
		t.Errorf("corrupted checksum in frame %d not reported; errors: %q", target.Number, errs)
	}
}
