// Package ladder draws what crossed the NAT: the packets of one tunnel,
// PPTP call or group of ESP SAs, message by message, from the host on the
// NAT's inside to the peer beyond it and back, with what each capture saw
// and what became of each packet between the captures (crossed, lost at
// the NAT, changed, sent again).
//
// A Ladder is a model, not a picture: rows of messages and runs of packets
// with their frames in each capture, their time on the inside clock and
// their fate. The report draws it as text (Lines), as Markdown and as SVG;
// the terminal UI can draw it from the packets it already loaded (Build).
//
// Rows group what a reader takes as one event: an IKE message and its
// retransmissions, its IKE fragments; a run of ESP on one SPI in one
// direction, of NAT-T keepalives, of GRE of one call (one row from its
// first packet to its last, standing at its first, whatever comes between);
// a repeated ICMP error.
package ladder
