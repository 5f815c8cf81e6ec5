// Package rules holds vpnpcap's rules: each inspects the flows and tunnels of
// one capture — and, given a second capture from the other side of the NAT,
// their correlation — and reports findings with evidence. It also decides
// the per-tunnel verdict: where the NAT is, whether NAT-T was negotiated and
// used, and whether the tunnel depends on IPsec Passthrough.
//
// Each rule is one file, vpNNN_slug.go, holding its metadata (ID, slug,
// title, severity, confidence, explanation, remedy) next to its check. IDs
// are grouped by range and never reused: VP1xx IKE negotiation, VP2xx ESP
// and AH data plane, VP3xx NAT traversal and passthrough, VP4xx GRE and
// PPTP, VP9xx capture quality. The registry in registry.go lists them in
// order.
//
// What rules share lives in files named for what it is, not for a range of
// rules: wording.go (how messages word durations, lists, frames, exchanges,
// peers, SAs and calls), evidence.go (picking evidence frames), lookups.go
// (finding things in tunnels, paths and captures), nat.go (what rules say
// about where the NAT sits, read from flows' NATAssessment), dataplane.go
// (the ESP/AH view built once per context) and pptpview.go (the PPTP call
// view).
package rules
