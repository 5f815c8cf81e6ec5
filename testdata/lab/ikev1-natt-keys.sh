#!/bin/bash
# ikev1-natt-keys: IKEv1 Main Mode (PSK) + Mode Config + Quick Mode with NAT-T
# through the lab's masquerading NAT (the ikev1-natt situation), with charon
# logging at level 4 for "ike" and "chd" (LAB_KEYLOG=1): logs/charon-*.log
# hold SKEYID, SKEYID_d/a/e, the phase 1 encryption key and the Quick Mode
# (CHILD_SA) keys: test material for decrypting IKEv1 and ESP.
set -eu
export LAB_KEYLOG=1
. "$LAB/common.sh"
lab_init
lab_topology 1
nat_rules_base

# write_v1_conf NAME LOCAL_ID REMOTE_ID CONNECTION-SETTINGS CHILD-SETTINGS
write_v1_conf() {
    cat > "$RUN/$1/swanctl/swanctl.conf" <<EOT
connections {
    v1 {
        version = 1
        proposals = aes128-sha256-modp2048
        $4
        local {
            auth = psk
            id = $2
        }
        remote {
            auth = psk
            id = $3
        }
        children {
            net {
                $5
                esp_proposals = aes128-sha256
            }
        }
    }
}
pools {
    rwpool {
        addrs = $VIP_POOL
    }
}
secrets {
    ike-lab {
        id-1 = gw.example.org
        id-2 = client.example.org
        secret = "natlab-psk-not-a-secret"
    }
}
EOT
}
echo "" | charon_conf gw
write_v1_conf gw gw.example.org client.example.org "local_addrs = $GW_IP
        pools = rwpool" "local_ts = $GW_NET"
echo "    keep_alive = 5s" | charon_conf client
write_v1_conf client client.example.org gw.example.org "remote_addrs = $GW_IP
        vips = 0.0.0.0" "remote_ts = $GW_NET"
charon_start gw $NS_GW
charon_start client $NS_C1
swan_load gw
swan_load client
cap_start
log "initiating IKEv1 SA from client (keys logged)"
swan client --initiate --child net --timeout 20 > "$OUT/logs/initiate.txt" 2>&1
sanitize_file "$OUT/logs/initiate.txt"
swan_sas client after-initiate
swan_sas gw after-initiate
nat_dump_state "after Quick Mode"
log "pinging 203.0.113.1 through the tunnel"
nsx $NS_C1 ping -c 5 -i 1 -W 2 $GW_HOST > "$OUT/logs/ping.txt" 2>&1 || true
log "idle 11 s: NAT keepalives"
sleep 11
swan_sas client before-terminate
swan client --terminate --ike v1 --timeout 10 > "$OUT/logs/terminate.txt" 2>&1 || true
sleep 1
nat_dump_state "after terminate"
cap_stop
charon_collect client
charon_collect gw
