#!/bin/bash
# natt-rekey-gcm-keys: IKEv2 NAT-T through the lab's masquerading NAT with
# AES-GCM-16 for IKE (aes128gcm16-prfsha256-modp2048) and for ESP
# (aes128gcm16), CHILD_SA rekeys every 8 s and an IKE_SA rekey at 20 s
# (client timers, as in natt-rekey) while pings cross the tunnel both ways:
# the client pings 203.0.113.1 once a second, the gateway pings the
# client's virtual IP from 203.0.113.1 every 2 s. Charon logs at level 4
# for "ike" and "chd" (LAB_KEYLOG=1): logs/charon-*.log hold the keys of
# both IKE SAs and of every CHILD_SA.
set -eu
export LAB_KEYLOG=1
. "$LAB/common.sh"
lab_init
lab_topology 1
nat_rules_base
CLIENT_CHARON_EXTRA="    keep_alive = 5s" ikev2_rw_setup "rekey_time = 20s
        over_time = 10s
        rand_time = 0s"
for n in gw client; do
    sed -i -e 's/proposals = aes128-sha256-modp2048/proposals = aes128gcm16-prfsha256-modp2048/' \
        -e 's/esp_proposals = aes128-sha256/esp_proposals = aes128gcm16/' "$RUN/$n/swanctl/swanctl.conf"
done
# the child's timers live inside the children section of the client config
sed -i -e '/esp_proposals = aes128gcm16/a\                rekey_time = 8s\n                life_time = 12s\n                rand_time = 0s' \
    "$RUN/client/swanctl/swanctl.conf"
swan_load gw
swan_load client
cp "$RUN/client/swanctl/swanctl.conf" "$OUT/logs/swanctl-client.conf"
cp "$RUN/gw/swanctl/swanctl.conf" "$OUT/logs/swanctl-gw.conf"
cap_start
log "initiating IKE_SA from client (AES-GCM-16, keys logged)"
swan client --initiate --child net --timeout 20 > "$OUT/logs/initiate.txt" 2>&1
sanitize_file "$OUT/logs/initiate.txt"
swan_sas client after-initiate
swan_sas gw after-initiate
nat_dump_state "after IKE_AUTH"
VIP=$(awk '/local.*192\.0\.2\./ {print $0}' "$OUT/logs/swanctl-sas-client.txt" | grep -o '192\.0\.2\.[0-9]*' | head -1)
[ -n "$VIP" ] || VIP=192.0.2.17
log "pinging for 30 s both ways (client -> $GW_HOST, $GW_HOST -> $VIP); rekeys at ~8/16/20/24 s"
spawn $NS_C1 "$OUT/logs/ping.txt" timeout 45 ping -c 30 -i 1 -W 1 $GW_HOST
PINGPID=$BG_PID
spawn $NS_GW "$OUT/logs/ping-gw.txt" timeout 45 ping -c 14 -i 2 -W 1 -I $GW_HOST $VIP
PINGGWPID=$BG_PID
for t in 5 10 15 20 25; do
    sleep 5
    swan_sas client "t+${t}s"
done
wait $PINGPID || true
wait $PINGGWPID || true
swan_sas client before-terminate
swan_sas gw before-terminate
nat_dump_state "before terminate"
log "terminating"
swan client --terminate --ike home --timeout 10 > "$OUT/logs/terminate.txt" 2>&1 || true
sleep 1
cap_stop
charon_collect client
charon_collect gw
