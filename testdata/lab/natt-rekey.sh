#!/bin/bash
# natt-rekey: CHILD_SA and IKE_SA rekeying through the lab's NAT (IKEv2
# NAT-T, PSK, kernel-libipsec). Only the client rekeys, on short fixed
# timers (no random jitter): CHILD_SA every 8 s, IKE_SA after 20 s, while a
# ping runs through the UDP-encapsulated ESP tunnel once a second. Every
# rekey is a CREATE_CHILD_SA exchange followed by an INFORMATIONAL delete of
# the old SA, all on UDP 4500 through the NAT. The gateway's timers are far
# longer, so it never starts a rekey itself.
set -eu
. "$LAB/common.sh"
lab_init
lab_topology 1
nat_rules_base
CLIENT_CHARON_EXTRA="    keep_alive = 5s" ikev2_rw_setup "rekey_time = 20s
        over_time = 10s
        rand_time = 0s"
# the child's timers live inside the children section of the client config
sed -i -e '/esp_proposals = aes128-sha256/a\                rekey_time = 8s\n                life_time = 12s\n                rand_time = 0s' \
    "$RUN/client/swanctl/swanctl.conf"
swan_load client
cp "$RUN/client/swanctl/swanctl.conf" "$OUT/logs/swanctl-client.conf"
cap_start
log "initiating IKE_SA from client"
swan client --initiate --child net --timeout 20 > "$OUT/logs/initiate.txt" 2>&1
sanitize_file "$OUT/logs/initiate.txt"
swan_sas client after-initiate
swan_sas gw after-initiate
nat_dump_state "after IKE_AUTH"
log "pinging for 30 s: CHILD_SA rekeys at ~8/16/24 s, IKE_SA rekey at ~20 s"
spawn $NS_C1 "$OUT/logs/ping.txt" timeout 45 ping -c 30 -i 1 -W 1 $GW_HOST
PINGPID=$BG_PID
for t in 5 10 15 20 25; do
    sleep 5
    swan_sas client "t+${t}s"
done
wait $PINGPID || true
swan_sas client before-terminate
swan_sas gw before-terminate
nat_dump_state "before terminate"
log "terminating"
swan client --terminate --ike home --timeout 10 > "$OUT/logs/terminate.txt" 2>&1 || true
sleep 1
cap_stop
charon_collect client
charon_collect gw
