package decode

import (
	"testing"

	"github.com/gopacket/gopacket"
)

// Tests of the PPTP control message layer (pptp.go).

func TestPPTPLayer(t *testing.T) {
	msg := pptpMessage(PPTPMessageTypeCallDisconnectNotify, 0x4321, 0, 3)
	msg[15] = 7 // error code
	var p PPTP
	if err := p.DecodeFromBytes(append(msg, 1, 2), gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	want := PPTPInfo{Type: PPTPMessageTypeCallDisconnectNotify, CallID: 0x4321, ResultCode: 3, ErrorCode: 7, HasCallID: true}
	if p.Info() != want || len(p.Contents) != 148 || len(p.Payload) != 2 || p.NextLayerType() != LayerTypePPTP {
		t.Errorf("PPTP = %+v, info %+v, want %+v", p, p.Info(), want)
	}
	for _, tc := range []struct {
		name, wantErr string
		data          []byte
	}{
		{"short", "pptp: header at offset 0: truncated", msg[:11]},
		{"cookie", "pptp: magic cookie at offset 4: bad magic cookie", func() []byte { b := append([]byte(nil), msg...); b[7] = 0; return b }()},
		{"length 4", "pptp: length at offset 0: length 4 out of range", func() []byte { b := append([]byte(nil), msg...); b[0], b[1] = 0, 4; return b }()},
		{"length beyond", "pptp: message at offset 0: truncated", msg[:100]},
		{"management", "pptp: message type at offset 2: message type 2 is not control (1)", func() []byte { b := append([]byte(nil), msg...); b[3] = 2; return b }()},
		{"type 16", "pptp: control message type at offset 8: unknown type 16", func() []byte { b := append([]byte(nil), msg...); b[9] = 16; return b }()},
	} {
		if err := new(PPTP).DecodeFromBytes(tc.data, gopacket.NilDecodeFeedback); err == nil || err.Error() != tc.wantErr {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestPPTPMessageTypeString(t *testing.T) {
	names := []string{"", "Start-Control-Connection-Request", "Start-Control-Connection-Reply", "Stop-Control-Connection-Request",
		"Stop-Control-Connection-Reply", "Echo-Request", "Echo-Reply", "Outgoing-Call-Request", "Outgoing-Call-Reply",
		"Incoming-Call-Request", "Incoming-Call-Reply", "Incoming-Call-Connected", "Call-Clear-Request",
		"Call-Disconnect-Notify", "WAN-Error-Notify", "Set-Link-Info"}
	for i := 1; i < len(names); i++ {
		if got := PPTPMessageType(i).String(); got != names[i] {
			t.Errorf("PPTPMessageType(%d).String() = %q, want %q", i, got, names[i])
		}
	}
	for _, v := range []PPTPMessageType{0, 16, 65535} {
		if got, want := v.String(), "PPTPMessageType("+itoa(int(v))+")"; got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestCallIDString(t *testing.T) {
	for _, tc := range []struct {
		id   uint16
		want string
	}{
		{0, "0 (0x0000)"},
		{1, "1 (0x0001)"},
		{0x4000, "16384 (0x4000)"},
		{0x9c40, "40000 (0x9c40)"},
		{0x311a, "12570 (0x311a)"},
		{0xffff, "65535 (0xffff)"},
	} {
		if got := CallIDString(tc.id); got != tc.want {
			t.Errorf("CallIDString(%d) = %q, want %q", tc.id, got, tc.want)
		}
	}
}
