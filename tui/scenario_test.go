package tui

import (
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
	"github.com/vpnpcap/vpnpcap/rules"
)

// The synthetic scenario of the screen tests: two clients behind a NAT
// (10.0.0.2 and 10.0.0.3, translated to 203.0.113.5) reach two gateways.
// Tunnel 1 (client .2 to 198.51.100.7) negotiates NAT-T and floats to
// 4500; the NAT loses three of its outbound ESP packets. Tunnel 2 (client
// .3 to 198.51.100.9) has no NAT-T and sends raw ESP, which the NAT
// passes through. DNS runs beside them. The outside capture's clock is
// 7.3 s ahead.
const (
	spiA  = 0xa1a2a3a4a5a6a7a8
	spiAR = 0xb1b2b3b4b5b6b7b8
	spiB  = 0xc1c2c3c4c5c6c7c8
	spiBR = 0xd1d2d3d4d5d6d7d8
	espA1 = 0xc0ffee01
	espA2 = 0xc0ffee02
	espB1 = 0x0badf00d
	espB2 = 0x0badf00e
)

// ikeInit builds an IKE_SA_INIT message with its payloads in order.
func ikeInit(spi, spir uint64, response bool, natd []decode.NATD) decode.IKEMessage {
	m := decode.IKEMessage{Version: 2, SPIi: spi, SPIr: spir, Exchange: decode.ExchangeTypeIKESAInit, NextPayload: decode.PayloadTypeSA}
	if response {
		m.Flags = decode.IKEv2FlagResponse
	} else {
		m.Flags = decode.IKEv2FlagInitiator
	}
	m.Payloads = []decode.PayloadSummary{{Type: decode.PayloadTypeSA, Length: 48, Offset: 28}, {Type: decode.PayloadTypeKE, Length: 264, Offset: 76},
		{Type: decode.PayloadTypeNonce, Length: 36, Offset: 340}}
	off := 376
	m.Proposals = []decode.Proposal{{Number: 1, Protocol: decode.ProtocolIDIKE, Transforms: []decode.Transform{
		{Type: decode.TransformTypeENCR, ID: 12, Attributes: []decode.Attribute{{Type: 0x800e, Value: 256}}},
		{Type: decode.TransformTypePRF, ID: 5},
		{Type: decode.TransformTypeINTEG, ID: 12},
		{Type: decode.TransformTypeKE, ID: 14},
	}}}
	m.KE = &decode.KeyExchange{Group: 14, Length: 256}
	m.Nonce = make([]byte, 32)
	for _, n := range natd {
		typ := decode.NotifyTypeNATDetectionSourceIP
		if n.Kind == decode.NATDDestination {
			typ = decode.NotifyTypeNATDetectionDestinationIP
		}
		m.Payloads = append(m.Payloads, decode.PayloadSummary{Type: decode.PayloadTypeNotify, Length: 28, Offset: off, Entry: len(m.Notifies)})
		off += 28
		m.Notifies = append(m.Notifies, decode.Notify{Type: typ, Data: make([]byte, 20)})
		n.Hash = make([]byte, 20)
		m.NATD = append(m.NATD, n)
	}
	m.Payloads = append(m.Payloads, decode.PayloadSummary{Type: decode.PayloadTypeVendorID, Length: 20, Offset: off})
	m.VendorIDs = []decode.VendorID{{Data: []byte{0x4a, 0x13, 0x1c, 0x81}, Name: "RFC 3947"}}
	return m
}

// ikeAuth builds an encrypted IKE_AUTH message.
func ikeAuth(spi, spir uint64, response bool) decode.IKEMessage {
	m := decode.IKEMessage{Version: 2, SPIi: spi, SPIr: spir, Exchange: decode.ExchangeTypeIKEAuth, MessageID: 1,
		NextPayload: decode.PayloadTypeSK, Encrypted: true, EncryptedFirst: decode.PayloadTypeIDi,
		Payloads: []decode.PayloadSummary{{Type: decode.PayloadTypeSK, Length: 300, Offset: 28, Entry: -1}}}
	m.Flags = decode.IKEv2FlagInitiator
	if response {
		m.Flags = decode.IKEv2FlagResponse
		m.EncryptedFirst = decode.PayloadTypeIDr
	}
	return m
}

// scenarioInside scripts the inside capture.
func scenarioInside() []decode.Packet {
	s := pt.New()
	a, g := "10.0.0.2:500", "198.51.100.7:500"
	s.IKE(a, g, ikeInit(spiA, 0, false, []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}), 11)
	s.IKE(g, a, ikeInit(spiA, spiAR, true, []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMismatch)}), 12)
	a4, g4 := "10.0.0.2:4500", "198.51.100.7:4500"
	s.IKE(a4, g4, ikeAuth(spiA, spiAR, false), 13)
	s.IKE(g4, a4, ikeAuth(spiA, spiAR, true), 14)
	b, h := "10.0.0.3:500", "198.51.100.9:500"
	s.IKE(b, h, ikeInit(spiB, 0, false, nil), 21)
	s.IKE(h, b, ikeInit(spiB, spiBR, true, nil), 22)
	s.IKE(b, h, ikeAuth(spiB, spiBR, false), 23)
	s.IKE(h, b, ikeAuth(spiB, spiBR, true), 24)
	for i := uint32(1); i <= 10; i++ {
		s.ESP(a4, g4, espA1, i)
		s.ESP(g4, a4, espA2, i)
		s.ESP("10.0.0.3", "198.51.100.9", espB1, i)
		s.ESP("198.51.100.9", "10.0.0.3", espB2, i)
		if i%4 == 0 {
			s.Other(17, "10.0.0.2:53000", "192.0.2.53:53", uint64(i)<<8|1)
			s.Other(17, "192.0.2.53:53", "10.0.0.2:53000", uint64(i)<<8|2)
		}
		s.After(time.Second)
	}
	s.Keepalive(a4, g4)
	return s.Packets
}

// scenarioNAT is the NAT between the captures.
func scenarioNAT() *pt.NAT {
	return &pt.NAT{
		Map: map[string]string{
			"10.0.0.2:500":   "203.0.113.5:500",
			"10.0.0.2:4500":  "203.0.113.5:61001",
			"10.0.0.2:53000": "203.0.113.5:41000",
			// Raw IP and any port of .3: one rule, so that no two
			// rules match one packet (the model's map has no order).
			"10.0.0.3": "203.0.113.5",
		},
		Offset: 7300 * time.Millisecond,
		Delay:  time.Millisecond,
		Drop: func(_ int, p *decode.Packet) bool {
			return p.Kind == decode.KindUDPESP && p.ESP.SPI == espA1 && p.ESP.Seq >= 5 && p.ESP.Seq <= 7
		},
	}
}

// scenarioConfig returns the UI's configuration for the scenario, with
// both captures given as decoded packets.
func scenarioConfig() Config {
	inside := scenarioInside()
	outside := scenarioNAT().Translate(inside)
	in := flows.Packets("inside.pcap", inside)
	out := flows.Packets("outside.pcap", outside)
	return Config{
		Captures:   []Capture{{Path: "inside.pcap", Source: &in}, {Path: "outside.pcap", Source: &out}},
		RolesGiven: true,
		Decode:     decode.Options{KeepOther: true},
	}
}

// scenarioFindings are fixed findings about the scenario, so that the
// screens do not change as rules are added: an error about tunnel 1's
// lost ESP, a warning about tunnel 2's raw ESP, and an informational
// finding about no tunnel.
func scenarioFindings(rc *rules.Context) []rules.Finding {
	var out []rules.Finding
	for _, v := range rc.Tunnels {
		t := v.Any()
		switch t.SPIi {
		case spiA:
			var ev []rules.Evidence
			for _, sa := range v.Sides[0].ESPSAs {
				if sa.SPI == espA1 {
					ev = rc.Evidence(flows.SideInside, sa.Fate().DroppedFrames().List()...)
				}
			}
			out = append(out, rules.Finding{RuleID: "VP201", Title: "ESP lost at the NAT", Severity: rules.Error, Confidence: rules.High,
				Tunnel: v.ID, Message: "3 of 10 outbound ESP packets of SA 0xc0ffee01 were not seen outside",
				Explanation: "The NAT forwarded the IKE exchange but dropped part of the encapsulated ESP.",
				Remedy:      "Check the NAT's UDP 4500 mapping and its rate limits.", Evidence: ev})
		case spiB:
			out = append(out, rules.Finding{RuleID: "VP304", Title: "Depends on IPsec Passthrough", Severity: rules.Warning, Confidence: rules.Medium,
				Tunnel: v.ID, Message: "raw ESP crosses a NAT: only Passthrough forwards it",
				Explanation: "Without NAT-T, ESP travels as IP protocol 50, which a NAT can only pass for one client at a time.",
				Remedy:      "Enable NAT-T on both peers.", Evidence: rc.Evidence(flows.SideInside, 11)})
		}
	}
	out = append(out, rules.Finding{RuleID: "VP901", Title: "Background traffic", Severity: rules.Info, Confidence: rules.High,
		Message: "DNS queries beside the tunnels", Evidence: rc.Evidence(flows.SideInside, 25, 26)})
	rules.SortFindings(out)
	return out
}
