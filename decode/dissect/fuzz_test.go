package dissect

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// FuzzPacket decodes a frame of any link type and lays out every packet it
// yields, with the frame's bytes and without; then it lays out packets of a
// real capture with the fuzzed bytes as their frame. No tree may panic or
// place a field outside the frame or its parent, and a tree built without
// bytes covers none.
//
// It is seeded with every frame of the samples that exercise the tree
// (IKEv1, IKEv2, NAT-T, ESP, AH, GRE, PPTP, fragments), with the VPN frames
// of the lab captures and of the public corpus where they are present.
func FuzzPacket(f *testing.F) {
	for _, s := range []string{"natt-ok", "natt-ok-ikev1", "pptp-ok", "ah-through-nat", "ike-fragments-dropped", "ike-over-tcp"} {
		for _, fr := range readFrames(f, sample(s, "inside"), decode.Options{}) {
			f.Add(uint16(fr.rec.LinkType), fr.rec.Data)
		}
	}
	for _, dir := range []string{filepath.Join(corpus.RepoRoot(), "..", "shared", "captures", "lab"), filepath.Join(corpus.RepoRoot(), "..", "shared", "captures", "public")} {
		if _, err := os.Stat(dir); err != nil {
			continue // TestLab and TestPublicCorpus report a missing corpus
		}
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			switch filepath.Ext(path) {
			case ".pcap", ".pcapng", ".cap":
				for _, fr := range readFrames(f, path, decode.Options{}) {
					if fr.p.Kind.IsVPN() {
						f.Add(uint16(fr.rec.LinkType), fr.rec.Data)
					}
				}
			}
			return nil
		})
	}
	reference := readFrames(f, sample("natt-ok", "inside"), decode.Options{})
	f.Fuzz(func(t *testing.T, link uint16, data []byte) {
		rec := capture.Record{Frame: 1, LinkType: layers.LinkType(link), Data: data, Length: len(data)}
		d := decode.NewDecoder(decode.Options{KeepOther: true})
		ps := append(d.Decode(&rec), d.Flush()...)
		for i := range ps {
			p := &ps[i]
			where := "packet " + strconv.Itoa(i) + " " + p.Kind.String()
			own := rec
			own.Frame = p.Frame
			checkTree(t, where, Packet(p, &own), len(data))
			checkTree(t, where+" without bytes", Packet(p, nil), 0)
		}
		// Packets given bytes that are not theirs.
		for _, fr := range reference[:min(len(reference), 12)] {
			other := rec
			other.Frame = fr.p.Frame
			checkTree(t, "frame "+strconv.Itoa(fr.p.Frame)+" with fuzzed bytes", Packet(&fr.p, &other), len(data))
		}
	})
}
