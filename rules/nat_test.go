package rules

import (
	"net/netip"
	"testing"

	"github.com/vpnpcap/vpnpcap/flows"
)

func TestNATWording(t *testing.T) {
	tun := &flows.Tunnel{
		InitiatorFirst: netip.MustParseAddrPort("10.0.0.2:500"),
		ResponderFirst: netip.MustParseAddrPort("198.51.100.7:500"),
	}
	yes := func(reason string, basis ...flows.NATBasis) flows.PeerNAT {
		return flows.PeerNAT{Behind: flows.NATYes, Basis: basis, Reason: reason}
	}
	for _, tc := range []struct {
		name  string
		a     flows.NATAssessment
		how   string
		conf  Confidence
		natd  bool
		peers string
		role  flows.Role
	}{
		{
			name: "initiator proven by translation",
			a: flows.NATAssessment{Position: flows.NATInitiator, Certainty: flows.NATProven,
				Peers: [2]flows.PeerNAT{yes("its address 10.0.0.2 inside is 203.0.113.5 outside", flows.BasisTranslation),
					{Behind: flows.NATNo, Basis: []flows.NATBasis{flows.BasisNATDDestination}, Reason: "the initiator's NAT-D hash of it matches"}}},
			how: "its address 10.0.0.2 inside is 203.0.113.5 outside", conf: High,
			peers: "initiator 10.0.0.2", role: flows.RoleInitiator,
		},
		{
			name: "responder shown by NAT-D",
			a: flows.NATAssessment{Position: flows.NATResponder, Certainty: flows.NATProven,
				Peers: [2]flows.PeerNAT{{Behind: flows.NATNo, Basis: []flows.NATBasis{flows.BasisNATDDestination}, Reason: "the responder's NAT-D hash of it matches"},
					yes("the initiator's NAT-D hash of it does not match", flows.BasisNATDDestination)}},
			how: "the initiator's NAT-D hash of it does not match", conf: High, natd: true,
			peers: "responder 198.51.100.7", role: flows.RoleResponder,
		},
		{
			name: "both, from address ranges",
			a: flows.NATAssessment{Position: flows.NATBoth, Certainty: flows.NATInferred,
				Peers: [2]flows.PeerNAT{yes("a", flows.BasisPrivateAddress), yes("b", flows.BasisPrivateAddress)}},
			how: "initiator: a; responder: b", conf: Medium,
			peers: "initiator 10.0.0.2 and the responder 198.51.100.7", role: flows.RoleInitiator,
		},
		{
			name: "no NAT",
			a:    flows.NATAssessment{Position: flows.NATNone, Certainty: flows.NATProven, Reason: "no NAT is in front of either peer"},
			how:  "no NAT is in front of either peer", conf: High,
			peers: "initiator 10.0.0.2", role: flows.RoleInitiator,
		},
		{
			name: "unknown",
			a:    flows.NATAssessment{Position: flows.NATUnknown, Certainty: flows.NATGuess},
			conf: Low, peers: "initiator 10.0.0.2", role: flows.RoleInitiator,
		},
	} {
		if got := howNATIsKnown(&tc.a); got != tc.how {
			t.Errorf("%s: howNATIsKnown = %q, want %q", tc.name, got, tc.how)
		}
		if got := natConfidence(&tc.a); got != tc.conf {
			t.Errorf("%s: natConfidence = %v, want %v", tc.name, got, tc.conf)
		}
		if got := natShownByNATD(&tc.a); got != tc.natd {
			t.Errorf("%s: natShownByNATD = %v, want %v", tc.name, got, tc.natd)
		}
		if got := natedPeers(tun, &tc.a); got != tc.peers {
			t.Errorf("%s: natedPeers = %q, want %q", tc.name, got, tc.peers)
		}
		if got := natedRole(&tc.a); got != tc.role {
			t.Errorf("%s: natedRole = %v, want %v", tc.name, got, tc.role)
		}
	}
}
