#!/bin/bash
# natt-ctr-sha2-keys: IKEv2 NAT-T through the lab's masquerading NAT with
# AES-CTR-256 and HMAC-SHA2-384-192 for IKE (aes256ctr-sha384-modp2048) and
# AES-CBC-256 with HMAC-SHA2-512-256 for ESP (aes256-sha512; strongSwan's
# kernel-libipsec ESP knows AES-CBC and AES-GCM only). The client pings
# 203.0.113.1 and the gateway pings the client's virtual IP from
# 203.0.113.1, then the client deletes the IKE SA. Charon logs at level 4
# for "ike" and "chd" (LAB_KEYLOG=1): logs/charon-*.log hold the keys.
set -eu
export LAB_KEYLOG=1
. "$LAB/common.sh"
lab_init
lab_topology 1
nat_rules_base
CLIENT_CHARON_EXTRA="    keep_alive = 5s" ikev2_rw_setup
for n in gw client; do
    sed -i -e 's/proposals = aes128-sha256-modp2048/proposals = aes256ctr-sha384-modp2048/' \
        -e 's/esp_proposals = aes128-sha256/esp_proposals = aes256-sha512/' "$RUN/$n/swanctl/swanctl.conf"
done
swan_load gw
swan_load client
cp "$RUN/client/swanctl/swanctl.conf" "$OUT/logs/swanctl-client.conf"
cp "$RUN/gw/swanctl/swanctl.conf" "$OUT/logs/swanctl-gw.conf"
cap_start
log "initiating IKE_SA from client (AES-CTR / HMAC-SHA2-384 IKE, AES-CBC-256 / HMAC-SHA2-512 ESP, keys logged)"
swan client --initiate --child net --timeout 20 > "$OUT/logs/initiate.txt" 2>&1
sanitize_file "$OUT/logs/initiate.txt"
swan_sas client after-initiate
swan_sas gw after-initiate
nat_dump_state "after IKE_AUTH"
VIP=$(grep -o '192\.0\.2\.[0-9]*/32' "$OUT/logs/swanctl-sas-client.txt" | head -1 | cut -d/ -f1)
[ -n "$VIP" ] || VIP=192.0.2.17
log "pinging: client -> $GW_HOST, then $GW_HOST -> $VIP"
nsx $NS_C1 ping -c 4 -i 1 -W 2 $GW_HOST > "$OUT/logs/ping.txt" 2>&1 || true
nsx $NS_GW ping -c 3 -i 1 -W 2 -I $GW_HOST $VIP > "$OUT/logs/ping-gw.txt" 2>&1 || true
swan_sas client before-terminate
log "terminating"
swan client --terminate --ike home --timeout 10 > "$OUT/logs/terminate.txt" 2>&1 || true
sleep 1
nat_dump_state "after terminate"
cap_stop
charon_collect client
charon_collect gw
