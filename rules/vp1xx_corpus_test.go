package rules

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// TestVP1VP9Corpus runs the IKE negotiation and capture quality rules over
// every public capture: no panic, every evidence frame a frame of its
// capture, every finding about a tunnel naming one that exists. It also
// pins findings on captures that show the failure for real.
func TestVP1VP9Corpus(t *testing.T) {
	dir := corpus.Dir(t)
	var mine []Rule
	for _, r := range All() {
		if id := r.Meta().ID; strings.HasPrefix(id, "VP1") || strings.HasPrefix(id, "VP9") {
			mine = append(mine, r)
		}
	}
	want := map[string][]string{
		// A client's 3468-octet IKE_AUTH in three IP fragments, resent
		// and never answered (zeek-spicy-ipsec).
		"zeek-spicy-ipsec/ipsec_client.pcap": {"VP101", "VP104", "VP105"},
		// An IKEv1 NO-PROPOSAL-CHOSEN notification in cleartext.
		"zeek-spicy-ipsec/ipsec.cap": {"VP102"},
		// INVALID_KE_PAYLOAD, then IKE_SA_INIT again with another group.
		"zeek-plugin-ikev2/ikev2.pcap": {"VP103"},
		// ESP cut at 46 bytes by the snap length.
		"tcpdump/esp_truncated.pcap": {"VP902"},
	}
	for _, f := range corpus.Files(t) {
		a := flows.Analyze(flows.File(filepath.Join(dir, f)), decode.Options{KeepOther: true}, flows.Options{})
		c := NewContext(a, nil)
		got := map[string]bool{}
		for _, r := range mine {
			for _, fd := range checkRule(t, r, c) {
				got[fd.RuleID] = true
				for _, e := range fd.Evidence {
					if e.Frame > a.Capture.Frames {
						t.Errorf("%s: %s: evidence frame %d beyond the capture's %d frames", f, fd.RuleID, e.Frame, a.Capture.Frames)
					}
				}
				if fd.Tunnel < 0 || fd.Tunnel > len(c.Tunnels) {
					t.Errorf("%s: %s: tunnel %d of %d", f, fd.RuleID, fd.Tunnel, len(c.Tunnels))
				}
			}
		}
		for _, id := range want[filepath.ToSlash(f)] {
			if !got[id] {
				t.Errorf("%s: no %s finding", f, id)
			}
		}
	}
}
