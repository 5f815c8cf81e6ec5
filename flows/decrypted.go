package flows

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
)

// What decryption (decode.Options.Keys) reveals of a tunnel: the child SAs
// negotiated inside the encrypted exchanges, with their proposal and mode,
// rekeys and deletes; and how many messages decrypted. Notifies found
// inside the encryption join ErrorNotifies and StatusNotifies with
// NotifySeen.Decrypted set.

// ChildSA is one child SA's SPI as negotiated in a decrypted SA payload
// (IKE_AUTH or CREATE_CHILD_SA, RFC 7296 §1.3; IKEv1 Quick Mode, RFC 2409
// §5.5). Each peer announces the SPI it receives on: the ESP SA with this
// SPI carries traffic to Announcer.
type ChildSA struct {
	SPI       uint32
	Protocol  decode.ProtocolID // ESP or AH
	Announcer Role
	Frame     int // the message that announced it
	Exchange  decode.ExchangeType
	MessageID uint32
	// Partner is the SPI of the other direction of the same child SA:
	// the one the other peer announced in the same exchange; 0 until seen.
	Partner uint32
	// Proposal names the transforms of the proposal carrying the SPI,
	// such as "ENCR_AES_CBC-128/AUTH_HMAC_SHA2_256_128/ESN_NO"; when the
	// announcer offered several, the first.
	Proposal string
	// Mode is "tunnel" or "transport" (IKEv2: USE_TRANSPORT_MODE, RFC 7296
	// §1.3.1; IKEv1: the Encapsulation Mode attribute, whose UDP-
	// encapsulated values RFC 3947 §5.1 adds and which Mode then names).
	Mode string
	// RekeyOf is the SPI, announced by the same peer, of the child SA
	// this one replaces: for the rekey's requester the SPI its REKEY_SA
	// notify names (RFC 7296 §1.3.3), for the other peer the partner of
	// that one. 0 when it is not a rekey.
	RekeyOf uint32
	// Deleted is set when a decrypted Delete payload named the SPI
	// (RFC 7296 §1.4.1, RFC 2408 §3.15): by DeletedBy at DeletedFrame.
	Deleted      bool
	DeletedBy    Role
	DeletedFrame int
}

// Decryption counts what the keys made of a tunnel's encrypted IKE
// messages.
type Decryption struct {
	Decrypted int
	Failed    int
	NoKey     int
	// FirstFailure is the reason of the first failure (it names the key
	// file and line, never the key) and FailureFrame its message.
	FirstFailure string
	FailureFrame int
	// IKEDeletedBy and IKEDeletedFrame tell which peer deleted the IKE SA
	// with a decrypted Delete payload; IKEDeletedFrame is 0 when none did.
	IKEDeletedBy    Role
	IKEDeletedFrame int
}

// addDecrypted records what the decryption of one IKE message revealed.
func (t *Table) addDecrypted(tun *Tunnel, from Role, p *decode.Packet) {
	m := p.IKE
	d := m.Decryption
	if d == nil {
		return
	}
	switch d.Status {
	case decode.Decrypted:
		tun.Decryption.Decrypted++
	case decode.DecryptFailed:
		tun.Decryption.Failed++
		if tun.Decryption.FailureFrame == 0 {
			tun.Decryption.FirstFailure, tun.Decryption.FailureFrame = d.Reason, p.Frame
		}
		return
	case decode.DecryptNoKey:
		tun.Decryption.NoKey++
		return
	default:
		return
	}
	var rekeyOf uint32
	transport := false
	for _, n := range m.Notifies {
		switch n.Type {
		case decode.NotifyTypeRekeySA:
			if len(n.SPI) == 4 {
				rekeyOf = binary.BigEndian.Uint32(n.SPI)
			}
		case decode.NotifyTypeUseTransportMode:
			transport = true
		}
	}
	for _, pr := range m.Proposals {
		if pr.Protocol == decode.ProtocolIDIKE && len(pr.SPI) == 8 && m.Exchange == decode.ExchangeTypeCreateChildSA && len(tun.rekeySPIs) < maxChildSAs {
			tun.rekeySPIs = append(tun.rekeySPIs, rekeySPI{binary.BigEndian.Uint64(pr.SPI), p.Frame})
		}
	}
	seen := map[uint32]bool{}
	for _, pr := range m.Proposals {
		if (pr.Protocol != decode.ProtocolIDESP && pr.Protocol != decode.ProtocolIDAH) || len(pr.SPI) != 4 {
			continue
		}
		spi := binary.BigEndian.Uint32(pr.SPI)
		if seen[spi] {
			continue
		}
		seen[spi] = true
		c := ChildSA{SPI: spi, Protocol: pr.Protocol, Announcer: from, Frame: p.Frame, Exchange: m.Exchange, MessageID: m.MessageID,
			Proposal: proposalName(m.Version, &pr), Mode: "tunnel", RekeyOf: rekeyOf}
		if m.Version == 1 {
			c.Mode = encapsulationMode(&pr)
		} else if transport {
			c.Mode = "transport"
		}
		t.addChildSA(tun, c)
	}
	for _, del := range m.Deletes {
		if del.Protocol == decode.ProtocolIDIKE {
			if tun.Decryption.IKEDeletedFrame == 0 {
				tun.Decryption.IKEDeletedBy, tun.Decryption.IKEDeletedFrame = from, p.Frame
			}
			continue
		}
		for _, s := range del.SPIs {
			if len(s) != 4 {
				continue
			}
			// A peer deletes the SAs it receives on, naming its own
			// inbound SPIs (RFC 7296 §3.11); a child SA negotiated in an
			// IKE SA that was rekeyed since is deleted in its successor.
			if c := t.findChildSA(tun, binary.BigEndian.Uint32(s), from); c != nil && !c.Deleted {
				c.Deleted, c.DeletedBy, c.DeletedFrame = true, from, p.Frame
			}
		}
	}
}

// maxChildSAs bounds the child SAs kept per tunnel.
const maxChildSAs = 1024

// addChildSA records a child SA and ties the ESP SA with its SPI to the
// tunnel, now or when it appears (attachSA).
func (t *Table) addChildSA(tun *Tunnel, c ChildSA) {
	for _, h := range tun.ChildSAs {
		if h.SPI == c.SPI && h.Announcer == c.Announcer {
			return // a retransmission, or the same SPI in the request and response
		}
	}
	if len(tun.ChildSAs) >= maxChildSAs {
		return
	}
	// The other peer's SPI of the same exchange is the other direction
	// of this child SA; the requester's REKEY_SA names its own old SPI,
	// so the other peer's new SPI replaces the partner of that one.
	for i := range tun.ChildSAs {
		o := &tun.ChildSAs[i]
		if o.Announcer == c.Announcer || o.Partner != 0 || o.MessageID != c.MessageID || o.Exchange != c.Exchange || o.Protocol != c.Protocol {
			continue
		}
		o.Partner, c.Partner = c.SPI, o.SPI
		switch {
		case c.RekeyOf == 0 && o.RekeyOf != 0:
			if old := t.findChildSA(tun, o.RekeyOf, o.Announcer); old != nil {
				c.RekeyOf = old.Partner
			}
		case o.RekeyOf == 0 && c.RekeyOf != 0:
			if old := t.findChildSA(tun, c.RekeyOf, c.Announcer); old != nil {
				o.RekeyOf = old.Partner
			}
		}
		break
	}
	tun.ChildSAs = append(tun.ChildSAs, c)
	if t.childSPIs == nil {
		t.childSPIs = map[uint32]*Tunnel{}
	}
	t.childSPIs[c.SPI] = tun
	for _, sa := range t.saOrder {
		if sa.SPI == c.SPI && (sa.Tunnel != tun.ID || sa.Inferred) {
			t.attachExact(tun, sa)
		}
	}
}

// attachExact ties an ESP SA to the tunnel that negotiated its SPI,
// moving it from a tunnel it was inferred to belong to.
func (t *Table) attachExact(tun *Tunnel, sa *ESPSA) {
	if sa.Tunnel != 0 && sa.Tunnel != tun.ID {
		if old := t.tunnelByID(sa.Tunnel); old != nil {
			old.ESPSAs = removeSA(old.ESPSAs, sa)
		}
	}
	if sa.Tunnel != tun.ID {
		tun.ESPSAs = append(tun.ESPSAs, sa)
	}
	sa.Tunnel, sa.Inferred = tun.ID, false
}

func removeSA(sas []*ESPSA, sa *ESPSA) []*ESPSA {
	for i, s := range sas {
		if s == sa {
			return append(sas[:i:i], sas[i+1:]...)
		}
	}
	return sas
}

// ChildSA returns the child SA negotiated with the SPI, or nil.
func (tun *Tunnel) ChildSA(spi uint32) *ChildSA {
	for i := range tun.ChildSAs {
		if tun.ChildSAs[i].SPI == spi {
			return &tun.ChildSAs[i]
		}
	}
	return nil
}

// findChildSA returns the child SA with the SPI that a peer announced: in
// tun, or else in the tunnel that negotiated the SPI (an IKE SA rekeyed
// into tun hands its child SAs over, RFC 7296 §2.18). Nil when none.
func (t *Table) findChildSA(tun *Tunnel, spi uint32, announcer Role) *ChildSA {
	for _, u := range [2]*Tunnel{tun, t.childSPIs[spi]} {
		if u == nil {
			continue
		}
		for i := range u.ChildSAs {
			if c := &u.ChildSAs[i]; c.SPI == spi && c.Announcer == announcer {
				return c
			}
		}
	}
	return nil
}

// proposalName names a proposal's transforms.
func proposalName(version uint8, pr *decode.Proposal) string {
	var parts []string
	for _, tr := range pr.Transforms {
		if version == 1 {
			s := decode.TransformIDName(1, pr.Protocol, 0, tr.ID)
			for _, a := range tr.Attributes {
				switch a.Type {
				case 5: // Authentication-Algorithm
					s += "/" + decode.AttributeValueName(1, pr.Protocol, a.Type, a.Value)
				case 6: // Key-Length
					s += "-" + decode.AttributeValueName(1, pr.Protocol, a.Type, a.Value)
				}
			}
			parts = append(parts, s)
			break // the first transform: what a responder chose, or an initiator's first offer
		}
		s := decode.TransformIDName(2, pr.Protocol, tr.Type, tr.ID)
		for _, a := range tr.Attributes {
			if a.Type == 14 {
				s += "-" + decode.AttributeValueName(2, pr.Protocol, a.Type, a.Value)
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "/")
}

// encapsulationMode names an IKEv1 proposal's Encapsulation Mode.
func encapsulationMode(pr *decode.Proposal) string {
	if len(pr.Transforms) == 0 {
		return "tunnel"
	}
	for _, a := range pr.Transforms[0].Attributes {
		if a.Type != 4 {
			continue
		}
		switch a.Value {
		case decode.EncapsulationModeTransport:
			return "transport"
		case decode.EncapsulationModeUDPTunnel, decode.EncapsulationModeUDPTunnelDraft:
			return "UDP-encapsulated tunnel"
		case decode.EncapsulationModeUDPTransport, decode.EncapsulationModeUDPTransportDraft:
			return "UDP-encapsulated transport"
		}
	}
	return "tunnel"
}

// roleOfAddr says which peer an address belongs to, as the tunnel's IKE
// used it.
func (tun *Tunnel) roleOfAddr(a netip.Addr) Role {
	if slices.Contains(tun.addrs[RoleResponder], a) && !slices.Contains(tun.addrs[RoleInitiator], a) {
		return RoleResponder
	}
	return RoleInitiator
}
