// Package samples generates the sample capture pairs: one directory per
// scenario, each showing one situation of IPsec or PPTP through a NAT, as
// tcpdump sees it on the NAT's LAN side (inside.pcap) and WAN side
// (outside.pcap), with a README.md telling the story and expect.json
// holding the verdicts and findings vpnpcap must reach.
//
// Generation is deterministic: each scenario draws from a ChaCha8 stream
// seeded with its name and runs on a fixed clock, so the same bytes come
// out on every run. [Build] and [All] also return, for every frame, what
// the generator meant it to be (a [Frame] manifest), so that tests of the
// decoder, the flow table and the correlator can check themselves against
// the intent rather than against another implementation.
//
// The command samples/gen writes the files; the packet builders and the
// NAT model live in internal/pcaptest.
package samples
