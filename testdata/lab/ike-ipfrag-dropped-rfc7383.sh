#!/bin/bash
# ike-ipfrag-dropped-rfc7383: the NAT of ike-ipfrag-dropped (drops non-first
# IP fragments from its WAN side), but both peers support IKEv2
# fragmentation (RFC 7383): the large IKE_AUTH messages are split into SKF
# fragments that each fit the MTU, nothing is IP-fragmented, the SA comes up.
set -eu
IKEFRAG=yes exec bash "$(dirname "$0")/ike-ipfrag-dropped.sh"
