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
package rules
