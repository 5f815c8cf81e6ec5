package decode_test

import (
	"encoding/hex"
	"fmt"
	"net/netip"

	"github.com/vpnpcap/vpnpcap/decode"
)

// cookieResponse is an IKEv2 IKE_SA_INIT response asking for a COOKIE
// (RFC 7296 §2.6), from the public capture nDPI/ipsec_isakmp_esp.pcap,
// frame 17.
var cookieResponse, _ = hex.DecodeString("b64ef32131a48952000000000000000029202220000000000000003400000018" +
	"00004006000155739f613a70f771484cb7a6aa3f")

func ExampleParseIKEMessage() {
	m, err := decode.ParseIKEMessage(cookieResponse)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("IKEv%d %v response=%v SPIi=%016x\n", m.Version, m.Exchange, m.IsResponse(), m.SPIi)
	for _, n := range m.Notifies {
		fmt.Printf("notify %v (%d): %x\n", n.Type, uint16(n.Type), n.Data)
	}

	// NAT-D hashes are checked against the packet's own addresses.
	var v decode.NATDVerifier
	v.Verify(m, netip.MustParseAddrPort("109.237.187.193:500"), netip.MustParseAddrPort("192.168.2.100:10500"))
	fmt.Println("NAT-D payloads:", len(m.NATD))
	// Output:
	// IKEv2 IKE_SA_INIT response=true SPIi=b64ef32131a48952
	// notify COOKIE (16390): 000155739f613a70f771484cb7a6aa3f
	// NAT-D payloads: 0
}

func ExamplePayloadIter() {
	var ike decode.IKE
	if err := ike.DecodeFromBytes(cookieResponse, nil); err != nil {
		fmt.Println(err)
		return
	}
	var it decode.PayloadIter
	for it.Reset(ike.Payload, ike.NextPayload, ike.MajorVersion); it.Next(); {
		fmt.Printf("%v at offset %d, %d bytes\n", it.Type(), it.Offset(), it.Length())
	}
	if err := it.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Notify at offset 28, 24 bytes
}
