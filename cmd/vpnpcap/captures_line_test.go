package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// TestCapturesLineCounts holds the CAPTURES lines of analyze to what the
// public captures hold (tshark, capinfos): frames, the frames that carry
// VPN traffic, and what was decoded from them when a frame yields several
// VPN packets, in the right number.
func TestCapturesLineCounts(t *testing.T) {
	dir := corpus.Dir(t)
	cases := []struct {
		file string
		want []string
	}{
		// One IPv4 first fragment (More Fragments set) cut at 46 octets:
		// the fragment, and the datagram it can never complete.
		{"tcpdump/esp_truncated.pcap", []string{
			"esp_truncated.pcap: 1 frame, 1 with VPN traffic,",
			"decoded into 2 VPN packets: 1 IP fragment, 1 malformed packet (one frame can carry several)",
			"           1 malformed VPN packet\n"}},
		// Nine IPv4 fragments make three IKE_AUTH messages; two IKE
		// messages are whole.
		{"zeek-spicy-ipsec/ipsec_client.pcap", []string{
			"ipsec_client.pcap: 11 frames, 11 with VPN traffic,",
			"decoded into 14 VPN packets: 5 IKE messages, 9 IP fragments"}},
		// Each frame is AH protecting ESP: tshark shows ah:esp.
		{"zeek-spicy-ipsec/IPsec_ESP-AH_tunnel_mode.cap", []string{
			"10 frames, 10 with VPN traffic,", "decoded into 20 VPN packets: 10 ESP packets, 10 AH packets"}},
		// 8 ARP frames, 27 VPN frames, each one packet.
		{"tcpdump/isakmp4500.pcap", []string{"isakmp4500.pcap: 35 frames, 27 with VPN traffic,", "every frame has the same time stamp"}},
		{"suricata-verify/detect-bypass-udp/input.pcap", []string{"66 frames, 66 with VPN traffic,", "33 VPN frames captured twice"}},
		{"nDPI/ipsec_isakmp_esp.pcap", []string{"834 frames, 834 with VPN traffic,", "packets analysed in time order (VP909)"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			var out, errOut bytes.Buffer
			// Wide enough that no line wraps.
			run(context.Background(), []string{"analyze", "--color", "never", "--width", "1000", "--fail-on", "none", filepath.Join(dir, tc.file)}, strings.NewReader(""), &out, &errOut)
			_, head, _ := strings.Cut(out.String(), "\nCAPTURES\n")
			head, _, _ = strings.Cut(head, "\nTUNNELS")
			for _, w := range tc.want {
				if !strings.Contains(head, w) {
					t.Errorf("CAPTURES lacks %q:\n%s", w, head)
				}
			}
			if strings.Contains(head, " 1 frames") || strings.Contains(head, " 1 VPN packets") || strings.Contains(head, " 1 malformed VPN packets") {
				t.Errorf("plural for one:\n%s", head)
			}
			if tc.file != "tcpdump/esp_truncated.pcap" && tc.file != "zeek-spicy-ipsec/ipsec_client.pcap" &&
				tc.file != "zeek-spicy-ipsec/IPsec_ESP-AH_tunnel_mode.cap" && strings.Contains(head, "decoded into") {
				t.Errorf("a breakdown where each frame is one packet:\n%s", head)
			}
		})
	}
}
