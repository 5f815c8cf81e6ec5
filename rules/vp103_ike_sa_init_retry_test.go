package rules

import (
	"fmt"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// vp103Retry scripts an IKE_SA_INIT answered with a notify, then — when
// retry is set — the initiator's second IKE_SA_INIT (same SPIi) and its
// answer.
func vp103Retry(typ decode.NotifyType, retry bool) []decode.Packet {
	s := pt.New()
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	s.IKE(ini, resp, vp1Msg(decode.ExchangeTypeIKESAInit, 0, false), 1)
	rsp := vp1Msg(decode.ExchangeTypeIKESAInit, 0, true)
	rsp.SPIr = 0
	rsp.Notifies = []decode.Notify{{Type: typ}}
	s.IKE(resp, ini, rsp, 2)
	if retry {
		s.IKE(ini, resp, vp1Msg(decode.ExchangeTypeIKESAInit, 0, false), 3)
		s.IKE(resp, ini, vp1Msg(decode.ExchangeTypeIKESAInit, 0, true), 4)
	}
	vp1Background(s, 10*time.Second)
	return s.Packets
}

func TestVP103InvalidKERetried(t *testing.T) {
	c := oneCapture(t, vp103Retry(decode.NotifyTypeInvalidKEPayload, true))
	f := wantFindings(t, checkRule(t, ikeSAInitRetry{}, c), 1)[0]
	if f.Severity != Info || f.Confidence != High || f.Tunnel != 1 {
		t.Errorf("severity %s confidence %s tunnel %d; want info, high, 1", f.Severity, f.Confidence, f.Tunnel)
	}
	wantMessage(t, f.Message, "answered IKE_SA_INIT with INVALID_KE_PAYLOAD (17) at frame 2",
		"another Diffie-Hellman group", "the initiator retried at frame 3")
	wantFrames(t, f, flows.SideInside, 2, 3)
}

func TestVP103CookieNotRetried(t *testing.T) {
	c := oneCapture(t, vp103Retry(decode.NotifyTypeCookie, false))
	f := wantFindings(t, checkRule(t, ikeSAInitRetry{}, c), 1)[0]
	if f.Confidence != Medium {
		t.Errorf("confidence %s, want medium", f.Confidence)
	}
	wantMessage(t, f.Message, "COOKIE (16390)", "did not retry")
	wantFrames(t, f, flows.SideInside, 2)
}

func TestVP103RetryWithNewSPI(t *testing.T) {
	s := pt.New()
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	s.IKE(ini, resp, vp1Msg(decode.ExchangeTypeIKESAInit, 0, false), 1)
	rsp := vp1Msg(decode.ExchangeTypeIKESAInit, 0, true)
	rsp.SPIr = 0
	rsp.Notifies = []decode.Notify{{Type: decode.NotifyTypeInvalidKEPayload}}
	s.IKE(resp, ini, rsp, 2)
	again := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	again.SPIi = 0x3333333333333333
	s.After(time.Second).IKE(ini, resp, again, 3)
	f := wantFindings(t, checkRule(t, ikeSAInitRetry{}, oneCapture(t, s.Packets)), 1)[0]
	wantMessage(t, f.Message, "retried at frame 3")
}

func TestVP103Clean(t *testing.T) {
	s := pt.New()
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	wantFindings(t, checkRule(t, ikeSAInitRetry{}, oneCapture(t, s.Packets)), 0)
	wantFindings(t, checkRule(t, ikeSAInitRetry{}, oneCapture(t, vp103Retry(decode.NotifyTypeNoProposalChosen, false))), 0)
}

func TestVP103OneFindingPerResponder(t *testing.T) {
	// A responder that asks every initiator for a cookie gives one
	// finding, not one per IKE SA.
	s := pt.New()
	for i, spi := range []uint64{0x1000000000000001, 0x1000000000000002, 0x1000000000000003} {
		ini := fmt.Sprintf("10.0.0.%d:500", 2+i)
		req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
		req.SPIi = spi
		rsp := vp1Msg(decode.ExchangeTypeIKESAInit, 0, true)
		rsp.SPIi, rsp.SPIr = spi, 0
		rsp.Notifies = []decode.Notify{{Type: decode.NotifyTypeCookie}}
		h := uint64(10 * (i + 1))
		s.IKE(ini, "198.51.100.7:500", req, h)
		s.IKE("198.51.100.7:500", ini, rsp, h+1)
		again := req
		again.Notifies = []decode.Notify{{Type: decode.NotifyTypeCookie}}
		s.IKE(ini, "198.51.100.7:500", again, h+2)
		s.After(time.Second)
	}
	f := wantFindings(t, checkRule(t, ikeSAInitRetry{}, oneCapture(t, s.Packets)), 1)[0]
	if f.Tunnel != 1 || f.Confidence != High {
		t.Errorf("tunnel %d confidence %s; want 1, high", f.Tunnel, f.Confidence)
	}
	wantMessage(t, f.Message, "answered IKE_SA_INIT with COOKIE (16390) in 3 IKE SAs (the first at frame 2)",
		"the initiators retried in 3 of them")
	wantFrames(t, f, flows.SideInside, 2, 3, 5, 6, 8, 9)
}
