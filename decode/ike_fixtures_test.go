package decode

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// Test fixtures for the IKE decoder: whole IKE messages (the UDP payload, after
// the non-ESP marker on port 4500) taken from the public capture corpus, each
// with the capture and frame it came from and tcpdump's decoding of it, and
// synthetic messages built by buildIKE for what the corpus lacks. See
// testdata/README.md for the corpus.

// unhex decodes a hex fixture, ignoring white space. Fixtures are constants
// of this file, so a bad one is a programming error.
func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic("bad hex fixture: " + err.Error())
	}
	return b
}

// testIKEv1MainMM1 is an IKEv1 Main Mode MM1: an SA payload with one ISAKMP proposal and one transform (AES-128, SHA, MODP-1024, PSK), and NAT-T Vendor IDs.
// Public capture suricata-verify/ikev1-rules/ikev1-isakmp-main-mode.pcap, frame 1 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0xc0, ttl 255, id 649, offset 0, flags [none], proto UDP (17), length 196)
//	    192.168.12.1.500 > 192.168.12.2.500: [udp sum ok] isakmp 1.0 msgid 00000000 cookie e47a591fd057587f->00000
//	    00000000000: phase 1 I ident:
//	    (sa: doi=ipsec situation=identity
//	        (p: #1 protoid=isakmp transform=1
//	            (t: #1 id=ike (type=enc value=aes)(type=keylen value=0080)(type=hash value=sha1)(type=group desc v
//	    alue=modp1024)(type=auth value=preshared)(type=lifetype value=sec)(type=lifeduration len=4 value=00015180)
//	    )))
//	    (vid: len=16 4a131c81070358455c5728f20e95452f)
//	    (vid: len=16 439b59f8ba676c4c7737ae22eab8f582)
//	    (vid: len=16 7d9419a65310ca6f2c179d9215529d56)
//	    (vid: len=16 90cb80913ebb696e086381b5ec427b1f)
var testIKEv1MainMM1 = unhex(`
e47a591fd057587f00000000000000000110020000000000000000a80d00003c
00000001000000010000003001010001000000280101000080010007800e0080
800200028004000280030001800b0001000c0004000151800d0000144a131c81
070358455c5728f20e95452f0d000014439b59f8ba676c4c7737ae22eab8f582
0d0000147d9419a65310ca6f2c179d9215529d560000001490cb80913ebb696e
086381b5ec427b1f
`)

// testIKEv1MainMM2 is the MM2 answering testIKEv1MainMM1: the chosen transform (hash SHA, which tshark also decodes) and the RFC 3947 Vendor ID.
// Public capture suricata-verify/ikev1-rules/ikev1-isakmp-main-mode.pcap, frame 2 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0xc0, ttl 255, id 211, offset 0, flags [none], proto UDP (17), length 136)
//	    192.168.12.2.500 > 192.168.12.1.500: [udp sum ok] isakmp 1.0 msgid 00000000 cookie e47a591fd057587f->a00b8
//	    ef0902bb8ec: phase 1 ? ident:
//	    (sa: doi=ipsec situation=identity
//	        (p: #1 protoid=isakmp transform=1
//	            (t: #1 id=ike (type=enc value=aes)(type=keylen value=0080)(type=hash value=sha1)(type=group desc v
//	    alue=modp1024)(type=auth value=preshared)(type=lifetype value=sec)(type=lifeduration len=4 value=00015180)
//	    )))
//	    (vid: len=16 4a131c81070358455c5728f20e95452f)
var testIKEv1MainMM2 = unhex(`
e47a591fd057587fa00b8ef0902bb8ec01100200000000000000006c0d00003c
00000001000000010000003001010001000000280101000080010007800e0080
800200028004000280030001800b0001000c000400015180000000144a131c81
070358455c5728f20e95452f
`)

// testIKEv1MainMM3 is the MM3 of the same exchange: KE, Nonce, Vendor IDs and two RFC 3947 NAT-D payloads (type 20). No NAT: both hashes match the captured addresses with the SHA-1 learned from MM1/MM2.
// Public capture suricata-verify/ikev1-rules/ikev1-isakmp-main-mode.pcap, frame 3 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0xc0, ttl 255, id 650, offset 0, flags [none], proto UDP (17), length 312)
//	    192.168.12.1.500 > 192.168.12.2.500: [udp sum ok] isakmp 1.0 msgid 00000000 cookie e47a591fd057587f->a00b8
//	    ef0902bb8ec: phase 1 ? ident:
//	    (ke: key len=128 3504d3d2ed14e0ca03b851a51a9da2e5a4c14c1d7ec3e1fbe950025424514b3c69ed7fbb44e09225da52d2a92
//	    604a99bf61b7beed7fbfa635e82f065f4fe780751354dbe474c3de7207dcf69fdbbed32c1691cc149b318eee00370e65fc3069bbac
//	    fb013467173966e9d5f4bc4f3857e359bba3adbb6efeea516f3897d8534f3)
//	    (nonce: n len=20 89d7c8fbf94b515b521d5d9589c2602021e1a709)
//	    (vid: len=16 afcad71368a1f1c96b8696fc77570100)
//	    (vid: len=16 11bdfe02d056587f2c18125972c32401)
//	    (vid: len=8 09002689dfd6b712)
//	    (pay20)
//	    (pay20)
var testIKEv1MainMM3 = unhex(`
e47a591fd057587fa00b8ef0902bb8ec04100200000000000000011c0a000084
3504d3d2ed14e0ca03b851a51a9da2e5a4c14c1d7ec3e1fbe950025424514b3c
69ed7fbb44e09225da52d2a92604a99bf61b7beed7fbfa635e82f065f4fe7807
51354dbe474c3de7207dcf69fdbbed32c1691cc149b318eee00370e65fc3069b
bacfb013467173966e9d5f4bc4f3857e359bba3adbb6efeea516f3897d8534f3
0d00001889d7c8fbf94b515b521d5d9589c2602021e1a7090d000014afcad713
68a1f1c96b8696fc775701000d00001411bdfe02d056587f2c18125972c32401
1400000c09002689dfd6b712140000181574d64c0165bad16a023f038d45a074
98d8d05100000018febf462f1cd75805a7baa28747e769d674f85600
`)

// testIKEv1NATTMM1 is an Openswan IKEv1 MM1 offering four transforms that mix MD5 and SHA, so the NAT-D hash algorithm stays open until MM2.
// Public capture tcpdump/isakmp4500.pcap, frame 3 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0x0, ttl 63, id 0, offset 0, flags [DF], proto UDP (17), length 320)
//	    192.1.2.254.500 > 192.1.2.23.500: [udp sum ok] isakmp 1.0 msgid 00000000 cookie 9e89f2388f90bc1e->00000000
//	    00000000: phase 1 I ident:
//	    (sa: doi=ipsec situation=identity
//	        (p: #0 protoid=isakmp transform=4
//	            (t: #0 id=ike (type=lifetype value=sec)(type=lifeduration value=0e10)(type=enc value=3des)(type=ha
//	    sh value=md5)(type=auth value=rsa sig)(type=group desc value=modp1536))
//	            (t: #1 id=ike (type=lifetype value=sec)(type=lifeduration value=0e10)(type=enc value=3des)(type=ha
//	    sh value=sha1)(type=auth value=rsa sig)(type=group desc value=modp1536))
//	            (t: #2 id=ike (type=lifetype value=sec)(type=lifeduration value=0e10)(type=enc value=3des)(type=ha
//	    sh value=sha1)(type=auth value=rsa sig)(type=group desc value=modp1024))
//	            (t: #3 id=ike (type=lifetype value=sec)(type=lifeduration value=0e10)(type=enc value=3des)(type=ha
//	    sh value=md5)(type=auth value=rsa sig)(type=group desc value=modp1024))))
//	    (vid: len=12 4f456b5262475852766d5045)
//	    (vid: len=16 afcad71368a1f1c96b8696fc77570100)
//	    (vid: len=16 4a131c81070358455c5728f20e95452f)
//	    (vid: len=16 7d9419a65310ca6f2c179d9215529d56)
//	    (vid: len=16 cd60464335df21f87cfdb2fc68b6a448)
//	    (vid: len=16 4485152d18b6bbcd0be8a8469579ddcc)
var testIKEv1NATTMM1 = unhex(`
9e89f2388f90bc1e00000000000000000110020000000000000001240d000094
000000010000000100000088000100040300002000010000800b0001800c0e10
800100058002000180030003800400050300002001010000800b0001800c0e10
800100058002000280030003800400050300002002010000800b0001800c0e10
800100058002000280030003800400020000002003010000800b0001800c0e10
800100058002000180030003800400020d0000104f456b5262475852766d5045
0d000014afcad71368a1f1c96b8696fc775701000d0000144a131c8107035845
5c5728f20e95452f0d0000147d9419a65310ca6f2c179d9215529d560d000014
cd60464335df21f87cfdb2fc68b6a448000000144485152d18b6bbcd0be8a846
9579ddcc
`)

// testIKEv1NATTMM2 is the MM2 answering testIKEv1NATTMM1, choosing the MD5 transform.
// Public capture tcpdump/isakmp4500.pcap, frame 4 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto UDP (17), length 164)
//	    192.1.2.23.500 > 192.1.2.254.500: [udp sum ok] isakmp 1.0 msgid 00000000 cookie 9e89f2388f90bc1e->0a74357c
//	    e3d1a4bf: phase 1 ? ident:
//	    (sa: doi=ipsec situation=identity
//	        (p: #0 protoid=isakmp transform=1
//	            (t: #0 id=ike (type=lifetype value=sec)(type=lifeduration value=0e10)(type=enc value=3des)(type=ha
//	    sh value=md5)(type=auth value=rsa sig)(type=group desc value=modp1536))))
//	    (vid: len=12 4f456b5262475852766d5045)
//	    (vid: len=16 afcad71368a1f1c96b8696fc77570100)
//	    (vid: len=16 4a131c81070358455c5728f20e95452f)
var testIKEv1NATTMM2 = unhex(`
9e89f2388f90bc1e0a74357ce3d1a4bf0110020000000000000000880d000034
000000010000000100000028000100010000002000010000800b0001800c0e10
800100058002000180030003800400050d0000104f456b5262475852766d5045
0d000014afcad71368a1f1c96b8696fc77570100000000144a131c8107035845
5c5728f20e95452f
`)

// testIKEv1NATTMM3 is the MM3 of that exchange: NAT-D (20) hashed with MD5. The initiator is behind a NAT: its own (source) hash does not match the captured source, the destination hash matches.
// Public capture tcpdump/isakmp4500.pcap, frame 5 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0x0, ttl 63, id 0, offset 0, flags [DF], proto UDP (17), length 312)
//	    192.1.2.254.500 > 192.1.2.23.500: [udp sum ok] isakmp 1.0 msgid 00000000 cookie 9e89f2388f90bc1e->0a74357c
//	    e3d1a4bf: phase 1 ? ident:
//	    (ke: key len=192 b7db87e14946865b74297235849f5fe9ab40cb77b4c32c323d2d8dd7e36f1f3d17319ad78f1c66c400fe48fc3
//	    0427fa0f71a327590795df3e5b07bc8f2c2291c3551d96b917c946a2d6c0d8561b443980236babb33fdf08cbdc5a07af3d9eabf237
//	    0d30138541a1f94c4ad3e4f12921feb4367be28dcda76def383a9db5f928d387cf9330fd8e4aa76df8a3fe5684dda4e193db992c1d
//	    47ecb5b5d4e00c254f86873a12ceff23d4e752043a0773481552c64d1383d5eb1286fdb662995953c57)
//	    (nonce: n len=16 66d6f632697b5e489a92936557a97fa8)
//	    (pay20)
//	    (pay20)
var testIKEv1NATTMM3 = unhex(`
9e89f2388f90bc1e0a74357ce3d1a4bf04100200000000000000011c0a0000c4
b7db87e14946865b74297235849f5fe9ab40cb77b4c32c323d2d8dd7e36f1f3d
17319ad78f1c66c400fe48fc30427fa0f71a327590795df3e5b07bc8f2c2291c
3551d96b917c946a2d6c0d8561b443980236babb33fdf08cbdc5a07af3d9eabf
2370d30138541a1f94c4ad3e4f12921feb4367be28dcda76def383a9db5f928d
387cf9330fd8e4aa76df8a3fe5684dda4e193db992c1d47ecb5b5d4e00c254f8
6873a12ceff23d4e752043a0773481552c64d1383d5eb1286fdb662995953c57
1400001466d6f632697b5e489a92936557a97fa8140000146efe12f04af90dfb
cfb15d71b841bb9e0000001444f517e03fb381f80f842d1538ccffac
`)

// testIKEv1Encrypted is a Cisco IKEv1 MM5 with the E flag: the payloads after the header are ciphertext.
// Public capture tcpdump/ISAKMP_sa_setup.pcap, frame 5 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0xc0, ttl 255, id 103, offset 0, flags [none], proto UDP (17), length 136)
//	    10.0.0.1.500 > 10.0.0.2.500: [udp sum ok] isakmp 1.0 msgid 00000000 cookie cf02326f14a95b93->18a109f89219e
//	    8df: phase 1 ? ident[E]: [encrypted id]
var testIKEv1Encrypted = unhex(`
cf02326f14a95b9318a109f89219e8df05100201000000000000006ca584181b
6366d467c82e56a248dc4a35d51bc665df14436c2a6521ad7b3184b2c49f660d
2644a646384b9c10a55e9e731b8405e284a194a60851c2b5645e773d1b26699f
9fb4644b4e2eb6da62837239
`)

// testIKEv1Payload15 is a Cisco IKEv1 MM3 whose draft-era NAT-D hashes are sent as payload type 15, which tcpdump shows as "(pay15)"; vpnpcap reads them as NAT-D because they come in a Main Mode.
// Public capture tcpdump/ISAKMP_sa_setup.pcap, frame 3 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0xc0, ttl 255, id 102, offset 0, flags [none], proto UDP (17), length 300)
//	    10.0.0.1.500 > 10.0.0.2.500: [udp sum ok] isakmp 1.0 msgid 00000000 cookie cf02326f14a95b93->18a109f89219e
//	    8df: phase 1 ? ident:
//	    (ke: key len=96 3bce03faae189d2b151a4d527d6122a23b87fb1344d4084bd6e2605cd5615d096d56f31a96c700ee4f21da4fb1
//	    f05503d775bf4f392bf1580ab2f7e3fb34616b0312308bbd098e0c2982513f8e72fc32af003ec1136fd7ac6ff6bae8cf7108b1)
//	    (nonce: n len=20 6ea7c7ed3ca3383538801b4b32a5aba161807765)
//	    (vid: len=16 12f5f28c457168a9702d9fe274cc0100)
//	    (vid: len=16 afcad71368a1f1c96b8696fc77570100)
//	    (vid: len=16 3ac5957214a85b93db6a509869fdb330)
//	    (vid: len=8 09002689dfd6b712)
//	    (pay15)
//	    (pay15)
var testIKEv1Payload15 = unhex(`
cf02326f14a95b9318a109f89219e8df0410020000000000000001100a000064
3bce03faae189d2b151a4d527d6122a23b87fb1344d4084bd6e2605cd5615d09
6d56f31a96c700ee4f21da4fb1f05503d775bf4f392bf1580ab2f7e3fb34616b
0312308bbd098e0c2982513f8e72fc32af003ec1136fd7ac6ff6bae8cf7108b1
0d0000186ea7c7ed3ca3383538801b4b32a5aba1618077650d00001412f5f28c
457168a9702d9fe274cc01000d000014afcad71368a1f1c96b8696fc77570100
0d0000143ac5957214a85b93db6a509869fdb3300f00000c09002689dfd6b712
0f000018d5664a6fcbc7d769f693d4d83ce125b1415827ae000000186db4442c
1af0b63d93334e3a0cb5ac19f804eca4
`)

// testIKEv1Aggressive is an IKEv1 Aggressive Mode AM2: SA, KE, Nonce, ID, HASH, Vendor IDs and NAT-D, verifiable with the SHA of its own SA payload.
// Public capture zeek-spicy-ipsec/ipsec-ikev1-isakmp-aggressive-mode.pcap, frame 2 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0xc0, ttl 255, id 258, offset 0, flags [none], proto UDP (17), length 448)
//	    192.168.12.2.500 > 192.168.12.1.500: [udp sum ok] isakmp 1.0 msgid 00000000 cookie e47a591f78c99d7f->a00b8
//	    ef0ea9ff883: phase 1 ? agg:
//	    (sa: doi=ipsec situation=identity
//	        (p: #1 protoid=isakmp transform=1
//	            (t: #1 id=ike (type=enc value=aes)(type=keylen value=0080)(type=hash value=sha1)(type=group desc v
//	    alue=modp1024)(type=auth value=preshared)(type=lifetype value=sec)(type=lifeduration len=4 value=00015180)
//	    )))
//	    (vid: len=16 12f5f28c457168a9702d9fe274cc0100)
//	    (vid: len=16 afcad71368a1f1c96b8696fc77570100)
//	    (vid: len=16 55cc29edea9ef883ec3bfd05ce835cc7)
//	    (vid: len=8 09002689dfd6b712)
//	    (vid: len=16 4a131c81070358455c5728f20e95452f)
//	    (ke: key len=128 6d026d5616c45be05e5b898411e9f95d195cea009ad22c62bef06c571b7cfbc4792f45564ec710ac584aa18d2
//	    0cbc8f5f8910666b89e4ee2f95abc0230e2cba1b88ac4bba7fcc818a986c01a4ca865a5eb82884dbec85bfd7d1a303b09894dcf2e3
//	    785fd79dba225377cf8cca009ceffbb6aa38b648c4b05404f1cfaac361aff)
//	    (id: idtype=IPv4 protoid=0 port=0 len=4 192.168.12.2)
//	    (nonce: n len=20 1f26436f8ae50d3aad805d26ad4d7512a7e72a81)
//	    (hash: len=20 8585d037d9b48b7cd17e235549e023f137c7ce26)
//	    (pay20)
//	    (pay20)
var testIKEv1Aggressive = unhex(`
e47a591f78c99d7fa00b8ef0ea9ff8830110040000000000000001a40d00003c
00000001000000010000003001010001000000280101000080010007800e0080
800200028004000280030001800b0001000c0004000151800d00001412f5f28c
457168a9702d9fe274cc01000d000014afcad71368a1f1c96b8696fc77570100
0d00001455cc29edea9ef883ec3bfd05ce835cc70d00000c09002689dfd6b712
040000144a131c81070358455c5728f20e95452f050000846d026d5616c45be0
5e5b898411e9f95d195cea009ad22c62bef06c571b7cfbc4792f45564ec710ac
584aa18d20cbc8f5f8910666b89e4ee2f95abc0230e2cba1b88ac4bba7fcc818
a986c01a4ca865a5eb82884dbec85bfd7d1a303b09894dcf2e3785fd79dba225
377cf8cca009ceffbb6aa38b648c4b05404f1cfaac361aff0a00000c01000000
c0a80c02080000181f26436f8ae50d3aad805d26ad4d7512a7e72a8114000018
8585d037d9b48b7cd17e235549e023f137c7ce2614000018f41cca0e525dcb00
902a095074bb68ae9ae0b53600000018453d0b014f3f3520ac1053b487072845
f253a0ae
`)

// testIKEv1InfoNotify is a cleartext IKEv1 Informational exchange carrying a NO-PROPOSAL-CHOSEN notification.
// Public capture zeek-spicy-ipsec/ipsec.cap, frame 3 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto UDP (17), length 68)
//	    192.168.140.205.500 > 192.168.140.200.500: [bad udp cksum 0x9b28 -> 0xb174!] isakmp 1.0 msgid 00000000 coo
//	    kie c6d1459285150c7e->0000000000000000: phase 1 I inf:
//	    (n: doi=ipsec proto=isakmp type=NO-PROPOSAL-CHOSEN)
var testIKEv1InfoNotify = unhex(`
c6d1459285150c7e00000000000000000b10050000000000000000280000000c
000000010100000e
`)

// testIKEv2SAInitRequest is a Cisco FlexVPN IKEv2 IKE_SA_INIT request with NAT_DETECTION_SOURCE_IP and NAT_DETECTION_DESTINATION_IP; no NAT, both match.
// Public capture nDPI/esp.pcapng, frame 1 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0xc0, ttl 255, id 223, offset 0, flags [none], proto UDP (17), length 386)
//	    10.2.3.2.500 > 10.3.4.4.500: [udp sum ok] isakmp 2.0 msgid 00000000 cookie 05ac0f4d122013f4->0000000000000
//	    000: parent_sa ikev2_init[I]:
//	    (sa: len=44
//	        (p: #1 protoid=isakmp transform=4 len=44
//	            (t: #1 type=encr id=aes (type=keylen value=0100))
//	            (t: #2 type=prf id=#6 )
//	            (t: #3 type=integ id=#13 )
//	            (t: #4 type=dh id=#20 )))
//	    (v2ke: len=96 group=#20 0c3b0391afddbafb19610cad7a55a50ba3730111dfc50f634ff254d949fb342400fa35c9d3c5a517b7
//	    bf343b8f4c1e76e91f026f866e93f42134d8b2cac032059d16edc7cea401663044e48e0da5be949a3b45bbe37cddc196e1c0be71b4
//	    40f0)
//	    (nonce: len=32 nonce=(18a7bf678d74766c276f7056f3d39ce539b4c9e7841b63dba94add55291a568f) )
//	    (v2vid: len=19 vid=CISCO-DELETE-REASON 434953434f2d44454c4554452d524541534f4e)
//	    (v2vid: len=15 vid=CISCOVPN-REV-02 434953434f56504e2d5245562d3032)
//	    (v2vid: len=19 vid=CISCO-DYNAMIC-ROUTE 434953434f2d44594e414d49432d524f555445)
//	    (v2vid: len=17 vid=FLEXVPN-SUPPORTED 464c455856504e2d535550504f52544544)
//	    (n: prot_id=#0 type=16388(nat_detection_source_ip))
//	    (n: prot_id=#0 type=16389(nat_detection_destination_ip))
var testIKEv2SAInitRequest = unhex(`
05ac0f4d122013f4000000000000000021202208000000000000016622000030
0000002c010100040300000c0100000c800e0100030000080200000603000008
0300000d000000080400001428000068001400000c3b0391afddbafb19610cad
7a55a50ba3730111dfc50f634ff254d949fb342400fa35c9d3c5a517b7bf343b
8f4c1e76e91f026f866e93f42134d8b2cac032059d16edc7cea401663044e48e
0da5be949a3b45bbe37cddc196e1c0be71b440f02b00002418a7bf678d74766c
276f7056f3d39ce539b4c9e7841b63dba94add55291a568f2b00001743495343
4f2d44454c4554452d524541534f4e2b000013434953434f56504e2d5245562d
30322b000017434953434f2d44594e414d49432d524f55544529000015464c45
5856504e2d535550504f525445442900001c000040044fbeaa57ffae70cc0877
6899742185b6c2bbb55d0000001c00004005b16f1538b2b4d28d6f1aa6e8f79d
9e92ca33d409
`)

// testIKEv2SAInitResponse is the IKE_SA_INIT response to testIKEv2SAInitRequest.
// Public capture nDPI/esp.pcapng, frame 2 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0xc0, ttl 254, id 187, offset 0, flags [none], proto UDP (17), length 386)
//	    10.3.4.4.500 > 10.2.3.2.500: [udp sum ok] isakmp 2.0 msgid 00000000 cookie 05ac0f4d122013f4->5f46ee70bc4c5
//	    d0d: parent_sa ikev2_init[R]:
//	    (sa: len=44
//	        (p: #1 protoid=isakmp transform=4 len=44
//	            (t: #1 type=encr id=aes (type=keylen value=0100))
//	            (t: #2 type=prf id=#6 )
//	            (t: #3 type=integ id=#13 )
//	            (t: #4 type=dh id=#20 )))
//	    (v2ke: len=96 group=#20 79729fab068792255c32eface213d7e5c9e29155014945a112f8e9f2ea0eb38d13cf97065934af4095
//	    7acb599105bc45890c9bd883209e36f58998b4c4ab40ff3d3e10818a7a43096317e66dbff8c7001c4ec49d9225d6046a438c53efb7
//	    0a05)
//	    (nonce: len=32 nonce=(5577a23522399f7a01ba16335346a48c22527167f9c59b2ddc20886d2688bfbc) )
//	    (v2vid: len=19 vid=CISCO-DELETE-REASON 434953434f2d44454c4554452d524541534f4e)
//	    (v2vid: len=15 vid=CISCOVPN-REV-02 434953434f56504e2d5245562d3032)
//	    (v2vid: len=19 vid=CISCO-DYNAMIC-ROUTE 434953434f2d44594e414d49432d524f555445)
//	    (v2vid: len=17 vid=FLEXVPN-SUPPORTED 464c455856504e2d535550504f52544544)
//	    (n: prot_id=#0 type=16388(nat_detection_source_ip))
//	    (n: prot_id=#0 type=16389(nat_detection_destination_ip))
var testIKEv2SAInitResponse = unhex(`
05ac0f4d122013f45f46ee70bc4c5d0d21202220000000000000016622000030
0000002c010100040300000c0100000c800e0100030000080200000603000008
0300000d0000000804000014280000680014000079729fab068792255c32efac
e213d7e5c9e29155014945a112f8e9f2ea0eb38d13cf97065934af40957acb59
9105bc45890c9bd883209e36f58998b4c4ab40ff3d3e10818a7a43096317e66d
bff8c7001c4ec49d9225d6046a438c53efb70a052b0000245577a23522399f7a
01ba16335346a48c22527167f9c59b2ddc20886d2688bfbc2b00001743495343
4f2d44454c4554452d524541534f4e2b000013434953434f56504e2d5245562d
30322b000017434953434f2d44594e414d49432d524f55544529000015464c45
5856504e2d535550504f525445442900001c00004004cf73f6965980a0fef59c
dd6a6944b18aca9147850000001c00004005b5bf51e2925a867c96f0013bda4c
e526d85f36a6
`)

// testIKEv2IKEAuth is the IKE_AUTH request following testIKEv2SAInitResponse: one SK payload whose first inner payload is IDi.
// Public capture nDPI/esp.pcapng, frame 3 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0xc0, ttl 255, id 224, offset 0, flags [none], proto UDP (17), length 372)
//	    10.2.3.2.500 > 10.3.4.4.500: [udp sum ok] isakmp 2.0 msgid 00000001 cookie 05ac0f4d122013f4->5f46ee70bc4c5
//	    d0d: child_sa  ikev2_auth[I]:
//	    (v2e: len=312 28f64994f205e3d0479d2a624d2be5561ab364ea6eddfbd1e4922d103e9276510e4af316294f3473d68648dfae19
//	    91a480600a21204894c27a6b3b96e66e66fda88334f9f4e2670d43a23165a2ec8d834ddaff4933ea8f23449bf83ea09a621213221f
//	    f834a3c2381f6d718a214624a0bbfe731efe49bd64375e4b02f0872054d32213fe5a1449511658e598ca630065d990ae579ef58991
//	    a9b1dab85cbdc2408a3ef4523fe80ff8ffc34a3f73a55b8072eaa11c2970f98cbf1440c26390f68cf6c5c616ae1210062df1594296
//	    8e6cfea71367f746dd34bdd20e476c38398820141aa7b1b9e33a25d6325641ead83e7b702ec851320034ac620161853ed38950a9ff
//	    352000313e50e5323e47c2cafa309db0944c98d9d2a8bb1a71f7e887c141a0f1f10bb56e6547bed3ff69adec6b545265360ea02ffd
//	    04)
var testIKEv2IKEAuth = unhex(`
05ac0f4d122013f45f46ee70bc4c5d0d2e20230800000001000001582b00013c
28f64994f205e3d0479d2a624d2be5561ab364ea6eddfbd1e4922d103e927651
0e4af316294f3473d68648dfae1991a480600a21204894c27a6b3b96e66e66fd
a88334f9f4e2670d43a23165a2ec8d834ddaff4933ea8f23449bf83ea09a6212
13221ff834a3c2381f6d718a214624a0bbfe731efe49bd64375e4b02f0872054
d32213fe5a1449511658e598ca630065d990ae579ef58991a9b1dab85cbdc240
8a3ef4523fe80ff8ffc34a3f73a55b8072eaa11c2970f98cbf1440c26390f68c
f6c5c616ae1210062df15942968e6cfea71367f746dd34bdd20e476c38398820
141aa7b1b9e33a25d6325641ead83e7b702ec851320034ac620161853ed38950
a9ff352000313e50e5323e47c2cafa309db0944c98d9d2a8bb1a71f7e887c141
a0f1f10bb56e6547bed3ff69adec6b545265360ea02ffd04
`)

// testIKEv2NATCookieRequest is an IKE_SA_INIT request of a client behind NAT (private 192.168.2.100, source port translated to 10500), repeated with the COOKIE the responder asked for: its NAT_DETECTION_SOURCE_IP does not match the captured source.
// Public capture nDPI/ipsec_isakmp_esp.pcap, frame 18 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0x0, ttl 63, id 17586, offset 0, flags [DF], proto UDP (17), length 828)
//	    192.168.2.100.10500 > 109.237.187.193.500: [udp sum ok] isakmp 2.0 msgid 00000000 cookie b64ef32131a48952-
//	    >0000000000000000: parent_sa ikev2_init[I]:
//	    (n: prot_id=#0 type=16390(cookie) data=(000155739f613a70f771...4a262dd5967ee72965e98867cb8596e75a7f212f))
//	    (sa: len=516
//	        (p: #1 protoid=isakmp transform=8 len=80
//	            (t: #1 type=encr id=aes (type=keylen value=0080))
//	            (t: #2 type=encr id=aes (type=keylen value=0100))
//	            (t: #3 type=integ id=hmac-sha )
//	            (t: #4 type=integ id=#12 )
//	            (t: #5 type=prf id=hmac-sha )
//	            (t: #6 type=prf id=#5 )
//	            (t: #7 type=dh id=modp1024 )
//	            (t: #8 type=dh id=modp1536 ))
//	        (p: #2 protoid=isakmp transform=46 len=436
//	            (t: #1 type=encr id=3des )
//	            (t: #2 type=encr id=aes (type=keylen value=0080))
//	            (t: #3 type=encr id=aes (type=keylen value=00c0))
//	            (t: #4 type=encr id=aes (type=keylen value=0100))
//	            (t: #5 type=encr id=#13 (type=keylen value=0080))
//	            (t: #6 type=encr id=#13 (type=keylen value=00c0))
//	            (t: #7 type=encr id=#13 (type=keylen value=0100))
//	            (t: #8 type=encr id=#18 (type=keylen value=0080))
//	            (t: #9 type=encr id=#18 (type=keylen value=00c0))
//	            (t: #10 type=encr id=#18 (type=keylen value=0100))
//	            (t: #11 type=encr id=#19 (type=keylen value=0080))
//	            (t: #12 type=encr id=#19 (type=keylen value=00c0))
//	            (t: #13 type=encr id=#19 (type=keylen value=0100))
//	            (t: #14 type=encr id=#20 (type=keylen value=0080))
//	            (t: #15 type=encr id=#20 (type=keylen value=00c0))
//	            (t: #16 type=encr id=#20 (type=keylen value=0100))
//	            (t: #17 type=integ id=hmac-md5 )
//	            (t: #18 type=integ id=hmac-sha )
//	            (t: #19 type=integ id=aes-xcbc )
//	            (t: #20 type=integ id=#12 )
//	            (t: #21 type=integ id=#13 )
//	            (t: #22 type=integ id=#14 )
//	            (t: #23 type=prf id=hmac-md5 )
//	            (t: #24 type=prf id=hmac-sha )
//	            (t: #25 type=prf id=aes128_xcbc )
//	            (t: #26 type=prf id=#5 )
//	            (t: #27 type=prf id=#6 )
//	            (t: #28 type=prf id=#7 )
//	            (t: #29 type=dh id=modp1024 )
//	            (t: #30 type=dh id=modp1536 )
//	            (t: #31 type=dh id=modp2048 )
//	            (t: #32 type=dh id=modp3072 )
//	            (t: #33 type=dh id=modp4096 )
//	            (t: #34 type=dh id=modp8192 )
//	            (t: #35 type=dh id=#19 )
//	            (t: #36 type=dh id=#20 )
//	            (t: #37 type=dh id=#21 )
//	            (t: #38 type=dh id=#22 )
//	            (t: #39 type=dh id=#23 )
//	            (t: #40 type=dh id=#24 )
//	            (t: #41 type=dh id=#25 )
//	            (t: #42 type=dh id=#26 )
//	            (t: #43 type=dh id=#27 )
//	            (t: #44 type=dh id=#28 )
//	            (t: #45 type=dh id=#29 )
//	            (t: #46 type=dh id=#30 )))
//	    (v2ke: len=128 group=modp1024 0cde122ef206ecf825cff5953b955f6d294a0d3077bf256a1816988ed43d8c04aa0f633198c3
//	    95908c1222e64057b4527d681e5a9132be5bbabd185983859978480e66e9b837586137b6159938532c4ef72418aa79716af6b911bd
//	    f47cca6010b00ab27ae759ab8f16683f343e3cddc594adae126c52543c2d9a4fad0656a5e9)
//	    (nonce: len=32 nonce=(56988560334605f0c319a63422d290766385c62f0869db458eeadbc1d52a0d60) )
//	    (n: prot_id=#0 type=16388(nat_detection_source_ip))
//	    (n: prot_id=#0 type=16389(nat_detection_destination_ip))
var testIKEv2NATCookieRequest = unhex(`
b64ef32131a48952000000000000000029202208000000000000032021000018
00004006000155739f613a70f771484cb7a6aa3f220002080200005001010008
0300000c0100000c800e00800300000c0100000c800e01000300000803000002
030000080300000c030000080200000203000008020000050300000804000002
0000000804000005000001b40201002e03000008010000030300000c0100000c
800e00800300000c0100000c800e00c00300000c0100000c800e01000300000c
0100000d800e00800300000c0100000d800e00c00300000c0100000d800e0100
0300000c01000012800e00800300000c01000012800e00c00300000c01000012
800e01000300000c01000013800e00800300000c01000013800e00c00300000c
01000013800e01000300000c01000014800e00800300000c01000014800e00c0
0300000c01000014800e01000300000803000001030000080300000203000008
03000005030000080300000c030000080300000d030000080300000e03000008
0200000103000008020000020300000802000004030000080200000503000008
0200000603000008020000070300000804000002030000080400000503000008
0400000e030000080400000f0300000804000010030000080400001203000008
0400001303000008040000140300000804000015030000080400001603000008
0400001703000008040000180300000804000019030000080400001a03000008
0400001b030000080400001c030000080400001d000000080400001e28000088
000200000cde122ef206ecf825cff5953b955f6d294a0d3077bf256a1816988e
d43d8c04aa0f633198c395908c1222e64057b4527d681e5a9132be5bbabd1859
83859978480e66e9b837586137b6159938532c4ef72418aa79716af6b911bdf4
7cca6010b00ab27ae759ab8f16683f343e3cddc594adae126c52543c2d9a4fad
0656a5e92900002456988560334605f0c319a63422d290766385c62f0869db45
8eeadbc1d52a0d602900001c000040040bac9eb0fe54562b461e584ab413d13c
42c4cf070000001c000040054a262dd5967ee72965e98867cb8596e75a7f212f
`)

// testIKEv2NATResponse is the IKE_SA_INIT response to testIKEv2NATCookieRequest: its NAT_DETECTION_DESTINATION_IP hashes the client's public address, which does not match the captured (private) destination.
// Public capture nDPI/ipsec_isakmp_esp.pcap, frame 19 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0x0, ttl 247, id 29634, offset 0, flags [none], proto UDP (17), length 316)
//	    109.237.187.193.500 > 192.168.2.100.10500: [udp sum ok] isakmp 2.0 msgid 00000000 cookie b64ef32131a48952-
//	    >86babd3904886955: parent_sa ikev2_init[R]:
//	    (sa: len=44
//	        (p: #1 protoid=isakmp transform=4 len=44
//	            (t: #1 type=encr id=aes (type=keylen value=0100))
//	            (t: #2 type=prf id=hmac-sha )
//	            (t: #3 type=integ id=hmac-sha )
//	            (t: #4 type=dh id=modp1024 )))
//	    (v2ke: len=128 group=modp1024 2a75fa812c256dbde5ed50d7c6534ca6875c4f429669d31a792642e330d04cff409142d537cd
//	    8f40c567a2c8a7175c5ae3e061ac3321a33bda5f472cffec9cffd92e10a691e6800d1e034f8316f203b1fbe2c8435c68bf0f031d68
//	    9fde0995dd4206d2a8a11fc534682434673851124626a72f55014978e843316fc0e4e9d116)
//	    (nonce: len=16 nonce=(fb34e7753263714109dd4a48824259c3) )
//	    (n: prot_id=isakmp type=16388(nat_detection_source_ip))
//	    (n: prot_id=isakmp type=16389(nat_detection_destination_ip))
var testIKEv2NATResponse = unhex(`
b64ef32131a4895286babd390488695521202220000000000000012022000030
0000002c010100040300000c0100000c800e0100030000080200000203000008
03000002000000080400000228000088000200002a75fa812c256dbde5ed50d7
c6534ca6875c4f429669d31a792642e330d04cff409142d537cd8f40c567a2c8
a7175c5ae3e061ac3321a33bda5f472cffec9cffd92e10a691e6800d1e034f83
16f203b1fbe2c8435c68bf0f031d689fde0995dd4206d2a8a11fc53468243467
3851124626a72f55014978e843316fc0e4e9d11629000014fb34e77532637141
09dd4a48824259c32900001c01004004a16029d72b156c3ed814c4f942dd53b0
be0bc3830000001c01004005d571bce853a806d6e7cb8c34ce8819a5fab8ed62
`)

// testIKEv2Cookie is an IKE_SA_INIT response that carries only a COOKIE notify (RFC 7296 §2.6).
// Public capture nDPI/ipsec_isakmp_esp.pcap, frame 17 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0x0, ttl 247, id 29559, offset 0, flags [none], proto UDP (17), length 80)
//	    109.237.187.193.500 > 192.168.2.100.10500: [udp sum ok] isakmp 2.0 msgid 00000000 cookie b64ef32131a48952-
//	    >0000000000000000: parent_sa ikev2_init[R]:
//	    (n: prot_id=#0 type=16390(cookie) data=(000155739f613a70f771484cb7a6aa3f))
var testIKEv2Cookie = unhex(`
b64ef32131a48952000000000000000029202220000000000000003400000018
00004006000155739f613a70f771484cb7a6aa3f
`)

// testIKEv2SKF is an IKE_AUTH request on UDP 4500 sent as the second of two Encrypted Fragments (SKF, RFC 7383).
// Public capture zeek-plugin-ikev2/ikev2.pcap, frame 6 (the IKE message: UDP payload, after the non-ESP marker).
// tcpdump -t -n -vvv:
//
//	IP (tos 0x0, ttl 63, id 59183, offset 0, flags [none], proto UDP (17), length 340)
//	    172.16.158.1.53725 > 172.16.158.142.4500: [udp sum ok] NONESP-encap: isakmp 2.0 msgid 00000001 cookie 46fd
//	    10006d11e258->14633b5928660a90: child_sa  ikev2_auth[I]:
//	    (#53)
var testIKEv2SKF = unhex(`
46fd10006d11e25814633b5928660a9035202308000000010000013400000118
0002000226f030c0ce23a5871633451b83a6e96895c918885179e7df66b4e533
f641784aa27bc62542d6487f461fcee2fc8e504e80cf164b668c7f7800aeb4bf
48dd6ea5293bd2a59626783ed415cffe54f1b0483f2434e3c688325634e50ada
0b4d6fcc683e2776a4657e6d445680245e054d511f0a9549ba79bd3221ef2735
caeddb504dc260440f200322b92061ec3148e134455e633d26e91ed76e1a4c8b
752ab1ee237d8739ac499f1278e05e2fcb22439072f95c0f954d35f2121db5b2
449551470fc35e27b1a6acb049125c87df773c7599de5bb84e890d6019a15c1b
761be388bcf43063b6e833ae992abe9eddea51ef97d872eb4e5f95cb8aef164f
451b7bed99141fc1e1ceee58433496e3403b8922
`)

// testIKEv2CreateChildSA is an IKEv2 CREATE_CHILD_SA request over IPv6: one SK payload.
// Public capture arkime/IKEv2.pcap, frame 10 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP6 (hlim 64, next-header UDP (17) payload length: 392) 2003:51:6012::4.500 > 2003:51:6012::2.500: [udp sum ok
//	    ] isakmp 2.0 msgid 00000002 cookie 8e7779464044673e->7b452c842bc4e891: child_sa  child_sa[I]:
//	    (v2e: len=352 731aec85bbccd46edc95f026f55ccb0b1028d3aae0168d9ac0e1c8fc1e708d18d18fc339fecaf88902cb9b76a61d
//	    2761dce76ae27824089f053e3af5cc3f889fb40df51fa92efd86800ee241b1f304ed4ee8ba22bd878e30d7539af92d0b82befcbc09
//	    71cccfa031eb6cf0bc60dc98e053f24ca278305df1bd0e089ff8012a4659d6e45ce3b6c9270adfc4d25a9fbd1c092abb562e441c89
//	    1ee63c4436a03c3303e5c7e053145e35de01f9192ab492eca92330000f61f6b3b9f0e10d4e507169ab5f8f5fb62d1b564c4da1499b
//	    1f335f876b041837fdf7b1324900014f78ca0d5d469e9f94fa024d267e99536c7c342ea0604f92276a331c9f0741988787c19c94ed
//	    4219be477e2fe97a9cc2f481516d7d88b203cfa8e71695fad58d91be25b3b5ea1ca0d25ccc088de907679b493c6ffe1a886c529474
//	    8869b2ec9517bed85ef3136f06ee8bb4a2112aaf37837ac09ebe1090a955cb845eb09186661fbf1513)
var testIKEv2CreateChildSA = unhex(`
8e7779464044673e7b452c842bc4e8912e202408000000020000018021000164
731aec85bbccd46edc95f026f55ccb0b1028d3aae0168d9ac0e1c8fc1e708d18
d18fc339fecaf88902cb9b76a61d2761dce76ae27824089f053e3af5cc3f889f
b40df51fa92efd86800ee241b1f304ed4ee8ba22bd878e30d7539af92d0b82be
fcbc0971cccfa031eb6cf0bc60dc98e053f24ca278305df1bd0e089ff8012a46
59d6e45ce3b6c9270adfc4d25a9fbd1c092abb562e441c891ee63c4436a03c33
03e5c7e053145e35de01f9192ab492eca92330000f61f6b3b9f0e10d4e507169
ab5f8f5fb62d1b564c4da1499b1f335f876b041837fdf7b1324900014f78ca0d
5d469e9f94fa024d267e99536c7c342ea0604f92276a331c9f0741988787c19c
94ed4219be477e2fe97a9cc2f481516d7d88b203cfa8e71695fad58d91be25b3
b5ea1ca0d25ccc088de907679b493c6ffe1a886c5294748869b2ec9517bed85e
f3136f06ee8bb4a2112aaf37837ac09ebe1090a955cb845eb09186661fbf1513
`)

// testIKEv2Informational is an IKEv2 INFORMATIONAL request over IPv6: one SK payload, empty inside (a liveness check).
// Public capture arkime/IKEv2.pcap, frame 32 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP6 (hlim 64, next-header UDP (17) payload length: 104) 2003:51:6012::2.500 > 2003:51:6012::4.500: [udp sum ok
//	    ] isakmp 2.0 msgid 00000000 cookie 8e7779464044673e->7b452c842bc4e891: parent_sa inf2:
//	    (v2e: len=64 112d3a20bf8109b81aad9b50568217517c72d152299bd2e4e76e2de479796d7f9968c1d77cc678d983827c7a9cf74
//	    7dd35c26baf6688336bc4ab631f3b814944)
var testIKEv2Informational = unhex(`
8e7779464044673e7b452c842bc4e8912e202500000000000000006000000044
112d3a20bf8109b81aad9b50568217517c72d152299bd2e4e76e2de479796d7f
9968c1d77cc678d983827c7a9cf747dd35c26baf6688336bc4ab631f3b814944
`)

// testIKEv2IDNormal is a crafted IKE_AUTH with a cleartext IDi (ID_IPV4_ADDR) followed by 39 bytes that belong to no payload.
// Public capture tcpdump/ikev2-id-normal.pcap, frame 1 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 104)
//	    127.0.0.1.12345 > 127.0.0.2.500: [no cksum] isakmp 2.0 msgid 00000001 cookie 0000000000000000->00000000000
//	    00000: child_sa  ikev2_auth[I]:
//	    (v2IDi: len=5 01000000de ipv4:de)
var testIKEv2IDNormal = unhex(`
0000000000000000000000000000000023202308000000010000004c00000009
01000000deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef
deadbeefdeadbeefdeadbeef
`)

// testIKEv2IDShort is a crafted IKE_AUTH whose IDi payload is shorter than the ID payload's own header.
// Public capture tcpdump/ikev2-id-short.pcap, frame 1 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto UDP (17), length 104)
//	    127.0.0.1.12345 > 127.0.0.2.500: [no cksum] isakmp 2.0 msgid 00000001 cookie 0000000000000000->00000000000
//	    00000: child_sa  ikev2_auth[I]:
//	    (v2IDi: len=1 01 ipv4: [|v2IDi])
var testIKEv2IDShort = unhex(`
0000000000000000000000000000000023202308000000010000004c00000005
01000000deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef
deadbeefdeadbeefdeadbeef
`)

// testIsakmpPointerLoop is tcpdump's historic infinite-loop reproducer: zero cookies, next payload HASH, ISAKMP Length 0, and two bytes of a payload header.
// Public capture tcpdump/isakmp-pointer-loop.pcap, frame 1 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0x0, ttl 243, id 34661, offset 0, flags [DF], proto UDP (17), length 58)
//	    129.170.249.126.500 > 129.170.249.87.500: [udp sum ok] isakmp 1.0 msgid 00000000 cookie 0000000000000000->
//	    0000000000000000: phase 1 ? base: [|hash] (len mismatch: isakmp 0/ip 30)
var testIsakmpPointerLoop = unhex(`
000000000000000000000000000000000810010000000000000000000a00
`)

// testIKEv1BadLength is a hand-made IKEv1 MM1 whose last Vendor ID payload claims a length of 3.
// Public capture zeek-spicy-ipsec/ipsec-ikev1-payload-bad-length.pcap, frame 1 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0xc0, ttl 255, id 649, offset 0, flags [none], proto UDP (17), length 196)
//	    192.168.12.1.500 > 192.168.12.2.500: [bad udp cksum 0x2924 -> 0x2935!] isakmp 1.0 msgid 00000000 cookie e4
//	    7a591fd057587f->0000000000000000: phase 1 I ident:
//	    (sa: doi=ipsec situation=identity
//	        (p: #1 protoid=isakmp transform=1
//	            (t: #1 id=ike (type=enc value=aes)(type=keylen value=0080)(type=hash value=sha1)(type=group desc v
//	    alue=modp1024)(type=auth value=preshared)(type=lifetype value=sec)(type=lifeduration len=4 value=00015180)
//	    )))
//	    ()
var testIKEv1BadLength = unhex(`
e47a591fd057587f00000000000000000110020000000000000000a80d00003c
00000001000000010000003001010001000000280101000080010007800e0080
800200028004000280030001800b0001000c0004000151800d0000034a131c81
070358455c5728f20e95452f0d000014439b59f8ba676c4c7737ae22eab8f582
0d0000147d9419a65310ca6f2c179d9215529d560000001490cb80913ebb696e
086381b5ec427b1f
`)

// testIKEv1NoNoneNP is tcpdump's reproducer for CVE-2017-12990: an IKEv1 Informational whose two notifications form a chain that never ends in NONE.
// Public capture tcpdump/isakmp-no-none-np.pcapng, frame 1 (the IKE message: UDP payload).
// tcpdump -t -n -vvv:
//
//	IP (tos 0x0, ttl 128, id 28793, offset 0, flags [none], proto UDP (17), length 2214)
//	    192.168.1.25.500 > 192.168.1.10.500: [udp sum ok] isakmp 1.0 msgid 5f724dc6 cookie 0000000000000000->00000
//	    00000000000: phase 2/others ? inf:
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=000000000b1005005f724dc600000054 data=(0b00001c0
//	    00000010110...0100000700000000000000000000000000000000))
//	    (n: doi=ipsec proto=isakmp type=INVALID-MAJOR-VERSION spi=0000000000000000000000000010ba00 data=(00ff1d000
//	    20082001101...0100000700000000000000000000000000000000)) [|n] (len mismatch: isakmp 84/ip 2186)
var testIKEv1NoNoneNP = unhex(`
000000000000000000000000000000000b1005005f724dc6000000540b00001c
0000000101100005000000000b1005005f724dc6000000540b00001c00000001
01100005000000000b1005005f724dc6000000540b00001c0000000101100005
000000000b1005005f724dc6000000540b00001c000000010110000500000000
0b1005005f724dc6000000540b00001c0000000101100005000000000b100500
5f724dc6000000540b00001c0000000101100005000000000b1005005f724dc6
000000540b00001c0000000101100005000000000b1005005f724dc600000054
0b00001c0000000101100005000000000b1005005f724dc6000000540b00001c
0000000101100005000000000b1005005f724dc6000000540b00001c00000001
01100005000000000b1005005f724dc6000000540b00001c0000000101100005
000000000b1005005f724dc6000000540b00001c000000010110000500000000
0b1005005f724dc6000000540b00001c0000000101100005000000000b100500
5f724dc6000000540b00001c0000000101100005000000000b1005005f724dc6
000000540b00001c0000000101100005000000000b1005005f724dc600000054
0b00001c0000000101100005000000000b1005005f724dc6000000540b00001c
0000000101100005000000000b1005005f724dc6000000540b00001c00000001
01100005000000000b1005005f724dc6000000540b00001c0000000101100005
000000000b1005005f724dc6000000540b00001c000000010110000500000000
0b1005005f724dc6000000540b00001c0000000101100005000000000b100500
5f724dc6000000540b00001c0000000101100005000000000b1005005f724dc6
000000540b00001c0000000101100005000000000b1005005f724dc600000054
0b00001c0000000101100005000000000b1005005f724dc6000000540b00001c
0000000101100005000000000b1005005f724dc6000000540b00001c00000001
01100005000000000b1005005f724dc6000000540b00001c0000000101100005
000000000b1005005f724dc6000000540b00001c000000010110000500000000
0b1005005f724dc6000000540b00001c0000000101100005000000000b100500
5f724dc6000000540b00001c0000000101100005000000000b1005005f724dc6
000000540b00001c0000000101100005000000000b1005005f724dc600000054
0b00001c0000000101100005000000000b1005005f724dc6000000540b00001c
0000000101100005000000000b1005005f724dc6000000540b00001c00000001
01100005000000000b1005005f724dc6000000540b00001c0000000101100005
000000000b1005005f724dc6000000540b00001c000000010110000500000000
0b1005005f724dc6000000540b00001c0000000101100005000000000b100500
5f724dc6000000540b00001c0000000101100005000000000b1005005f724dc6
000000540b00001c0000000101100005000000000b1005005f724dc600000054
0b00001c0000000101100005000000000b1005005f724dc6000000540b00001c
0000000101100005000000000b1005005f724dc6000000540b00001c00000001
01100005000000000b1005005f724dc6000000540b00001c0000000101100005
000000000b1005005f724dc6000000540b00001c000000010110000500000000
0b1005005f724dc6000000540b00001c0000000101100005000000000b100500
5f724dc6000000540b00001c0000000101100005000000000b1005005f724dc6
000000540b00001c0000000101100005000000000b1005005f724dc600000054
0b00001c0000000101100005000000000b1005005f724dc6000000540b00001c
0000000101100005000000000b1005005f724dc6000000540b00001c00000001
01100005000000000b1005005f724dc6000000540b00001c0000000101100005
000000000b1005005f724dc6000000540b00001c000000010110000500000000
0b1005005f724dc6000000540b00001c0000000101100005000000000b100500
5f724dc6000000540b00001c0000000101100005000000000b1005005f724dc6
000000540b00001c0000000101100005000000000b1005005f724dc600000054
0b00001c0000000101100005000000000b1005005f724dc6000000540b00001c
0000000101100005000000000b1005005f724dc6000000540b00001c00000001
01100005000000000b1005005f724dc6000000540b00001c0000000101100005
000000000b1005005f724dc6000000540b00001c000000010110000500000000
0b1005005f724dc6000000540b00001c0000000101100005000000000b100500
5f724dc6000000540b00001c0000000101100005000000000b1005005f724dc6
000000540b00001c0000000101100005000000000b1005005f724dc600000054
0b00001c0000000101100005000000000b1005005f724dc6000000540b00001c
0000000101100005000000000b1005005f724dc6000000540b00001c00000001
01100005000000000b1005005f724dc6000000540b00001c0000000101100005
000000000b1005005f724dc6000000540b00001c000000010110000500000000
0b1005005f724dc6000000540b00001c0000000101100005000000000b100500
5f724dc6000000540b00001c0000000101100005000000000b1005005f724dc6
000000540b00001c0000000101100005000000000b1005005f724dc600000054
0b00001c0000000101100005000000000b1005005f724dc6000000540b00001c
0000000101100005000000000b1005005f724dc6000000540b00001c00000001
01100005000000000b1005005f724dc6000000540b00001c0000000101100005
000000000b1005005f724dc6000000540b00001c000000010110000500000000
00000000000000000010ba0000ff1d0002008200110101000007000000000000
00000000000000000000
`)

// testPayload is one payload for buildIKE.
type testPayload struct {
	typ      PayloadType
	critical bool
	body     []byte
}

// buildIKE assembles an IKE message: the 28-byte header (RFC 7296 §3.1)
// followed by payloads chained by their Next Payload fields. An SK or SKF
// payload's Next Payload is taken from inner, the type of its first
// encrypted payload.
func buildIKE(spii, spir uint64, version uint8, exch ExchangeType, flags uint8, msgID uint32, inner PayloadType, payloads ...testPayload) []byte {
	b := make([]byte, IKEHeaderLen)
	binary.BigEndian.PutUint64(b[0:8], spii)
	binary.BigEndian.PutUint64(b[8:16], spir)
	if len(payloads) > 0 {
		b[16] = byte(payloads[0].typ)
	}
	b[17] = version << 4
	b[18] = byte(exch)
	b[19] = flags
	binary.BigEndian.PutUint32(b[20:24], msgID)
	for i, p := range payloads {
		next := PayloadTypeNone
		switch {
		case i+1 < len(payloads):
			next = payloads[i+1].typ
		case p.typ == PayloadTypeSK || p.typ == PayloadTypeSKF:
			next = inner
		}
		h := []byte{byte(next), 0, 0, 0}
		if p.critical {
			h[1] = 0x80
		}
		binary.BigEndian.PutUint16(h[2:4], uint16(4+len(p.body)))
		b = append(b, h...)
		b = append(b, p.body...)
	}
	binary.BigEndian.PutUint32(b[24:28], uint32(len(b)))
	return b
}

// cat concatenates byte slices, for building payload bodies.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// be16 and be32 encode big-endian integers, for building payload bodies.
func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
