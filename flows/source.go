package flows

import "github.com/vpnpcap/vpnpcap/decode"

// Source is a capture to analyse: a name for reports and a way to read its
// packets in order. Reading may happen twice (correlation reads both
// captures again to match packets), so Read must start from the beginning
// each time.
type Source struct {
	// Path names the capture in reports and evidence.
	Path string
	// Read delivers every packet, as decode.ReadFile does, and returns the
	// decoder's stats and the read error, if any.
	Read func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error)
	// Once says the source can be read only once (a stream that is not
	// kept): a capture whose time runs backwards is then analysed in file
	// order (OrderFileStream), not read again to sort it.
	Once bool
}

// File returns the source of a capture file.
func File(path string) Source {
	return Source{Path: path, Read: func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		return decode.ReadFile(path, opts, fn)
	}}
}

// Packets returns a source that replays packets, for tests and for tools
// that decode themselves. Packets are delivered as copies. The stats it
// returns count frames, kinds, frames with VPN packets and copies, and
// describe the clock, from the packets (several packets of one frame come
// one after the other); they hold the reassembly bounds of the options.
func Packets(name string, pkts []decode.Packet) Source {
	return Source{Path: name, Read: func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		var st decode.Stats
		st.Reassembly.MaxDatagrams, st.Reassembly.MaxBytes = opts.ReassemblyBounds()
		lastFrame, vpnFrame := 0, 0
		for i := range pkts {
			p := pkts[i]
			if p.Frame != lastFrame {
				st.Clock.Note(p.Frame, p.Time)
				lastFrame = p.Frame
				if p.DuplicateOf != 0 {
					st.Duplicates++
				}
			}
			if p.Kind != decode.KindOther && p.Frame != vpnFrame {
				st.VPNFrames++
				vpnFrame = p.Frame
			}
			st.Frames = max(st.Frames, p.Frame)
			st.Kinds[p.Kind]++
			if p.Kind == decode.KindOther && !opts.KeepOther {
				continue
			}
			fn(&p)
		}
		return st, nil
	}}
}
