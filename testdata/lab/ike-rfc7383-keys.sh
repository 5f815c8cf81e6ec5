#!/bin/bash
# ike-rfc7383-keys: IKEv2 with RSA-4096 certificate authentication
# (send_cert = always), so that the IKE_AUTH messages exceed the MTU, and
# IKEv2 fragmentation (RFC 7383) on both peers: the IKE_AUTH request and
# response travel as Encrypted Fragment (SKF) payloads through the lab's
# masquerading NAT, with no IP fragmentation. Then pings both ways through
# the UDP-encapsulated ESP tunnel and a delete. Charon logs at level 4 for
# "ike" and "chd" (LAB_KEYLOG=1): logs/charon-*.log hold the keys, so the
# fragments can be decrypted and the message reassembled.
set -eu
export LAB_KEYLOG=1
. "$LAB/common.sh"
lab_init
lab_topology 1
nat_rules_base
CLIENT_CHARON_EXTRA="    keep_alive = 5s" ikev2_rw_setup "fragmentation = yes
        send_cert = always" "fragmentation = yes
        send_cert = always" pubkey
cp "$RUN/client/swanctl/swanctl.conf" "$OUT/logs/swanctl-client.conf"
cp "$RUN/gw/swanctl/swanctl.conf" "$OUT/logs/swanctl-gw.conf"
cap_start
log "initiating IKE_SA from client (certificates, RFC 7383 fragmentation, keys logged)"
swan client --initiate --child net --timeout 20 > "$OUT/logs/initiate.txt" 2>&1
sanitize_file "$OUT/logs/initiate.txt"
swan_sas client after-initiate
swan_sas gw after-initiate
nat_dump_state "after IKE_AUTH"
VIP=$(grep -o '192\.0\.2\.[0-9]*/32' "$OUT/logs/swanctl-sas-client.txt" | head -1 | cut -d/ -f1)
[ -n "$VIP" ] || VIP=192.0.2.17
log "pinging: client -> $GW_HOST, then $GW_HOST -> $VIP"
nsx $NS_C1 ping -c 3 -i 1 -W 2 $GW_HOST > "$OUT/logs/ping.txt" 2>&1 || true
nsx $NS_GW ping -c 3 -i 1 -W 2 -I $GW_HOST $VIP > "$OUT/logs/ping-gw.txt" 2>&1 || true
log "terminating"
swan client --terminate --ike home --timeout 10 > "$OUT/logs/terminate.txt" 2>&1 || true
sleep 1
nat_dump_state "after terminate"
cap_stop
charon_collect client
charon_collect gw
