package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
)

// captureSnaplenTruncated reports VPN packets captured shorter than they
// were on the wire: the capture's snap length (tcpdump -s) cut them.
//
// An IKE message cut short loses the payloads after the cut — NAT-D hashes,
// vendor IDs, notifies, certificates — so NAT detection, capability checks
// and error notifies may be missing from the analysis. ESP keeps its SPI
// and sequence number in its first eight octets, so its accounting is
// unaffected; but with two captures of different snap lengths the same
// packet no longer hashes the same and may be counted as modified.
//
// Capture whole packets: tcpdump -s 0 (the default since tcpdump 4.0 is
// 262144), dumpcap -s 0, or the largest packet length the device's
// embedded capture allows.
//
// High confidence for IKE (the message's own length field says how much is
// missing); low when only ESP and other VPN packets are cut, as the analysis
// needs only their headers.
type captureSnaplenTruncated struct{}

func (captureSnaplenTruncated) Meta() Meta {
	return Meta{
		ID:         "VP902",
		Slug:       "capture-snaplen-truncated",
		Title:      "VPN packets cut short by the capture's snap length",
		Severity:   Warning,
		Confidence: High,
		Explanation: "The capture stored only the first bytes of some VPN packets (its snap length is shorter than the packets). " +
			"An IKE message cut short loses its later payloads — NAT-D hashes, vendor IDs, notifies, certificates — so NAT " +
			"detection and the capability and error checks may miss what the peers actually sent. ESP needs only its first " +
			"eight bytes, but packets cut differently in two captures no longer compare as equal.",
		Remedy: "Capture whole packets: tcpdump -s 0 (or -s 65535 on old versions), dumpcap/Wireshark with no packet length " +
			"limit, and on routers and firewalls with an embedded capture feature, raise its packet length limit to the " +
			"largest value it allows.",
		References: []string{
			"tcpdump(1) -s snaplen",
			"RFC 7296 §3.1 (the IKE header's Length covers the whole message)",
			"RFC 4303 §2 (SPI and sequence number in the first 8 octets of ESP)",
		},
	}
}

func (captureSnaplenTruncated) Check(c *Context, report func(Finding)) {
	for s, a := range c.Captures {
		q := &a.Capture.Stats
		qa := &a.Quality
		if qa.Truncated() == 0 {
			continue
		}
		var b strings.Builder
		conf := High
		frames := qa.TruncatedIKEFrames.List()
		others := qa.TruncatedESP + qa.TruncatedOther
		if qa.TruncatedIKE > 0 {
			fmt.Fprintf(&b, "%s captured shorter than on the wire: their payloads after the cut (NAT-D, vendor IDs, notifies, certificates) are missing from the analysis",
				wasWere(qa.TruncatedIKE, "IKE message"))
			if others > 0 {
				fmt.Fprintf(&b, "; %s cut too", wasWere(others, "other VPN packet"))
			}
		} else {
			conf = Low
			frames = qa.TruncatedFrames.List()
			fmt.Fprintf(&b, "no IKE message was cut, but %s captured shorter than on the wire; the analysis needs only their headers, but packets cut differently in two captures compare as modified",
				wasWere(others, "VPN packet"))
		}
		if qa.SnapLen > 0 {
			fmt.Fprintf(&b, "; the snap length appears to be %d bytes", qa.SnapLen)
		}
		if q.Truncated > qa.Truncated() {
			fmt.Fprintf(&b, " (%d frames in all were cut)", q.Truncated)
		}
		report(Finding{
			Subject:    a.Capture.Path,
			Confidence: conf,
			Message:    a.Capture.Path + ": " + b.String(),
			Evidence:   c.Evidence(flows.Side(s), frames...),
		})
	}
}
