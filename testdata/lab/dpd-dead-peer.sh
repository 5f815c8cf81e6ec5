#!/bin/bash
# dpd-dead-peer: an established IKEv2 NAT-T tunnel (PSK, kernel-libipsec)
# loses its path: after a few pings the NAT starts dropping UDP 4500 in both
# directions (forward chain). The client keeps pinging (ESP leaves the client
# but never crosses the NAT), its dead peer detection (dpd_delay 4 s) sends an
# empty INFORMATIONAL, retransmits it (timeout 2 s, base 1.5, 3 tries), then
# declares the gateway dead and deletes the IKE_SA locally (dpd_action clear).
# The client stops pinging after 12 s (before its SA is gone, so no ping
# leaves unprotected). The gateway runs DPD too (dpd_delay 8 s, same retransmission settings): its
# probes reach the NAT's outside and are dropped there.
set -eu
. "$LAB/common.sh"
lab_init
lab_topology 1
nat_rules_base
RETRANSMIT="    retransmit_timeout = 2.0
    retransmit_base = 1.5
    retransmit_tries = 3"
CLIENT_CHARON_EXTRA="    keep_alive = 5s
$RETRANSMIT" GW_CHARON_EXTRA="$RETRANSMIT" ikev2_rw_setup "dpd_delay = 4s" "dpd_delay = 8s"
# dpd_action is a CHILD_SA setting: what to do with the child when the peer is dead
for n in client gw; do
    sed -i -e '/esp_proposals = aes128-sha256/a\                dpd_action = clear' "$RUN/$n/swanctl/swanctl.conf"
    swan_load $n
done
cap_start
log "initiating IKE_SA from client"
swan client --initiate --child net --timeout 20 > "$OUT/logs/initiate.txt" 2>&1
sanitize_file "$OUT/logs/initiate.txt"
swan_sas client after-initiate
swan_sas gw after-initiate
log "pinging for 12 s; the NAT drops UDP 4500 from t~4.5 s on"
spawn $NS_C1 "$OUT/logs/ping.txt" timeout 30 ping -c 12 -i 1 -W 1 $GW_HOST
PINGPID=$BG_PID
sleep 4.5
nsx $NS_NAT nft add rule ip natlab forward udp dport 4500 counter drop
nsx $NS_NAT nft add rule ip natlab forward udp sport 4500 counter drop
date +'%T.%N path broken: forward drops UDP 4500 both ways' > "$OUT/logs/path-break.txt"
nat_dump_state "just after the path broke"
sleep 12
swan_sas client "12 s after the break"
swan_sas gw "12 s after the break"
wait $PINGPID || true
# wait (at most 60 s) until both peers have given up on each other
for i in $(seq 60); do
    [ -z "$(swan client --list-sas)" ] && [ -z "$(swan gw --list-sas)" ] && break
    sleep 1
done
sleep 1
swan_sas client "after both peers gave up"
swan_sas gw "after both peers gave up"
nat_dump_state "end"
cap_stop
charon_collect client
charon_collect gw
