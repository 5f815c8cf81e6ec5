package decode

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

func TestFaultKindNames(t *testing.T) {
	seen := map[string]FaultKind{}
	for k := FaultKind(0); k < numFaultKinds; k++ {
		name := k.String()
		if name == "" {
			t.Errorf("FaultKind(%d).String() is empty", k)
		}
		if prev, ok := seen[name]; ok {
			t.Errorf("FaultKind(%d) and FaultKind(%d) are both %q", prev, k, name)
		}
		seen[name] = k
	}
	if got := numFaultKinds.String(); got != "fault(12)" {
		t.Errorf("String() of an unknown kind = %q, want fault(12)", got)
	}
	for _, k := range []FaultKind{FaultFragmentsTimedOut, FaultFragmentsEvicted, FaultFragmentsEvictedBytes, FaultFragmentsAtEnd} {
		if !k.FragmentsMissing() {
			t.Errorf("%v.FragmentsMissing() = false, want true", k)
		}
	}
	for _, k := range []FaultKind{FaultNone, FaultTruncated, FaultNotCaptured, FaultInvalid, FaultStreamGap} {
		if k.FragmentsMissing() {
			t.Errorf("%v.FragmentsMissing() = true, want false", k)
		}
	}
	// Only the decoder's own bounds evict; the network times out.
	for k := FaultKind(0); k < numFaultKinds; k++ {
		want := k == FaultFragmentsEvicted || k == FaultFragmentsEvictedBytes
		if k.FragmentsEvicted() != want {
			t.Errorf("%v.FragmentsEvicted() = %v, want %v", k, !want, want)
		}
	}
}

func TestErrorFaultKind(t *testing.T) {
	tests := []struct {
		err  *Error
		want FaultKind
	}{
		{&Error{Layer: "esp", Field: "header", Err: ErrTruncated}, FaultTruncated},
		{&Error{Layer: "ike", Field: "message", Err: fmt.Errorf("%w: 60 of 84 bytes captured", ErrTruncated), Kind: FaultNotCaptured}, FaultNotCaptured},
		{&Error{Layer: "gre", Field: "version", Err: errors.New("unsupported version 2"), Kind: FaultUnsupported}, FaultUnsupported},
		{&Error{Layer: "ah", Field: "spi", Err: errors.New("spi 0 is reserved")}, FaultInvalid},
	}
	for _, tc := range tests {
		if got := tc.err.FaultKind(); got != tc.want {
			t.Errorf("(%v).FaultKind() = %v, want %v", tc.err, got, tc.want)
		}
		f := faultOf("other", fmt.Errorf("wrapped: %w", tc.err))
		if f.Kind != tc.want || f.Layer != tc.err.Layer || f.Offset != tc.err.Offset {
			t.Errorf("faultOf(%v) = %+v, want kind %v, layer %q, offset %d", tc.err, f, tc.want, tc.err.Layer, tc.err.Offset)
		}
	}
	if f := faultOf("pptp", errors.New("odd")); f.Kind != FaultInvalid || f.Layer != "pptp" || f.Offset != -1 || f.Message != "odd" {
		t.Errorf("faultOf(plain error) = %+v, want an invalid pptp fault with no offset", f)
	}
}

// TestDecodeNotCaptured checks the faults that blame the capture rather
// than the sender, which VP902 counts as packets cut by the snap length:
// an IKE message whose Length exceeds the octets captured, and an IP
// fragment shorter in the capture than its header says.
func TestDecodeNotCaptured(t *testing.T) {
	ike := ikeSAInit(0x1122334455667788, netip.AddrPortFrom(testIPA, 500), netip.AddrPortFrom(testIPB, 500))
	t.Run("ike cut by the snap length", func(t *testing.T) {
		f := udpFrame(t, testIPA, testIPB, 500, 500, ike)
		// The last 40 octets were not captured, and the tool that cut
		// them rewrote the IP and UDP lengths and the frame's original
		// length to match: only the IKE Length field tells.
		r := rec(1, f[:len(f)-40])
		ip := r.Data[14:]
		ip[2], ip[3] = byte(len(ip)>>8), byte(len(ip))
		udp := ip[20:]
		udp[4], udp[5] = byte(len(udp)>>8), byte(len(udp))
		udp[6], udp[7] = 0, 0
		ps := NewDecoder(Options{}).Decode(r)
		if len(ps) != 1 || ps[0].Kind != KindMalformed || ps[0].IKE == nil {
			t.Fatalf("Decode = %+v, want one malformed IKE message", summarize(ps))
		}
		if f := ps[0].Fault; f.Kind != FaultNotCaptured || f.Layer != "ike" || f.Offset != len(ike)-40 {
			t.Errorf("fault = %+v, want not-captured of ike at offset %d", f, len(ike)-40)
		}
	})
	t.Run("ike shorter than its header", func(t *testing.T) {
		ps, _ := decodeFrames(t, Options{}, udpFrame(t, testIPA, testIPB, 500, 500, ike[:20]))
		if len(ps) != 1 || ps[0].Fault.Kind != FaultTruncated || ps[0].Fault.Layer != "ike" {
			t.Errorf("Decode = %+v, want a truncated ike fault", summarize(ps))
		}
	})
	t.Run("fragment cut in the capture", func(t *testing.T) {
		dgram := udpDatagram(t, testIPA, testIPB, 500, 500, ike)
		f := ipv4Fragment(t, testIPA, testIPB, 7, layers.IPProtocolUDP, dgram, fragment{0, 96, true})
		ps, _ := decodeFrames(t, Options{}, f[:len(f)-10])
		if len(ps) != 2 || ps[1].Kind != KindMalformed || ps[1].Fault.Kind != FaultNotCaptured || ps[1].Fault.Layer != "ipv4" {
			t.Errorf("Decode = %+v, want the fragment, then a not-captured ipv4 fault", summarize(ps))
		}
	})
}
