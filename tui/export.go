package tui

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
)

// maxFragmentSets bounds the IP fragment sets an export remembers while it
// looks for the datagrams they make up.
const maxFragmentSets = 4096

// exported is one file an export wrote.
type exported struct {
	path    string
	frames  int
	skipped int // frames of another link type, which a pcap file cannot hold
}

// exportSubject writes the frames of a subject — a tunnel's IKE, ESP and
// keepalives, with every IP fragment of its fragmented messages — from each
// capture file to a new pcap file for Wireshark, with the original link
// type and time stamps: <capture>-<tunnelN|flowN>.pcap next to the capture,
// or in outDir (the working directory when empty) when that directory
// cannot be written. It reads each capture twice: once to find the frames,
// once to copy them. It returns what it wrote, for the status line.
func exportSubject(ctx context.Context, m *model, s subject, dopts decode.Options, outDir string) (string, error) {
	var done []exported
	for _, sd := range m.sides {
		member := s.member(m, sd.index)
		if member == nil {
			continue
		}
		if sd.src == nil || !sd.src.isFile() {
			return "", fmt.Errorf("%s was given as decoded packets, not a file", sd.analysis.Capture.Path)
		}
		frames, err := memberFrames(ctx, sd.src, dopts, member)
		if err != nil {
			return "", err
		}
		if len(frames) == 0 {
			continue
		}
		ex, err := writeFrames(ctx, sd.src.path, frames, s.fileTag(), outDir)
		if err != nil {
			return "", err
		}
		done = append(done, ex)
	}
	if len(done) == 0 {
		return "", errors.New("no packets to write")
	}
	var parts []string
	for i, ex := range done {
		p := strconv.Itoa(ex.frames) + " frames to " + ex.path
		if i > 0 {
			p = strconv.Itoa(ex.frames) + " to " + ex.path
		}
		if ex.skipped > 0 {
			p += " (" + strconv.Itoa(ex.skipped) + " of another link type left out)"
		}
		parts = append(parts, p)
	}
	return "wrote " + strings.Join(parts, ", "), nil
}

// fragKey identifies an IP datagram's fragments.
type fragKey struct {
	src, dst netip.Addr
	id       uint32
}

// memberFrames returns the frames that carry the subject's packets: the
// frame of each packet, the first frame of a packet reassembled from a
// TCP stream, and every fragment of a reassembled IP datagram.
func memberFrames(ctx context.Context, c *capture, dopts decode.Options, member func(*decode.Packet) bool) (map[int]bool, error) {
	frames := map[int]bool{}
	frags := map[fragKey][]int{}
	_, err := c.scan(ctx, dopts, nil, func(_ *decode.Record, pkts []decode.Packet) {
		for i := range pkts {
			p := &pkts[i]
			if p.Kind == decode.KindIPFragment {
				k := fragKey{p.Src, p.Dst, p.Fragment.ID}
				if _, ok := frags[k]; ok || len(frags) < maxFragmentSets {
					frags[k] = append(frags[k], p.Frame)
				}
			}
			if !member(p) {
				continue
			}
			frames[p.Frame] = true
			if p.FirstFrame > 0 {
				frames[p.FirstFrame] = true
			}
			if p.Fragments > 0 {
				k := fragKey{p.Src, p.Dst, p.IPID}
				for _, f := range frags[k] {
					frames[f] = true
				}
				delete(frags, k)
			}
		}
	})
	if err != nil && ctx.Err() != nil {
		return nil, err
	}
	// A damaged capture still yields the frames before the fault.
	return frames, nil
}

// writeFrames copies the given frames of a capture file to a new pcap
// file and returns where it went.
func writeFrames(ctx context.Context, path string, frames map[int]bool, tag, outDir string) (exported, error) {
	name := captureBase(path) + "-" + tag + ".pcap"
	out, f, err := createBeside(path, name, outDir)
	if err != nil {
		return exported{}, err
	}
	ex := exported{path: out}
	fail := func(err error) (exported, error) {
		f.Close()
		os.Remove(out)
		return exported{}, err
	}
	r, err := decode.Open(path)
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	w := decode.NewPcapWriter(f, r.Snaplen())
	var rec decode.Record
	for n := 0; ; n++ {
		if n%cancelCheckEvery == 0 && ctx.Err() != nil {
			return fail(ctx.Err())
		}
		if err := r.Next(&rec); err != nil {
			break // the end, or a fault after which nothing more is read
		}
		if !frames[rec.Frame] {
			continue
		}
		switch err := w.Write(&rec); {
		case errors.Is(err, decode.ErrLinkType):
			ex.skipped++
			continue
		case err != nil:
			return fail(err)
		}
		ex.frames++
	}
	if err := w.Finish(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(out)
		return exported{}, err
	}
	return ex, nil
}

// captureBase is a capture's file name without its directory and its
// capture extensions: "inside" for "samples/x/inside.pcap.gz".
func captureBase(path string) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, ".gz")
	for _, ext := range []string{".pcapng", ".pcap", ".cap"} {
		if strings.HasSuffix(base, ext) {
			return strings.TrimSuffix(base, ext)
		}
	}
	return base
}

// createBeside creates name in the capture's directory, or in outDir (the
// working directory when empty) when that fails. It replaces a file of
// that name from an earlier export.
func createBeside(capturePath, name, outDir string) (string, *os.File, error) {
	first := filepath.Join(filepath.Dir(capturePath), name)
	if f, err := os.Create(first); err == nil {
		return first, f, nil
	}
	if outDir == "" {
		outDir = "."
	}
	second := filepath.Join(outDir, name)
	f, err := os.Create(second)
	if err != nil {
		return "", nil, fmt.Errorf("tui: cannot write %s nor %s: %w", first, second, err)
	}
	return second, f, nil
}
