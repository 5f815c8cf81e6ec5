#!/bin/bash
# natt-ok-keys: the natt-ok situation (IKEv2 PSK through the lab's masquerading
# NAT, NAT-T, ESP in UDP 4500 via kernel-libipsec, pings, keepalives, delete)
# with charon logging at level 4 for "ike" and "chd" (LAB_KEYLOG=1), so that
# logs/charon-*.log hold the IKE_SA keys (SK_d, SK_ai/ar, SK_ei/er, SK_pi/pr)
# and the CHILD_SA keys: test material for decrypting IKE SK payloads and ESP.
set -eu
export LAB_KEYLOG=1
. "$LAB/common.sh"
lab_init
lab_topology 1
nat_rules_base
CLIENT_CHARON_EXTRA="    keep_alive = 5s" ikev2_rw_setup
cap_start
log "initiating IKE_SA from client (keys logged)"
swan client --initiate --child net --timeout 20 > "$OUT/logs/initiate.txt" 2>&1
sanitize_file "$OUT/logs/initiate.txt"
swan_sas client after-initiate
swan_sas gw after-initiate
nat_dump_state "after IKE_AUTH"
log "pinging 203.0.113.1 through the tunnel"
nsx $NS_C1 ping -c 5 -i 1 -W 2 $GW_HOST > "$OUT/logs/ping.txt" 2>&1 || true
log "idle 11 s: NAT keepalives every 5 s"
sleep 11
swan_sas client before-terminate
log "terminating"
swan client --terminate --ike home --timeout 10 > "$OUT/logs/terminate.txt" 2>&1 || true
sleep 1
nat_dump_state "after terminate"
cap_stop
charon_collect client
charon_collect gw
