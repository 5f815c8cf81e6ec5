package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// ikePortCapture writes a capture of an IKEv2 tunnel between peers
// configured for non-standard ports, as strongSwan's charon.port and
// charon.port_nat_t allow: IKE_SA_INIT on 4501 as port 500 carries it (no
// non-ESP marker), the float to 4502, where IKE_AUTH travels behind the
// marker beside ESP in UDP and a keepalive, as on 4500 (RFC 3947 §4,
// RFC 3948 §2).
func ikePortCapture(t *testing.T) string {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	cli, gw := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("198.51.100.7")
	const spiI, spiR = 0x8001020304050607, 0x1112131415161718
	init := func(resp bool) []byte {
		m := pcaptest.Message{SPIi: spiI, Version: 2, Exchange: pcaptest.V2IKESAInit, Flags: pcaptest.V2FlagInitiator,
			Payloads: []pcaptest.Payload{pcaptest.KEv2(pcaptest.DHModp2048, pcaptest.RandBytes(r, 256)), pcaptest.NonceV2(pcaptest.RandBytes(r, 32))}}
		if resp {
			m.SPIr, m.Flags = spiR, pcaptest.V2FlagResponse
		}
		return m.Marshal()
	}
	auth := func(resp bool) []byte {
		m := pcaptest.Message{SPIi: spiI, SPIr: spiR, Version: 2, Exchange: pcaptest.V2IKEAuth, MessageID: 1, Flags: pcaptest.V2FlagInitiator,
			Payloads: []pcaptest.Payload{pcaptest.SKv2(r, pcaptest.V2Nonce, 300)}}
		if resp {
			m.Flags = pcaptest.V2FlagResponse
		}
		return pcaptest.WithMarker(m.Marshal())
	}
	type send struct {
		from, to     netip.Addr
		sport, dport uint16
		payload      []byte
	}
	sends := []send{
		{cli, gw, 4501, 4501, init(false)},
		{gw, cli, 4501, 4501, init(true)},
		{cli, gw, 4502, 4502, auth(false)},
		{gw, cli, 4502, 4502, auth(true)},
	}
	for seq := uint32(1); seq <= 3; seq++ {
		sends = append(sends,
			send{cli, gw, 4502, 4502, pcaptest.ESP(r, 0xc1c2c3c4, seq, 84)},
			send{gw, cli, 4502, 4502, pcaptest.ESP(r, 0xd1d2d3d4, seq, 84)})
	}
	sends = append(sends, send{cli, gw, 4502, 4502, []byte{0xff}})
	var buf bytes.Buffer
	w, err := pcaptest.NewWriter(&buf, pcaptest.DefaultSnapLen)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for i, s := range sends {
		p := pcaptest.Packet{SrcMAC: pcaptest.MustMAC("02:00:00:00:00:01"), DstMAC: pcaptest.MustMAC("02:00:00:00:00:02"),
			Src: s.from, Dst: s.to, Proto: pcaptest.ProtoUDP, TTL: 64, ID: uint32(100 + i), SrcPort: s.sport, DstPort: s.dport, Payload: s.payload}
		frames, err := p.Frames(1500)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range frames {
			if err := w.WritePacket(at, f); err != nil {
				t.Fatal(err)
			}
		}
		at = at.Add(50 * time.Millisecond)
	}
	path := filepath.Join(t.TempDir(), "ike-ports.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestIKEPortOption runs analyze on a capture of peers on non-standard IKE
// ports: named with --ike-port, the port used as 500 is carries IKE without
// the marker and the port used as 4500 is carries IKE behind it, ESP and a
// keepalive. No marker violation, and ESP only where ESP was sent.
func TestIKEPortOption(t *testing.T) {
	path := ikePortCapture(t)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"analyze", "--format", "json", "--fail-on", "none", "--ike-port", "4501", "--ike-port", "4502", path},
		strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep struct {
		Captures []struct {
			Kinds map[string]int `json:"kinds"`
		} `json:"captures"`
		Tunnels []struct {
			SPIi   string `json:"spi_i"`
			State  string `json:"state"`
			ESPSAs []struct {
				SPI string `json:"spi"`
			} `json:"esp_sas"`
		} `json:"tunnels"`
		Findings []struct {
			Rule    string `json:"rule"`
			Message string `json:"message"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	kinds := rep.Captures[0].Kinds
	if kinds["ike"] != 4 || kinds["udp-esp"] != 6 || kinds["nat-keepalive"] != 1 || len(kinds) != 3 {
		t.Errorf("kinds %v, want 4 IKE messages, 6 ESP in UDP and a keepalive", kinds)
	}
	if len(rep.Tunnels) != 1 || rep.Tunnels[0].State != "established" || len(rep.Tunnels[0].ESPSAs) != 2 {
		t.Fatalf("tunnels %+v, want one, established, with 2 ESP SAs", rep.Tunnels)
	}
	for _, sa := range rep.Tunnels[0].ESPSAs {
		if sa.SPI != "0xc1c2c3c4" && sa.SPI != "0xd1d2d3d4" {
			t.Errorf("ESP SA %s: not an SPI that was sent", sa.SPI)
		}
	}
	for _, f := range rep.Findings {
		if f.Rule == "VP310" || f.Rule == "VP208" {
			t.Errorf("%s: %s", f.Rule, f.Message)
		}
	}
}
