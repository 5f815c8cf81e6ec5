#!/bin/bash
# ike-ipfrag-dropped: IKEv2 with RSA-4096 certificates (send_cert = always),
# so that IKE_AUTH messages exceed the 1500-byte MTU. The gateway has IKEv2
# fragmentation (RFC 7383) disabled, so neither peer may use it and the
# messages are IP-fragmented. The NAT drops non-first IP fragments that
# arrive on its WAN side, before its conntrack reassembles them (prerouting,
# priority -500): the client's IKE_AUTH request (leaving the LAN) crosses,
# the gateway's IKE_AUTH response never reaches the client. The client
# retransmits (timeout 2 s, base 1.5, 3 tries) and gives up.
#
# IKEFRAG=yes (used by ike-ipfrag-dropped-rfc7383.sh): the same NAT, but the
# gateway keeps RFC 7383 fragmentation enabled, so both peers announce it and
# the large IKE_AUTH messages travel as SKF fragments without IP
# fragmentation: the SA comes up and pings cross the tunnel.
set -eu
. "$LAB/common.sh"
IKEFRAG=${IKEFRAG:-no}
lab_init
lab_topology 1
nat_rules_base
nsx $NS_NAT nft -f - <<'EOF'
table ip natlab {
    chain wanfrag {
        type filter hook prerouting priority -500; policy accept;
        iifname "wan0" ip frag-off & 0x1fff != 0 counter drop
    }
}
EOF
RETRANSMIT="    retransmit_timeout = 2.0
    retransmit_base = 1.5
    retransmit_tries = 3"
if [ "$IKEFRAG" = yes ]; then
    gwfrag="fragmentation = yes"
else
    gwfrag="fragmentation = no"
fi
# the client keeps strongSwan's default (fragmentation = yes: used if the peer supports it)
CLIENT_CHARON_EXTRA="    keep_alive = 5s
$RETRANSMIT" ikev2_rw_setup "send_cert = always" "$gwfrag
        send_cert = always" pubkey
cap_start
log "initiating IKE_SA from client (certificates; gateway: $gwfrag)"
swan client --initiate --child net --timeout 30 > "$OUT/logs/initiate.txt" 2>&1 || true
sanitize_file "$OUT/logs/initiate.txt"
swan_sas client after-initiate
swan_sas gw after-initiate
nat_dump_state "after the client's initiate returned"
if [ "$IKEFRAG" = yes ]; then
    nsx $NS_C1 ping -c 3 -i 1 -W 2 $GW_HOST > "$OUT/logs/ping.txt" 2>&1 || true
    swan client --terminate --ike home --timeout 10 > "$OUT/logs/terminate.txt" 2>&1 || true
    sleep 1
else
    # the NAT's reassembly queue holds the gateway's first fragments until
    # they expire (net.ipv4.ipfrag_time, 30 s): wait for the last one
    log "waiting for the NAT's reassembly timeout"
    sleep 27
    swan_sas gw end
fi
nat_dump_state "end"
{
    echo "### IPv4 reassembly counters of netns nat (nstat -az) at the end"
    nsx $NS_NAT sysctl net.ipv4.ipfrag_time
    nsx $NS_NAT nstat -az 2>/dev/null | grep -E 'IpReasm|IpFrag'
} > "$OUT/logs/nat-reasm.txt"
cap_stop
charon_collect client
charon_collect gw
