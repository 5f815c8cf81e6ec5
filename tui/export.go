package tui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pcapfile "github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/flows"
)

// maxFragmentSets bounds the IP fragment sets an export remembers while it
// looks for the datagrams they make up.
const maxFragmentSets = 4096

// exportResult is what an export wrote.
type exportResult struct {
	path    string
	packets [2]int // frames written, by capture
}

// errExists reports an export to a file that exists, which is not
// replaced without the user's word.
var errExists = errors.New("the file exists")

// exportSubject writes the frames of a subject — a tunnel's IKE, ESP and
// keepalives, with every IP fragment of its fragmented messages, a PPTP
// call's control and GRE, a flow's packets, a finding's evidence — from
// each capture file to one pcapng file at path, as Wireshark's Export
// Specified Packets does: each frame with its original bytes, link type
// and time stamp, on an interface named after its capture, and with a
// comment giving its capture and original frame number ("frame 27 of
// lab/inside.pcap (inside)"), since the export numbers its frames anew.
// The two captures' frames are merged in time order, on the inside clock.
//
// It does not replace a file unless overwrite is set (errExists); a
// replaced file is written aside and renamed over the old one, so that a
// failed export leaves it as it was. Each capture is read twice: once to
// find the frames, once to copy them.
func exportSubject(ctx context.Context, m *model, s subject, dopts decode.Options, path string, overwrite bool) (exportResult, error) {
	res := exportResult{path: path}
	var frames [2]map[int]bool
	var caps [2]*capture
	found := false
	for _, sd := range m.sides {
		member := s.member(m, sd.index)
		if member == nil {
			continue
		}
		if sd.src == nil || !sd.src.isFile() {
			return res, fmt.Errorf("%s was given as decoded packets, not a file", sd.analysis.Capture.Path)
		}
		chosen, err := memberFrames(ctx, sd.src, dopts, member)
		if err != nil {
			return res, err
		}
		frames[sd.index], caps[sd.index] = chosen, sd.src
		found = found || len(chosen) > 0
	}
	if !found {
		return res, errors.New("no packets to write")
	}
	out, finish, err := createExport(path, overwrite)
	if err != nil {
		return res, err
	}
	err = writeMerged(ctx, m, caps, frames, out, &res)
	if err2 := finish(err == nil); err == nil {
		err = err2
	}
	return res, err
}

// createExport opens the file to write: path itself, created only if it
// does not exist, or with overwrite a new file beside it. finish closes
// it; with ok false, or when closing fails, it removes what was written,
// and with ok and overwrite it renames it over path.
func createExport(path string, overwrite bool) (io.Writer, func(ok bool) error, error) {
	var f *os.File
	var err error
	if overwrite {
		f, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	} else {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return nil, nil, errExists
		}
	}
	if err != nil {
		return nil, nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	finish := func(ok bool) error {
		err := bw.Flush()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if !ok || err != nil {
			os.Remove(f.Name())
			return err
		}
		if overwrite {
			if err := os.Chmod(f.Name(), 0o644); err != nil {
				os.Remove(f.Name())
				return err
			}
			if err := os.Rename(f.Name(), path); err != nil {
				os.Remove(f.Name())
				return err
			}
		}
		return nil
	}
	return bw, finish, nil
}

// writeMerged copies the chosen frames of both captures to a pcapng
// writer, the earlier (on the inside clock) first.
func writeMerged(ctx context.Context, m *model, caps [2]*capture, frames [2]map[int]bool, out io.Writer, res *exportResult) error {
	w := pcapfile.NewPcapngWriter(out, "vpnpcap")
	var srcs [2]*mergeSource
	for s, c := range caps {
		if c == nil || len(frames[s]) == 0 {
			continue
		}
		src, err := openMergeSource(m, flows.Side(s), c, frames[s])
		if err != nil {
			return err
		}
		defer src.r.Close()
		srcs[s] = src
	}
	read := 0
	for _, src := range srcs {
		if src != nil {
			if err := src.next(ctx, &read); err != nil {
				return err
			}
		}
	}
	clock := func(s int, t time.Time) time.Time {
		if s == int(flows.SideOutside) && m.rc.Correlation != nil {
			return m.rc.Correlation.ToInside(t)
		}
		return t
	}
	for {
		s := -1
		for i, src := range srcs {
			if src == nil || !src.ok {
				continue
			}
			if s < 0 || clock(i, src.rec.Time).Before(clock(s, srcs[s].rec.Time)) {
				s = i
			}
		}
		if s < 0 {
			break
		}
		src := srcs[s]
		comment := "frame " + strconv.Itoa(src.rec.Frame) + " of " + src.where
		if err := w.Write(&src.rec, src.iface, comment); err != nil {
			return err
		}
		res.packets[s]++
		if err := src.next(ctx, &read); err != nil {
			return err
		}
	}
	return w.Finish()
}

// mergeSource is one capture writeMerged reads: its chosen frames, the
// next of them (rec, when ok), and the interface and name it has in the
// merged file.
type mergeSource struct {
	r      *pcapfile.Reader
	frames map[int]bool
	rec    pcapfile.Record
	data   []byte // rec's bytes
	ok     bool
	iface  pcapfile.PcapngInterface
	where  string
}

// openMergeSource opens capture c, side s of the model, to copy its chosen
// frames. The caller closes its reader.
func openMergeSource(m *model, s flows.Side, c *capture, frames map[int]bool) (*mergeSource, error) {
	r, err := pcapfile.Open(c.path)
	if err != nil {
		return nil, err
	}
	src := &mergeSource{r: r, frames: frames, where: shortPath(c.path)}
	src.iface = pcapfile.PcapngInterface{Name: captureBase(c.path), Description: c.path, Snaplen: r.Snaplen()}
	if m.two() {
		src.iface.Name = s.String()
		src.where += " (" + s.String() + ")"
	}
	return src, nil
}

// next reads the capture on to its next chosen frame; read counts the
// frames both captures have read, to look at ctx now and then.
func (src *mergeSource) next(ctx context.Context, read *int) error {
	var err error
	if src.r.Protect(func() { err = src.find(ctx, read) }) != nil {
		src.ok = false // the file shrank: nothing more is read
	}
	return err
}

// find reads on to the next chosen frame and keeps a copy of its bytes,
// which stay readable whatever happens to the file.
func (src *mergeSource) find(ctx context.Context, read *int) error {
	for {
		if *read++; *read%cancelCheckEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := src.r.Next(&src.rec); err != nil {
			src.ok = false
			return nil // the end, or a fault after which nothing more is read
		}
		if src.frames[src.rec.Frame] {
			src.data = append(src.data[:0], src.rec.Data...)
			src.rec.Data = src.data
			src.ok = true
			return nil
		}
	}
}

// defaultExportName is the file name the export dialog proposes: the
// captures' names and the subject, "inside+outside-tunnel1.pcapng". It
// never ends in -inside or -outside, which `vpnpcap check` would take for
// a capture of a pair.
func defaultExportName(m *model, s subject) string {
	var names []string
	for _, sd := range m.sides {
		if sd.src != nil {
			names = append(names, captureBase(sd.src.path))
		}
	}
	return strings.Join(names, "+") + "-" + s.fileTag() + ".pcapng"
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
	_, err := c.scan(ctx, dopts, nil, func(_ *pcapfile.Record, pkts []decode.Packet) {
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
