// Package pcaptest builds synthetic packets and capture files for tests and
// for the sample generator: Ethernet frames carrying IPv4 or IPv6 with UDP,
// TCP, ESP, AH or GRE (serialized with gopacket, checksums computed, IP
// fragmentation at a given MTU), IKEv1 and IKEv2 messages with their payloads
// and NAT-D hashes, ESP and AH packets, NAT-T keepalives and the non-ESP
// marker (RFC 3948), IKE and ESP over TCP (RFC 9329), enhanced GRE with PPP
// (RFC 2637), PPTP control messages, DNS and TLS records for background
// traffic, a TCP connection helper that keeps sequence numbers coherent, a
// pcap writer that writes what tcpdump writes, and a [NAT] model that
// rewrites packets the way a NAT device does.
//
// Everything here is deterministic: randomness comes from the caller's
// *rand.Rand, and nothing iterates over a map.
package pcaptest
