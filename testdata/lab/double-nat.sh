#!/bin/bash
# double-nat: IKEv2 NAT-T through two NATs in series, as behind a carrier-grade
# NAT. The lab's NAT namespace "nat" plays the home router (masquerade, ports
# kept); its WAN side is in the RFC 6598 shared address space 100.64.0.0/10 and
# leads to a second NAT namespace "cgn" (the carrier's NAT), which translates
# the home router's address to 198.51.100.1 and its IKE ports to fixed outside
# ports (500 -> 40500, 4500 -> 44500, like a deterministic CGN port block).
#
#   client 10.0.0.2 -- lan0 [nat] wan0 100.64.0.2 -- 100.64.0.1 lan0 [cgn] wan0 198.51.100.1 -- gw 198.51.100.2
#                     inside.pcap  middle.pcap                          outside.pcap
#
# Three captures: inside (nat lan0), middle (nat wan0, between the NATs),
# outside (cgn wan0, beyond the second NAT).
set -eu
. "$LAB/common.sh"

NS_CGN=cgn
HOME_WAN=100.64.0.2
CGN_IN=100.64.0.1
CGN_OUT=198.51.100.1

lab_init
ns_exists $NS_CGN && die "netns $NS_CGN already exists (ip netns del $NS_CGN)"
# common.sh's teardown removes its own namespaces; the cgn namespace is ours.
trap 'lab_teardown; ip netns del '$NS_CGN' 2>/dev/null || true' EXIT

lab_topology 1
# Rewire the outside of the home NAT: wan0 no longer reaches the gateway
# directly but the carrier NAT's inside.
ip -n $NS_NAT link del wan0
ip netns add $NS_CGN
ns_quiet $NS_CGN
ip -n $NS_NAT link add wan0 address 02:00:64:40:00:02 type veth peer name lan0 netns $NS_CGN
ip -n $NS_CGN link set lan0 address 02:00:64:40:00:01
ip -n $NS_CGN link add wan0 address 02:00:c6:33:64:01 type veth peer name eth0 netns $NS_GW
ip -n $NS_GW link set eth0 address 02:00:c6:33:64:02
ip -n $NS_NAT addr add $HOME_WAN/24 dev wan0
ip -n $NS_CGN addr add $CGN_IN/24 dev lan0
ip -n $NS_CGN addr add $CGN_OUT/24 dev wan0
ip -n $NS_GW addr add $GW_IP/24 dev eth0
for d in wan0; do offload_off $NS_NAT $d; ip -n $NS_NAT link set $d multicast off up; done
for d in lan0 wan0; do offload_off $NS_CGN $d; ip -n $NS_CGN link set $d multicast off up; done
offload_off $NS_GW eth0; ip -n $NS_GW link set eth0 multicast off up
ip -n $NS_NAT route add default via $CGN_IN
nsx $NS_CGN sysctl -q -w net.ipv4.ip_forward=1 >/dev/null
nsx $NS_CGN sysctl -q -w net.netfilter.nf_conntrack_acct=1 >/dev/null 2>&1 || true

# home NAT: the lab's masquerade on wan0 (now towards 100.64.0.1)
nat_rules_base
# carrier NAT: fixed outside ports for IKE, masquerade for everything else
nsx $NS_CGN nft -f - <<EOF
table ip cgnlab {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan0" ip saddr 100.64.0.0/10 udp sport 500 counter snat to $CGN_OUT:40500
        oifname "wan0" ip saddr 100.64.0.0/10 udp sport 4500 counter snat to $CGN_OUT:44500
        oifname "wan0" counter masquerade
    }
}
EOF

cgn_dump_state() { # label
    {
        echo "### carrier NAT (netns cgn) nft ruleset (with counters) at: $1"
        nsx $NS_CGN nft list ruleset
        echo
        echo "### carrier NAT conntrack table at: $1"
        nsx $NS_CGN conntrack -L -o extended 2>&1 || true
        echo
    } >> "$OUT/logs/cgn-state.txt"
}

# three captures; PIDs kept here so that they are stopped before the daemons
declare -A CAPPID
dn_cap_start() {
    local spec side ns dev
    for spec in inside:$NS_NAT:lan0 middle:$NS_NAT:wan0 outside:$NS_CGN:wan0; do
        IFS=: read -r side ns dev <<< "$spec"
        spawn "$ns" "$RUN/dn-tcpdump-$side.err" timeout "${CAP_TIMEOUT:-600}" \
            tcpdump -i "$dev" -n -s 0 -U -Z root -w "$OUT/$side.pcap"
        CAPPID[$side]=$BG_PID
    done
    local i
    for i in $(seq 50); do
        grep -q 'listening on' "$RUN/dn-tcpdump-inside.err" 2>/dev/null &&
        grep -q 'listening on' "$RUN/dn-tcpdump-middle.err" 2>/dev/null &&
        grep -q 'listening on' "$RUN/dn-tcpdump-outside.err" 2>/dev/null && break
        sleep 0.1
    done
    sleep 0.5
}
dn_cap_stop() {
    local side
    sleep 1
    for side in inside middle outside; do kill -TERM "${CAPPID[$side]}" 2>/dev/null || true; done
    for side in inside middle outside; do
        wait "${CAPPID[$side]}" 2>/dev/null || true
        grep -E 'packets (captured|received|dropped)' "$RUN/dn-tcpdump-$side.err" |
            sed "s/^/$side: /" >> "$OUT/logs/tcpdump.txt" || true
    done
}

CLIENT_CHARON_EXTRA="    keep_alive = 5s" ikev2_rw_setup
dn_cap_start
log "initiating IKE_SA from client (two NATs on the path)"
swan client --initiate --child net --timeout 20 > "$OUT/logs/initiate.txt" 2>&1
sanitize_file "$OUT/logs/initiate.txt"
swan_sas client after-initiate
swan_sas gw after-initiate
nat_dump_state "after IKE_AUTH"
cgn_dump_state "after IKE_AUTH"
log "pinging 203.0.113.1 through the tunnel"
nsx $NS_C1 ping -c 6 -i 1 -W 2 $GW_HOST > "$OUT/logs/ping.txt" 2>&1 || true
log "idle 12 s: NAT keepalives every 5 s"
sleep 12
swan_sas client before-terminate
log "terminating"
swan client --terminate --ike home --timeout 10 > "$OUT/logs/terminate.txt" 2>&1 || true
sleep 1
nat_dump_state "after terminate"
cgn_dump_state "after terminate"
dn_cap_stop
charon_collect client
charon_collect gw
