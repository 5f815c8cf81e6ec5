package samples_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/samples"
)

// TestRoundTrip reads every generated capture back with package decode
// and checks each frame against what the generator meant: kind, addresses,
// ports, TTL, IP ID, time, and the protocol fields (IKE header and
// payloads with the NAT-D verification result, ESP and AH SPI and
// sequence, GRE key and numbers, PPTP message and call IDs, IP fragments
// and their reassembly).
func TestRoundTrip(t *testing.T) {
	rs, err := samples.All()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, r := range rs {
		for _, c := range r.Captures {
			t.Run(r.Name+"/"+c.File, func(t *testing.T) {
				path := filepath.Join(dir, r.Name+"-"+c.File)
				if err := os.WriteFile(path, c.Bytes, 0o644); err != nil {
					t.Fatal(err)
				}
				byFrame := map[int][]decode.Packet{}
				stats, err := decode.ReadFile(path, decode.Options{KeepOther: true}, func(p *decode.Packet) {
					byFrame[p.Frame] = append(byFrame[p.Frame], *p)
				})
				switch {
				case c.Truncated && !errors.Is(err, capture.ErrTruncated):
					t.Fatalf("ReadFile: %v, want the file reported truncated", err)
				case !c.Truncated && err != nil:
					t.Fatalf("ReadFile: %v", err)
				}
				if stats.Frames != len(c.Frames) {
					t.Errorf("decoded %d frames, the capture has %d", stats.Frames, len(c.Frames))
				}
				incomplete, cut := 0, 0
				for _, f := range c.Frames {
					if f.Incomplete {
						incomplete++
					}
					if snapCutIKE(f) {
						cut++
					}
				}
				malformed := 0
				for _, n := range stats.Malformed {
					malformed += n
				}
				if malformed != incomplete+cut {
					t.Errorf("%d malformed packets reported (%v), want %d (one per datagram the NAT cut short) and %d (IKE messages the snap length cut)",
						malformed, stats.Malformed, incomplete, cut)
				}
				for reason, n := range stats.Undecodable {
					t.Errorf("%d frames undecodable: %s", n, reason)
				}
				known := map[int]bool{}
				for _, f := range c.Frames {
					known[f.Number] = true
					checkFrame(t, f, byFrame[f.Number])
				}
				for n, ps := range byFrame {
					if !known[n] {
						t.Errorf("decoder reported %d packets at frame %d, which does not exist", len(ps), n)
					}
				}
			})
		}
	}
}

// snapCutIKE reports whether the snap length cut an IKE message: the frame
// is stored shorter than it was.
func snapCutIKE(f *samples.Frame) bool { return f.Kind == samples.KindIKE && f.CapLen < f.Length }

// checkFrame compares the packets the decoder reported at one frame with
// the manifest.
func checkFrame(t *testing.T, f *samples.Frame, ps []decode.Packet) {
	t.Helper()
	if snapCutIKE(f) {
		// The message is reported malformed, with its header.
		if len(ps) != 1 || ps[0].Kind != decode.KindMalformed || ps[0].IKE == nil || ps[0].IKE.SPIi != f.IKE.SPIi ||
			ps[0].Fault.Kind != decode.FaultNotCaptured {
			t.Errorf("frame %d (%s, %d of %d octets captured): got %+v, want one malformed IKE message with its header", f.Number, f.Note, f.CapLen, f.Length, ps)
		}
		return
	}
	reported := false
	for _, p := range ps {
		if p.Kind != decode.KindMalformed {
			continue
		}
		// A datagram the NAT cut short is reported, at its first
		// fragment, once reassembly gives up; anything else malformed is
		// a decoding error.
		if f.Incomplete && p.Fault.Kind.FragmentsMissing() {
			reported = true
			continue
		}
		t.Errorf("frame %d (%s): malformed: %s", f.Number, f.Note, p.Fault.Message)
	}
	if f.Incomplete && !reported {
		t.Errorf("frame %d (%s): incomplete datagram not reported", f.Number, f.Note)
	}
	if f.Kind == samples.KindOther {
		for _, p := range ps {
			if p.Kind != decode.KindOther {
				t.Errorf("frame %d: background traffic decoded as %v", f.Number, p.Kind)
			}
		}
		return
	}
	if f.Fragment != nil {
		var frag *decode.Packet
		for i := range ps {
			if ps[i].Kind == decode.KindIPFragment {
				frag = &ps[i]
			}
		}
		if frag == nil {
			t.Errorf("frame %d (%s): no ip-fragment packet", f.Number, f.Note)
		} else if frag.Fragment.Offset != f.Fragment.Offset || frag.Fragment.More != f.Fragment.More ||
			frag.Src != f.Src || frag.Dst != f.Dst || frag.IPID != f.IPID {
			t.Errorf("frame %d: fragment %+v %v→%v id %d, want %+v %v→%v id %d", f.Number,
				frag.Fragment, frag.Src, frag.Dst, frag.IPID, *f.Fragment, f.Src, f.Dst, f.IPID)
		}
		if f.Kind == samples.KindIPFragment {
			return
		}
	}
	var got []decode.Packet
	for _, p := range ps {
		if p.Kind.String() == f.Kind {
			got = append(got, p)
		}
	}
	if len(got) != 1 {
		kinds := make([]string, len(ps))
		for i, p := range ps {
			kinds[i] = p.Kind.String()
		}
		t.Errorf("frame %d (%s): decoded as %v, want one %s", f.Number, f.Note, kinds, f.Kind)
		return
	}
	p := got[0]
	if p.Src != f.Src || p.Dst != f.Dst || p.SrcPort != f.SrcPort || p.DstPort != f.DstPort ||
		p.Proto != f.Proto || p.TTL != f.TTL || p.IPID != f.IPID || !p.Time.Equal(f.Time) {
		t.Errorf("frame %d: %v:%d→%v:%d proto %d ttl %d id %d at %v, want %v:%d→%v:%d proto %d ttl %d id %d at %v",
			f.Number, p.Src, p.SrcPort, p.Dst, p.DstPort, p.Proto, p.TTL, p.IPID, p.Time,
			f.Src, f.SrcPort, f.Dst, f.DstPort, f.Proto, f.TTL, f.IPID, f.Time)
	}
	if f.Fragments > 0 && (p.Fragments != f.Fragments || p.FirstFrame != f.FirstFrame) {
		t.Errorf("frame %d: reassembled from %d fragments starting at frame %d, want %d from %d",
			f.Number, p.Fragments, p.FirstFrame, f.Fragments, f.FirstFrame)
	}
	switch f.Kind {
	case samples.KindESP, samples.KindUDPESP, samples.KindTCPESP:
		if p.ESP.SPI != f.ESP.SPI || p.ESP.Seq != f.ESP.Seq {
			t.Errorf("frame %d: ESP %#x/%d, want %#x/%d", f.Number, p.ESP.SPI, p.ESP.Seq, f.ESP.SPI, f.ESP.Seq)
		}
		if p.TCPEncap != (f.Kind == samples.KindTCPESP) {
			t.Errorf("frame %d: TCPEncap %v", f.Number, p.TCPEncap)
		}
	case samples.KindAH:
		if p.AH.SPI != f.AH.SPI || p.AH.Seq != f.AH.Seq {
			t.Errorf("frame %d: AH %#x/%d, want %#x/%d", f.Number, p.AH.SPI, p.AH.Seq, f.AH.SPI, f.AH.Seq)
		}
	case samples.KindGRE:
		g, w := p.GRE, f.GRE
		if g.Version != 1 || g.Protocol != 0x880b || !g.KeyPresent || g.CallID != w.CallID ||
			g.SeqPresent != w.HasSeq || g.AckPresent != w.HasAck || g.PayloadLen != w.PayloadLen ||
			(w.HasSeq && g.Seq != w.Seq) || (w.HasAck && g.Ack != w.Ack) {
			t.Errorf("frame %d: GRE %+v, want %+v", f.Number, g, *w)
		}
	case samples.KindPPTP:
		g, w := p.PPTP, f.PPTP
		if uint16(g.Type) != w.Type || g.HasCallID != w.HasCallID || g.HasPeerCall != w.HasPeerCallID ||
			(w.HasCallID && g.CallID != w.CallID) || (w.HasPeerCallID && g.PeerCallID != w.PeerCallID) {
			t.Errorf("frame %d: PPTP %+v, want %+v", f.Number, g, *w)
		}
	case samples.KindIKE:
		checkIKE(t, f, p)
	}
}

func checkIKE(t *testing.T, f *samples.Frame, p decode.Packet) {
	t.Helper()
	m, w := p.IKE, f.IKE
	if m == nil {
		t.Errorf("frame %d: IKE packet without message", f.Number)
		return
	}
	if m.Version != w.Version || uint8(m.Exchange) != w.Exchange || m.Flags != w.Flags || m.SPIi != w.SPIi ||
		m.SPIr != w.SPIr || m.MessageID != w.MessageID || m.Length != w.Length || m.Encrypted != w.Encrypted {
		t.Errorf("frame %d: IKE v%d exch %d flags %#x %016x/%016x mid %d len %d enc %v, want v%d exch %d flags %#x %016x/%016x mid %d len %d enc %v",
			f.Number, m.Version, m.Exchange, m.Flags, m.SPIi, m.SPIr, m.MessageID, m.Length, m.Encrypted,
			w.Version, w.Exchange, w.Flags, w.SPIi, w.SPIr, w.MessageID, w.Length, w.Encrypted)
	}
	if p.TCPEncap != w.TCP || (!w.TCP && p.NonESPMarker != w.NonESPMarker) {
		t.Errorf("frame %d: TCPEncap %v NonESPMarker %v, want %v %v", f.Number, p.TCPEncap, p.NonESPMarker, w.TCP, w.NonESPMarker)
	}
	var types []uint8
	for _, pl := range m.Payloads {
		types = append(types, uint8(pl.Type))
	}
	if !slices.Equal(types, w.Payloads) {
		t.Errorf("frame %d: payloads %v, want %v", f.Number, types, w.Payloads)
	}
	var notifies []uint16
	for _, n := range m.Notifies {
		notifies = append(notifies, uint16(n.Type))
	}
	if !slices.Equal(notifies, w.Notifies) {
		t.Errorf("frame %d: notifies %v, want %v", f.Number, notifies, w.Notifies)
	}
	if len(m.VendorIDs) != len(w.VendorIDs) {
		t.Errorf("frame %d: %d vendor IDs, want %d", f.Number, len(m.VendorIDs), len(w.VendorIDs))
	} else {
		for i, v := range m.VendorIDs {
			if !bytes.Equal(v.Data, w.VendorIDs[i]) {
				t.Errorf("frame %d: vendor ID %d % x, want % x", f.Number, i, v.Data, w.VendorIDs[i])
			}
		}
	}
	if len(m.NATD) != len(w.NATD) {
		t.Errorf("frame %d: %d NAT-D, want %d", f.Number, len(m.NATD), len(w.NATD))
	} else {
		for i, d := range m.NATD {
			want := w.NATD[i]
			kind, match := decode.NATDDestination, decode.NATDMismatch
			if want.Source {
				kind = decode.NATDSource
			}
			if want.Match {
				match = decode.NATDMatched
			}
			if d.Kind != kind || uint8(d.PayloadType) != want.PayloadType || d.Match != match {
				t.Errorf("frame %d: NAT-D %d kind %v type %d match %v, want %v %d %v", f.Number, i, d.Kind, d.PayloadType, d.Match, kind, want.PayloadType, match)
			}
		}
	}
	switch {
	case w.KELen == 0 && m.KE != nil:
		t.Errorf("frame %d: unexpected KE", f.Number)
	case w.KELen > 0 && (m.KE == nil || m.KE.Group != w.KEGroup || m.KE.Length != w.KELen):
		t.Errorf("frame %d: KE %+v, want group %d length %d", f.Number, m.KE, w.KEGroup, w.KELen)
	}
	if !bytes.Equal(m.Nonce, w.Nonce) {
		t.Errorf("frame %d: nonce % x, want % x", f.Number, m.Nonce, w.Nonce)
	}
}
