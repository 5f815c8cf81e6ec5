package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/keys"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// vp102Refused scripts an IKE_SA_INIT answered with one notify.
func vp102Refused(typ decode.NotifyType) []decode.Packet {
	s := pt.New()
	s.IKE("10.0.0.2:500", "198.51.100.7:500", vp1Msg(decode.ExchangeTypeIKESAInit, 0, false), 1)
	rsp := vp1Msg(decode.ExchangeTypeIKESAInit, 0, true)
	rsp.SPIr = 0
	rsp.Notifies = []decode.Notify{{Type: typ}}
	s.IKE("198.51.100.7:500", "10.0.0.2:500", rsp, 2)
	vp1Background(s, 10*time.Second)
	return s.Packets
}

func TestVP102NoProposalChosen(t *testing.T) {
	c := oneCapture(t, vp102Refused(decode.NotifyTypeNoProposalChosen))
	f := wantFindings(t, checkRule(t, ikeErrorNotify{}, c), 1)[0]
	if f.Tunnel != 1 || f.Confidence != High {
		t.Errorf("tunnel %d confidence %s, want 1, high", f.Tunnel, f.Confidence)
	}
	wantMessage(t, f.Message, "the responder 198.51.100.7 sent NO_PROPOSAL_CHOSEN (14) once in answer to IKE_SA_INIT",
		"the sender accepts none of the proposals offered")
	wantFrames(t, f, flows.SideInside, 2)
	if !strings.Contains(f.Remedy, "proposals=") {
		t.Errorf("remedy %q does not say how to align proposals", f.Remedy)
	}
}

func TestVP102IKEv1InvalidID(t *testing.T) {
	s := pt.New()
	v1 := func(spir uint64, ex decode.ExchangeType, id uint32) decode.IKEMessage {
		return decode.IKEMessage{Version: 1, SPIi: testSPIi, SPIr: spir, Exchange: ex, MessageID: id, Length: 200}
	}
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	s.IKE(ini, resp, v1(0, decode.ExchangeTypeMain, 0), 1)
	s.IKE(resp, ini, v1(testSPIr, decode.ExchangeTypeMain, 0), 2)
	info := v1(testSPIr, decode.ExchangeTypeInformationalV1, 0x1234)
	info.Notifies = []decode.Notify{{Type: decode.NotifyTypeV1InvalidIDInformation}, {Type: decode.NotifyTypeV1InitialContact}}
	s.IKE(resp, ini, info, 3)
	// A vendor status in the IKEv1 private range is not an error.
	status := v1(testSPIr, decode.ExchangeTypeInformationalV1, 0x1235)
	status.Notifies = []decode.Notify{{Type: 9000}}
	s.IKE(resp, ini, status, 4)
	f := wantFindings(t, checkRule(t, ikeErrorNotify{}, oneCapture(t, s.Packets)), 1)[0]
	wantMessage(t, f.Message, "the responder 198.51.100.7 sent INVALID-ID-INFORMATION (18) once in an Informational message")
	wantFrames(t, f, flows.SideInside, 3)
	if !strings.Contains(f.Remedy, "rightsubnet") {
		t.Errorf("remedy %q does not speak of identities and subnets", f.Remedy)
	}
}

func TestVP102Clean(t *testing.T) {
	for _, typ := range []decode.NotifyType{decode.NotifyTypeInvalidKEPayload, decode.NotifyTypeCookie,
		decode.NotifyTypeNATDetectionSourceIP, decode.NotifyTypeUnexpectedNATDetected} {
		t.Run(typ.String(), func(t *testing.T) {
			wantFindings(t, checkRule(t, ikeErrorNotify{}, oneCapture(t, vp102Refused(typ))), 0)
		})
	}
}

func TestVP102BothCaptures(t *testing.T) {
	in := vp102Refused(decode.NotifyTypeNoProposalChosen)
	nat := vp1NAT()
	out := nat.Translate(in)
	c := twoCaptures(t, in, out)
	f := wantFindings(t, checkRule(t, ikeErrorNotify{}, c), 1)[0]
	wantFrames(t, f, flows.SideInside, 2)
	if got := evidenceFrames(f, flows.SideOutside); len(got) != 1 {
		t.Errorf("outside evidence = %v, want the notify's frame", got)
	}
}

// TestVP102Recovered: an IKEv1 peer refuses the first Main Mode attempt,
// then the same IKE SA completes. The refusal is reported with low
// confidence and the verdict does not call the tunnel failed.
func TestVP102Recovered(t *testing.T) {
	s := pt.New()
	v1 := func(spir uint64, ex decode.ExchangeType, id uint32) decode.IKEMessage {
		return decode.IKEMessage{Version: 1, SPIi: testSPIi, SPIr: spir, Exchange: ex, MessageID: id, Length: 200}
	}
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	s.IKE(ini, resp, v1(0, decode.ExchangeTypeMain, 0), 1)
	s.IKE(resp, ini, v1(testSPIr, decode.ExchangeTypeMain, 0), 2)
	info := v1(testSPIr, decode.ExchangeTypeInformationalV1, 0x77)
	info.Notifies = []decode.Notify{{Type: decode.NotifyTypeV1NoProposalChosen}}
	s.IKE(ini, resp, info, 3)
	for i := uint64(0); i < 4; i++ { // MM3 to MM6, alternating
		from, to := ini, resp
		if i%2 == 1 {
			from, to = resp, ini
		}
		s.IKE(from, to, v1(testSPIr, decode.ExchangeTypeMain, 0), 10+i)
	}
	c := oneCapture(t, s.Packets)
	f := wantFindings(t, checkRule(t, ikeErrorNotify{}, c), 1)[0]
	if f.Confidence != Low {
		t.Errorf("confidence %s, want low: the negotiation recovered", f.Confidence)
	}
	wantMessage(t, f.Message, "the negotiation went on and completed afterwards (frame 7)")
	if !f.Milder {
		t.Errorf("a refusal the peers recovered from must be milder than the rule's severity")
	}
	f.RuleID, f.Severity = "VP102", Error
	if vd := Verdicts(c, []Finding{f})[0]; !vd.Works {
		t.Errorf("verdict says the tunnel fails (%s); a refusal it recovered from must not", vd.Failure)
	}
}

// TestVP102Decrypted: AUTHENTICATION_FAILED read inside the encrypted
// IKE_AUTH response (--keys) is reported as read decrypted, with the key's
// file and line and never as cleartext; the tunnel failed.
func TestVP102Decrypted(t *testing.T) {
	s := pt.New()
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	s.IKE(ini, resp, vp1Msg(decode.ExchangeTypeIKESAInit, 0, false), 1)
	s.IKE(resp, ini, vp1Msg(decode.ExchangeTypeIKESAInit, 0, true), 2)
	key := keys.Source{File: "charon-gw.log", Line: 289}
	req := vp1Msg(decode.ExchangeTypeIKEAuth, 1, false)
	req.Encrypted = true
	req.Decryption = &decode.Decryption{Status: decode.Decrypted, Key: key}
	s.IKE(ini, resp, req, 3)
	rsp := vp1Msg(decode.ExchangeTypeIKEAuth, 1, true)
	rsp.Encrypted = true
	rsp.Decryption = &decode.Decryption{Status: decode.Decrypted, Key: key, Payloads: []decode.PayloadSummary{{Type: decode.PayloadTypeNotify}}}
	rsp.Notifies = []decode.Notify{{Type: decode.NotifyTypeAuthenticationFailed}}
	s.IKE(resp, ini, rsp, 4)
	vp1Background(s, 10*time.Second)
	c := oneCapture(t, s.Packets)
	f := wantFindings(t, checkRule(t, ikeErrorNotify{}, c), 1)[0]
	wantMessage(t, f.Message, "the responder 198.51.100.7 sent AUTHENTICATION_FAILED (24) once in answer to IKE_AUTH, read decrypted (inside the encrypted payload, opened with the key of charon-gw.log:289)",
		"check the pre-shared key")
	if strings.Contains(f.Message, "cleartext") || f.Confidence != High {
		t.Errorf("%s confidence: %s", f.Confidence, f.Message)
	}
	wantFrames(t, f, flows.SideInside, 4)
	if tun := c.Tunnels[0].Any(); tun.State != flows.StateFailed || tun.Established() {
		t.Errorf("tunnel state %s, established %v", tun.State, tun.Established())
	}
}
