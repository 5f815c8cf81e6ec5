package rules

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/keys"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// innerScript is a NAT-T tunnel from 10.0.0.2 to 198.51.100.7 whose ESP
// was decrypted: the client's virtual IP 192.0.2.17 pings 203.0.113.1
// requests times; the gateway answers replies of them; pingsBack echo
// requests go the other way, all answered. failed packets of the
// gateway's SA fail their integrity check.
func innerScript(requests, replies, pingsBack, failed int) []decode.Packet {
	s := pt.New()
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	init := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	init.NATD = vp1NATD(ini, false)
	s.IKE(ini, resp, init, 1)
	rsp := vp1Msg(decode.ExchangeTypeIKESAInit, 0, true)
	rsp.NATD = vp1NATD(ini, true)
	s.IKE(resp, ini, rsp, 2)
	ini, resp = "10.0.0.2:4500", "198.51.100.7:4500"
	s.IKE(ini, resp, vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 3)
	s.IKE(resp, ini, vp1Msg(decode.ExchangeTypeIKEAuth, 1, true), 4)
	vip, host := netip.MustParseAddr("192.0.2.17"), netip.MustParseAddr("203.0.113.1")
	key := keys.Source{File: "charon-gw.log", Line: 375}
	esp := func(src, dst string, spi uint32, seq *uint32, from, to netip.Addr, icmp uint8) {
		*seq++
		p := s.ESP(src, dst, spi, *seq)
		p.Decrypted = &decode.ESPDecryption{Status: decode.Decrypted, Key: key, NextHeader: 4,
			Inner: decode.InnerPacket{Tunnel: true, Src: from, Dst: to, Proto: 1, Transport: true, ICMPType: icmp}}
		s.After(10 * time.Millisecond)
	}
	var out, in uint32
	for i := 0; i < max(requests, pingsBack); i++ {
		s.After(time.Second)
		if i < requests {
			esp(ini, resp, 0xc1000001, &out, vip, host, 8)
			if i < replies {
				esp(resp, ini, 0xc2000002, &in, host, vip, 0)
			}
		}
		if i < pingsBack {
			esp(resp, ini, 0xc2000002, &in, host, vip, 8)
			esp(ini, resp, 0xc1000001, &out, vip, host, 0)
		}
	}
	for range failed {
		in++
		p := s.ESP(resp, ini, 0xc2000002, in)
		p.Decrypted = &decode.ESPDecryption{Status: decode.DecryptFailed, Key: key,
			Reason: "integrity check failed with the key of charon-gw.log:375: a wrong key, or one of another SA"}
	}
	vp1Background(s, 10*time.Second)
	return s.Packets
}

// TestVerdictInnerTraffic: with decrypted ESP the verdict says which way
// the inner traffic flowed and whether each side's pings were answered;
// "reached" only where a reply proves it, "crossed the NAT" only with the
// capture beyond it.
func TestVerdictInnerTraffic(t *testing.T) {
	nat := vp1NAT()
	tests := []struct {
		name                        string
		requests, replies, back, ko int
		two                         bool
		want                        []string
		not                         []string
	}{
		{"both ways, both captures", 5, 5, 3, 0, true, []string{
			"Decrypted, its ESP carried traffic both ways, counted past the NAT: 8 packets 192.0.2.17 → 203.0.113.1 (5 ICMP echo requests, 3 echo replies) and 8 packets 203.0.113.1 → 192.0.2.17 (3 ICMP echo requests, 5 echo replies)",
			"the pings from 192.0.2.17 (the initiator's side) reached 203.0.113.1 and were answered, and the pings from 203.0.113.1 (the responder's side) reached 192.0.2.17 and were answered.",
		}, []string{"did not decrypt"}},
		{"one way, both captures", 6, 0, 0, 0, true, []string{
			"Decrypted, its ESP carried traffic one way only, counted past the NAT: 6 packets 192.0.2.17 → 203.0.113.1 (6 ICMP echo requests), nothing back",
			"the pings from 192.0.2.17 (the initiator's side) to 203.0.113.1 crossed the NAT, but no echo reply came back through the tunnel.",
		}, []string{"reached"}},
		{"one way, one capture", 6, 0, 0, 0, false, []string{
			"Decrypted, its ESP carried traffic one way only: 6 packets",
			"the pings from 192.0.2.17 (the initiator's side) to 203.0.113.1 got no echo reply through the tunnel.",
		}, []string{"reached", "crossed the NAT, but", "past the NAT"}},
		{"some answered, failures", 4, 2, 0, 3, false, []string{
			"reached 203.0.113.1, and 2 of 4 were answered.",
			"3 ESP packets did not decrypt: integrity check failed with the key of charon-gw.log:375: a wrong key, or one of another SA.",
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := innerScript(tc.requests, tc.replies, tc.back, tc.ko)
			c := oneCapture(t, in)
			if tc.two {
				c = twoCaptures(t, in, nat.Translate(in))
			}
			vd := Verdicts(c, nil)[0]
			for _, w := range tc.want {
				if !strings.Contains(vd.Summary, w) {
					t.Errorf("summary lacks %q:\n%s", w, vd.Summary)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(vd.Summary, w) {
					t.Errorf("summary says %q:\n%s", w, vd.Summary)
				}
			}
		})
	}
	// Without decrypted ESP the verdict says nothing of inner traffic.
	plain := innerScript(3, 3, 0, 0)
	for i := range plain {
		plain[i].Decrypted = nil
	}
	if vd := Verdicts(oneCapture(t, plain), nil)[0]; strings.Contains(vd.Summary, "Decrypted") || strings.Contains(vd.Summary, "pings") {
		t.Errorf("summary without keys: %s", vd.Summary)
	}
}

// TestVerdictAuthUnread: an IKEv2 tunnel whose IKE_AUTH was answered and
// followed by nothing may have been refused inside the encryption
// (AUTHENTICATION_FAILED): without keys its outcome is unknown, not
// "works"; a later exchange, ESP, or keys that read the answer decide it.
func TestVerdictAuthUnread(t *testing.T) {
	build := func(later, decrypted bool) []decode.Packet {
		s := pt.New()
		ini, resp := "10.0.0.2:500", "198.51.100.7:500"
		s.IKE(ini, resp, vp1Msg(decode.ExchangeTypeIKESAInit, 0, false), 1)
		s.IKE(resp, ini, vp1Msg(decode.ExchangeTypeIKESAInit, 0, true), 2)
		for i, m := range []decode.IKEMessage{vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), vp1Msg(decode.ExchangeTypeIKEAuth, 1, true)} {
			if decrypted {
				m.Decryption = &decode.Decryption{Status: decode.Decrypted, Key: keys.Source{File: "k", Line: 1}}
			}
			if i == 0 {
				s.IKE(ini, resp, m, 3)
			} else {
				s.IKE(resp, ini, m, 4)
			}
		}
		if later {
			s.After(5*time.Second).IKE(ini, resp, vp1Msg(decode.ExchangeTypeInformational, 2, false), 5)
			s.IKE(resp, ini, vp1Msg(decode.ExchangeTypeInformational, 2, true), 6)
		}
		vp1Background(s, 10*time.Second)
		return s.Packets
	}
	for _, tc := range []struct {
		later, decrypted bool
		outcome          string
	}{
		{false, false, OutcomeUnknown},
		{true, false, OutcomeWorks},
		{false, true, OutcomeWorks},
	} {
		vd := Verdicts(oneCapture(t, build(tc.later, tc.decrypted)), nil)[0]
		if vd.Outcome != tc.outcome {
			t.Errorf("later exchange %v, decrypted %v: outcome %s (%s), want %s", tc.later, tc.decrypted, vd.Outcome, vd.Summary, tc.outcome)
		}
		if tc.outcome == OutcomeUnknown && !strings.Contains(vd.Summary, "whether the responder accepted the authentication or refused it (AUTHENTICATION_FAILED) cannot be told without the keys") {
			t.Errorf("summary: %s", vd.Summary)
		}
	}
}

// keyedAuth gives the IKE_AUTH messages of a script decrypted SA payloads:
// the client announces 0xc2000002, the gateway 0xc1000001.
func keyedAuth(pkts []decode.Packet) {
	for i := range pkts {
		m := pkts[i].IKE
		if m == nil || m.Exchange != decode.ExchangeTypeIKEAuth {
			continue
		}
		spi := uint32(0xc2000002)
		if m.IsResponse() {
			spi = 0xc1000001
		}
		m.Decryption = &decode.Decryption{Status: decode.Decrypted}
		m.Proposals = []decode.Proposal{{Number: 1, Protocol: decode.ProtocolIDESP, SPI: []byte{byte(spi >> 24), byte(spi >> 16), byte(spi >> 8), byte(spi)}}}
	}
}

// TestVerdictESPExact: with decrypted SA payloads the verdict says the
// tunnel's ESP SAs are tied to it exactly, or names those its exchanges
// did not negotiate; without them it says neither.
func TestVerdictESPExact(t *testing.T) {
	pkts := innerScript(3, 3, 0, 0)
	if vd := Verdicts(oneCapture(t, pkts), nil)[0]; strings.Contains(vd.Summary, "exactly") || strings.Contains(vd.Summary, "timing") {
		t.Errorf("without SA payloads: %s", vd.Summary)
	}
	keyedAuth(pkts)
	if vd := Verdicts(oneCapture(t, pkts), nil)[0]; !strings.Contains(vd.Summary, "Its 2 ESP SAs are tied to it exactly: its decrypted exchanges negotiated their SPIs.") {
		t.Errorf("keyed: %s", vd.Summary)
	}
	s := pt.New()
	s.Packets = pkts
	s.Now = pkts[len(pkts)-1].Time.Add(time.Second)
	s.ESP("198.51.100.7:4500", "10.0.0.2:4500", 0xc3000003, 1)
	if vd := Verdicts(oneCapture(t, s.Packets), nil)[0]; !strings.Contains(vd.Summary, "1 of its 3 ESP SAs (SPI 0xc3000003) was negotiated in none of its decrypted exchanges: it is tied to it by addresses and timing only, and may belong to another IKE SA.") {
		t.Errorf("an SA no exchange negotiated: %s", vd.Summary)
	}
}

// TestVerdictEnd: a Delete of the IKE SA read decrypted tells who closed
// the tunnel.
func TestVerdictEnd(t *testing.T) {
	pkts := innerScript(2, 2, 0, 0)
	s := pt.New()
	s.Packets = pkts
	s.Now = pkts[len(pkts)-1].Time.Add(time.Second)
	del := vp1Msg(decode.ExchangeTypeInformational, 2, false)
	del.Decryption = &decode.Decryption{Status: decode.Decrypted}
	del.Deletes = []decode.Delete{{Protocol: decode.ProtocolIDIKE}}
	frame := s.IKE("10.0.0.2:4500", "198.51.100.7:4500", del, 90).Frame
	s.IKE("198.51.100.7:4500", "10.0.0.2:4500", vp1Msg(decode.ExchangeTypeInformational, 2, true), 91)
	if vd := Verdicts(oneCapture(t, pkts), nil)[0]; strings.Contains(vd.Summary, "closed") {
		t.Errorf("without the Delete: %s", vd.Summary)
	}
	vd := Verdicts(oneCapture(t, s.Packets), nil)[0]
	if want := "The initiator closed the tunnel: it deleted the IKE SA with a Delete payload (read decrypted, frame " + strconv.Itoa(frame) + ")."; !strings.Contains(vd.Summary, want) {
		t.Errorf("summary lacks %q: %s", want, vd.Summary)
	}
}
