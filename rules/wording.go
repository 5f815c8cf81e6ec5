package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// This file holds how findings word what every rule speaks of, so that all
// of them say it alike: durations and counts, lists and frames, IKE
// exchanges and messages, peers, ESP SAs and PPTP calls.

// fmtDuration formats a duration for a message: "350ms", "4.0s", "2m05s".
func fmtDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + fmtDuration(-d)
	case d < time.Second:
		return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// howOften says how often something happened: "once", "twice", "4 times".
func howOften(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return words.Thousands(n) + " times"
}

// wasWere counts things with the verb that follows: "1 IKE message was",
// "3 IKE messages were".
func wasWere(n int, noun string) string {
	return words.Count(n, noun) + " " + words.Pick(n, "was", "were")
}

// listOf lists things by name as words.List does: "10.0.0.2, 10.0.0.3",
// naming at most words.MaxListed of them.
func listOf[T any](items []T, name func(T) string) string {
	parts := make([]string, len(items))
	for i, x := range items {
		parts[i] = name(x)
	}
	return words.List(parts, 0)
}

// joinWithAnd joins phrases as "a, b and c".
func joinWithAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// captureName names the capture of one side: "the inside capture", or
// "this capture" when there is one.
func captureName(c *Context, s flows.Side) string {
	if c.Two() {
		return "the " + s.String() + " capture"
	}
	return "this capture"
}

// frameList formats frames for a message: "frame 7" or "frames 3, 7, 12".
func frameList(frames []int) string {
	var parts []string
	for _, f := range frames {
		if f > 0 {
			parts = append(parts, strconv.Itoa(f))
		}
	}
	switch len(parts) {
	case 0:
		return "no frames"
	case 1:
		return "frame " + parts[0]
	}
	return "frames " + strings.Join(parts, ", ")
}

// sideFrameList is frameList with the side in front when there are two
// captures: "outside frame 41".
func sideFrameList(c *Context, s flows.Side, frames []int) string {
	if c.Two() {
		return s.String() + " " + frameList(frames)
	}
	return frameList(frames)
}

// betweenFrames names the two frames around a gap: "between frames 10 and
// 11", with the side when there are two captures.
func betweenFrames(c *Context, s flows.Side, before, after int) string {
	side := ""
	if c.Two() {
		side = s.String() + " "
	}
	return fmt.Sprintf("between %sframes %d and %d", side, before, after)
}

// exchangeLabel names an exchange for a message: "IKE_AUTH" or "Main Mode".
func exchangeLabel(t *flows.Tunnel, e *flows.Exchange) string {
	if t.Version == 1 {
		switch e.Type {
		case decode.ExchangeTypeMain:
			return "Main Mode"
		case decode.ExchangeTypeAggressive:
			return "Aggressive Mode"
		case decode.ExchangeTypeQuick:
			return "Quick Mode"
		case decode.ExchangeTypeTransaction:
			return "Mode Config/XAUTH transaction"
		}
	}
	return e.Type.String()
}

// messageLabel names the latest message of an exchange: "IKE_AUTH request",
// "MM5", "QM1".
func messageLabel(t *flows.Tunnel, e *flows.Exchange) string {
	if t.Version == 2 {
		if e.Sends.From == e.From {
			return e.Type.String() + " request"
		}
		return e.Type.String() + " response"
	}
	return ikev1MessageLabel(t, e, e.Messages)
}

// ikev1MessageLabel names the nth message of an IKEv1 exchange: "MM5",
// "QM1", "message 2 of Mode Config/XAUTH transaction".
func ikev1MessageLabel(t *flows.Tunnel, e *flows.Exchange, n int) string {
	switch e.Type {
	case decode.ExchangeTypeMain:
		return "MM" + strconv.Itoa(n)
	case decode.ExchangeTypeAggressive:
		return "AM" + strconv.Itoa(n)
	case decode.ExchangeTypeQuick:
		return "QM" + strconv.Itoa(n)
	}
	return "message " + strconv.Itoa(n) + " of " + exchangeLabel(t, e)
}

// peerAddr names a peer by role and its first address: "initiator
// 10.0.0.2".
func peerAddr(t *flows.Tunnel, r flows.Role) string {
	return r.String() + " " + firstEndpoint(t, r).Addr().String()
}

// espProto names an SA's protocol.
func espProto(sa *flows.ESPSA) string {
	if sa.AH {
		return "AH"
	}
	return "ESP"
}

// espSubject names an SA as flows.Key does: "esp 10.0.0.2 -> 198.51.100.7
// spi 0xc0ffee01".
func espSubject(sa *flows.ESPSA) string {
	return fmt.Sprintf("%s %s -> %s spi %s", strings.ToLower(espProto(sa)), sa.Src, sa.Dst, decode.SPI(sa.SPI).String())
}

// espLabel is the short form used inside messages: "SPI 0xc0ffee01
// (10.0.0.2 → 198.51.100.7)".
func espLabel(sa *flows.ESPSA) string {
	return fmt.Sprintf("SPI %s (%s → %s)", decode.SPI(sa.SPI).String(), sa.Src, sa.Dst)
}

// pptpSubject names a call: "pptp 10.0.0.2:40000 -> 198.51.100.9:1723
// call 100 (0x0064) / 200 (0x00c8)".
func pptpSubject(s *flows.PPTPSession) string {
	return fmt.Sprintf("pptp %s -> %s call %s / %s", s.Client, s.Server, decode.CallIDString(s.ClientCallID), decode.CallIDString(s.ServerCallID))
}

// pptpLabel names a call inside messages: "PPTP call 10.0.0.2:40000 →
// 198.51.100.9:1723 (client call ID 100 (0x0064), server call ID 200
// (0x00c8))".
func pptpLabel(s *flows.PPTPSession) string {
	return fmt.Sprintf("PPTP call %s → %s (client call ID %s, server call ID %s)", s.Client, s.Server, decode.CallIDString(s.ClientCallID), decode.CallIDString(s.ServerCallID))
}
