package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

// windowsServerBehindNAT detects a Windows client that gives up as soon as
// NAT detection says the VPN server is behind a NAT: the initiator sends a
// Windows vendor ID, the NAT-D payloads show the responder's address
// translated, and the initiator sends nothing after Main Mode message 4
// (IKEv1, L2TP/IPsec) or after IKE_SA_INIT (IKEv2).
//
// Windows by default does not set up security associations with a server
// behind NAT (registry value AssumeUDPEncapsulationContextOnSendRule = 0);
// the user sees error 809 ("The network connection between your computer
// and the VPN server could not be established because the remote server is
// not responding"). The server is not at fault.
//
// On the Windows client set
// HKLM\SYSTEM\CurrentControlSet\Services\PolicyAgent\AssumeUDPEncapsulationContextOnSendRule
// to 2 (DWORD) and restart, or give the server a public address: any
// translation of the server's address, even one-to-one, shows in NAT-D.
//
// High confidence when the capture goes on for a while after the stop;
// medium when it ends soon after, since the client might have continued.
type windowsServerBehindNAT struct{}

func (windowsServerBehindNAT) Meta() Meta {
	return Meta{
		ID:         "VP109",
		Slug:       "windows-server-behind-nat",
		Title:      "Windows client refuses a VPN server behind NAT (error 809)",
		Severity:   Error,
		Confidence: High,
		TimeUse:    "how long the client stayed silent after the exchange",
		Explanation: "The initiator is a Windows client, and NAT detection shows that the VPN server (the responder) sits behind a " +
			"NAT. By default Windows does not set up IPsec security associations with a server behind NAT, so right after " +
			"NAT detection (Main Mode message 4 for L2TP/IPsec, IKE_SA_INIT for IKEv2) it silently stops, and the user gets " +
			"error 809. The server and the network are fine: the client's policy refuses.",
		Remedy: "On the Windows client, create the DWORD value AssumeUDPEncapsulationContextOnSendRule = 2 under " +
			"HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\PolicyAgent and restart (1 allows servers behind NAT " +
			"only when the client has a public address; 2 allows client and server both behind NAT). Alternatively give the " +
			"server a public address.",
		References: []string{
			"Microsoft KB 926179 (L2TP/IPsec server behind NAT-T device)",
			"Microsoft KB 885407 (default NAT-T behaviour since Windows XP SP2)",
			"RFC 3947 §3 (NAT-D in Main Mode messages 3 and 4)",
			"RFC 7296 §2.23 (NAT detection in IKE_SA_INIT)",
		},
		Catalogue: []string{"NT18"},
	}
}

// vp109Quiet is how long the capture must go on after the stop for the
// stop to be the client's decision: Windows would send the next message
// within a second.
const vp109Quiet = 5 * time.Second

func (r windowsServerBehindNAT) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		nat := v.NAT.Position
		if nat != flows.NATResponder && nat != flows.NATBoth {
			continue
		}
		vid := windowsVendorID(v, flows.RoleInitiator)
		if vid == "" {
			continue
		}
		t, side := startSide(v)
		stop, frame, at, ok := r.stopPoint(t)
		if !ok {
			continue
		}
		quiet := c.Capture(side).Capture.Last.Sub(at)
		for _, u := range c.Capture(side).Tunnels {
			// A new attempt of the same client ends the quiet period.
			if u != t && u.InitiatorFirst.Addr() == t.InitiatorFirst.Addr() && u.First.After(at) && u.First.Sub(at) < quiet {
				quiet = u.First.Sub(at)
			}
		}
		conf := High
		if quiet < vp109Quiet {
			conf = Medium
		}
		where := fmt.Sprintf("the responder (%s) is behind a NAT", t.ResponderFirst.Addr())
		if nat == flows.NATBoth {
			where = fmt.Sprintf("both the initiator and the responder (%s) are behind NATs", t.ResponderFirst.Addr())
		}
		msg := fmt.Sprintf("the initiator %s is a Windows client (vendor ID %q); NAT detection says %s; the initiator sent nothing after %s (frame %d) for %s: Windows refuses servers behind NAT by default (error 809)",
			t.InitiatorFirst.Addr(), vid, where, stop, frame, fmtDuration(quiet))
		ev := c.Evidence(side, t.NATD[flows.RoleInitiator].Frames.First(), t.NATD[flows.RoleResponder].Frames.First(), frame)
		report(Finding{Tunnel: v.ID, Confidence: conf, Message: msg, Evidence: ev})
	}
}

// stopPoint returns where a negotiation stopped when the initiator did not
// go on after NAT detection: Main Mode with four messages and the
// responder's the last, or an answered IKE_SA_INIT with nothing after it.
func (windowsServerBehindNAT) stopPoint(t *flows.Tunnel) (name string, frame int, at time.Time, ok bool) {
	if t.Midstream || len(t.Exchanges) == 0 {
		return "", 0, time.Time{}, false
	}
	e := t.Exchanges[0]
	switch {
	case t.Version == 1 && e.Type == decode.ExchangeTypeMain && e.Messages == 4 && !e.Complete &&
		e.Sends.From == flows.RoleResponder && len(t.Exchanges) == 1:
		return "Main Mode message 4", e.Sends.FirstFrame(), e.Sends.First, true
	case t.Version == 2 && e.Type == decode.ExchangeTypeIKESAInit && e.Answered && len(t.Exchanges) == 1:
		return "the IKE_SA_INIT response", e.ResponseFrames.First(), e.Last, true
	}
	return "", 0, time.Time{}, false
}

// isWindowsVendorID reports whether a vendor ID name is one Windows sends
// (MS-IKEE §2.2.3: "MS NT5 ISAKMPOAKLEY" with a version, and the Microsoft
// and Windows capability VIDs).
func isWindowsVendorID(name string) bool {
	return strings.HasPrefix(name, "MS NT5 ISAKMPOAKLEY") || strings.HasPrefix(name, "Microsoft") ||
		strings.HasPrefix(name, "Windows") || strings.HasPrefix(name, "MS-")
}

// windowsVendorID returns the first Windows vendor ID a peer sent, on
// either side, or "".
func windowsVendorID(v *flows.TunnelView, r flows.Role) string {
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		for _, n := range t.VendorIDs[r] {
			if isWindowsVendorID(n) {
				return n
			}
		}
	}
	return ""
}
