#!/bin/bash
# ipv6-no-nat: IKEv2 between client and gateway over IPv6, with a plain router
# (no NAT of any kind) in between: the lab's "nat" namespace forwards IPv6
# and translates nothing (its IPv4 masquerade ruleset is not even loaded).
# strongSwan's kernel-libipsec forces UDP encapsulation, so the peers fake a
# NAT (random NAT_DETECTION_SOURCE_IP), float to UDP 4500 and send ESP in UDP
# although no NAT exists. The tunnel carries the lab's usual IPv4 inner
# traffic (virtual IP from 192.0.2.16/28 to 203.0.113.0/24) over IPv6.
#
#   client 2001:db8:10::2 -- lan0 2001:db8:10::1 [nat: router] wan0 2001:db8:100::1 -- gw 2001:db8:100::2
set -eu
. "$LAB/common.sh"
C1_IP6=2001:db8:10::2
RTR_IN6=2001:db8:10::1
RTR_OUT6=2001:db8:100::1
GW_IP6=2001:db8:100::2

lab_init
lab_topology 1

# ipv6_on NS DEV... - enable IPv6 without DAD, router solicitations or RAs
ipv6_on() {
    local ns=$1 d; shift
    for d in default all "$@"; do
        nsx "$ns" sysctl -q -w net.ipv6.conf.$d.accept_dad=0 net.ipv6.conf.$d.accept_ra=0 \
            net.ipv6.conf.$d.router_solicitations=0 >/dev/null
    done
    nsx "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 >/dev/null
    for d in "$@"; do
        nsx "$ns" sysctl -q -w net.ipv6.conf.$d.disable_ipv6=0 >/dev/null
        # neighbour discovery needs multicast (the lab turns it off for IPv4)
        ip -n "$ns" link set "$d" multicast on
    done
}
ipv6_on $NS_C1 eth0
ipv6_on $NS_NAT lan0 lanp1 wan0
ipv6_on $NS_GW eth0
ip -n $NS_C1 addr add $C1_IP6/64 dev eth0 nodad
ip -n $NS_C1 -6 route add default via $RTR_IN6
ip -n $NS_NAT addr add $RTR_IN6/64 dev lan0 nodad
ip -n $NS_NAT addr add $RTR_OUT6/64 dev wan0 nodad
ip -n $NS_GW addr add $GW_IP6/64 dev eth0 nodad
ip -n $NS_GW -6 route add 2001:db8:10::/64 via $RTR_OUT6
nsx $NS_NAT sysctl -q -w net.ipv6.conf.all.forwarding=1 >/dev/null
# a stateful but translating-nothing router: conntrack records the flows
# (evidence that source addresses and ports stay as they are)
nsx $NS_NAT nft -f - <<'EOF'
table ip6 router {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state new counter
        udp dport { 500, 4500 } counter
        udp sport { 500, 4500 } counter
    }
}
EOF

router_dump_state() { # label
    {
        echo "### nft ruleset (with counters) at: $1"
        nsx $NS_NAT nft list ruleset
        echo
        echo "### IPv6 conntrack table at: $1"
        nsx $NS_NAT conntrack -L -f ipv6 -o extended 2>&1 || true
        echo
    } >> "$OUT/logs/router-state.txt"
}

{
    for ns in $NS_C1 $NS_NAT $NS_GW; do
        echo "### netns $ns"
        nsx $ns ip -6 addr show
        nsx $ns ip -6 route show
        echo
    done
} > "$OUT/logs/ipv6-addr.txt"

# keep_alive 5 s: strongSwan sends keepalives only when it believes itself behind a NAT
CLIENT_CHARON_EXTRA="    keep_alive = 5s" GW_LOCAL=$GW_IP6 GW_PUBLIC=$GW_IP6 ikev2_rw_setup
# let link-local addresses and multicast joins (MLD reports) settle before capturing
sleep 3
cap_start
log "initiating IKE_SA from client over IPv6"
swan client --initiate --child net --timeout 20 > "$OUT/logs/initiate.txt" 2>&1
sanitize_file "$OUT/logs/initiate.txt"
swan_sas client after-initiate
swan_sas gw after-initiate
router_dump_state "after IKE_AUTH"
log "pinging 203.0.113.1 through the tunnel"
nsx $NS_C1 ping -c 6 -i 1 -W 2 $GW_HOST > "$OUT/logs/ping.txt" 2>&1 || true
log "idle 12 s"
sleep 12
swan_sas client before-terminate
log "terminating"
swan client --terminate --ike home --timeout 10 > "$OUT/logs/terminate.txt" 2>&1 || true
sleep 1
router_dump_state "after terminate"
cap_stop
charon_collect client
charon_collect gw
