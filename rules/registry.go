package rules

import "strings"

// All returns every rule, in ID order. Registration is this one explicit
// list: no init side effects.
func All() []Rule {
	return []Rule{
		// VP1xx: IKE negotiation.
		&ikeRequestUnanswered{},
		&ikeErrorNotify{},
		&ikeSAInitRetry{},
		&ikeFragmentsDropped{},
		&ikeFragmentationNotNegotiated{},
		&natStaticPort500{},
		&ikeALGRewrite{},
		&natClientsSACollision{},
		&windowsServerBehindNAT{},
		&ikeAddressChange{},

		// VP2xx: ESP and AH data plane.
		&espLostAtNAT{},
		&espSequenceGaps{},
		&espSequenceRepeated{},
		&espOneWay{},
		&rawESPMisdelivered{},
		&rawESPSharedNAT{},
		&ahAcrossNAT{},
		&espWithoutTunnel{},

		// VP3xx: NAT traversal and IPsec Passthrough.
		&rawESPThroughNAT{},
		&nattNotUsed{},
		&mixedEncapsulation{},
		&nattUDPBlocked{},
		&natMappingExpired{},
		&nattKeepaliveTooSlow{},
		&ikeESPSplitMapping{},
		&replyToStalePort{},
		&ikeBackToPort500{},
		&nonESPMarkerViolation{},
		&ikev1NATTMethodMismatch{},
		&forcedEncapsulation{},
		&nattPassthroughMixedMappings{},
		&transportModeWithoutNATOA{},
		&doubleNAT{},

		// VP4xx: GRE and PPTP.
		&pptpGREOneWay{},
		&pptpCallIDCollision{},
		&pptpGREKeyMismatch{},
		&greSequenceGaps{},
		&greWithoutPPTPControl{},

		// VP9xx: capture quality.
		&captureReadError{},
		&captureSnaplenTruncated{},
		&capturesNotComparable{},
		&capturesPartialOverlap{},
		&captureClockDrift{},
		&captureMalformedPackets{},
		&captureTableOverflow{},
		&captureOneDirection{},
		&captureTimeBackwards{},
		&captureTimeUnusable{},
		&captureDuplicateFrames{},
	}
}

// Lookup finds a rule by ID (case-insensitive) or slug; nil if none.
func Lookup(name string) Rule {
	for _, r := range All() {
		m := r.Meta()
		if strings.EqualFold(m.ID, name) || m.Slug == name {
			return r
		}
	}
	return nil
}
