// Package flows turns decoded packets into what an engineer reasons about:
// flows (UDP/TCP conversations, ESP/AH security associations, GRE calls),
// tunnels (one per IKE SA, with its exchanges, NAT detection, NAT-T state and
// ESP SAs), PPTP sessions, and — given a capture from each side of a NAT —
// the correlation of the two: each packet's fate across the NAT, the NAT's
// mappings, and the clock offset between the captures.
//
// Time is capture time only. Memory grows with the number of flows and
// tunnels, not packets: every record keeps counters, first and last times,
// and a bounded sample of frame numbers as evidence. The flow table has a cap
// ([Options.MaxFlows]); flows beyond it are counted, not kept.
//
// Output order is deterministic: by first-seen time, then by key.
package flows
