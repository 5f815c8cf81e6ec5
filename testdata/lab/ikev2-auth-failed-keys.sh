#!/bin/bash
# ikev2-auth-failed-keys: IKEv2 through the lab's masquerading NAT where the
# gateway holds another pre-shared key than the client: IKE_SA_INIT
# succeeds (NAT detected, float to 4500), the gateway cannot verify the
# client's AUTH payload and answers IKE_AUTH with AUTHENTICATION_FAILED,
# inside the encrypted payload. IKE uses 3DES-CBC with HMAC-SHA2-512-256
# (3des-sha512-modp2048). Charon logs at level 4 for "ike" and "chd"
# (LAB_KEYLOG=1): logs/charon-*.log hold the IKE SA's keys, so the
# notify can be read decrypted.
set -eu
export LAB_KEYLOG=1
. "$LAB/common.sh"
lab_init
lab_topology 1
nat_rules_base
CLIENT_CHARON_EXTRA="    keep_alive = 5s" ikev2_rw_setup
for n in gw client; do
    sed -i -e 's/proposals = aes128-sha256-modp2048/proposals = 3des-sha512-modp2048/' "$RUN/$n/swanctl/swanctl.conf"
done
sed -i -e 's/secret = "natlab-psk-not-a-secret"/secret = "natlab-psk-another-one"/' "$RUN/gw/swanctl/swanctl.conf"
swan_load gw
swan_load client
cp "$RUN/client/swanctl/swanctl.conf" "$OUT/logs/swanctl-client.conf"
cp "$RUN/gw/swanctl/swanctl.conf" "$OUT/logs/swanctl-gw.conf"
cap_start
log "initiating IKE_SA from client (3DES / HMAC-SHA2-512 IKE; the gateway has another PSK)"
swan client --initiate --child net --timeout 20 > "$OUT/logs/initiate.txt" 2>&1 || true
sanitize_file "$OUT/logs/initiate.txt"
swan_sas client after-initiate
swan_sas gw after-initiate
nat_dump_state "after the client's initiate returned"
sleep 2
cap_stop
charon_collect client
charon_collect gw
