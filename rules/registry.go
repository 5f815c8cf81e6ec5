package rules

import "strings"

// All returns every rule, in ID order. Registration is this one explicit
// list: no init side effects.
func All() []Rule {
	return []Rule{
		// VP1xx: IKE negotiation.

		// VP2xx: ESP and AH data plane.

		// VP3xx: NAT traversal and IPsec Passthrough.

		// VP4xx: GRE and PPTP.

		// VP9xx: capture quality.
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
