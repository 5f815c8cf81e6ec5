package decode

import "github.com/vpnpcap/vpnpcap/decode/keys"

// BindKeys reads captures with the keys of store and gives each IKEv2 key
// that names no SA (Bound false: an IKE SA made by a rekey, whose SPIs a
// charon log does not print) the SPIs of the SA whose messages it opened,
// so that keys.WriteWireshark can write it to a table Wireshark uses. A
// key is bound only by a message whose integrity check it passed. It
// returns how many keys it bound.
func BindKeys(store *keys.Store, paths ...string) (int, error) {
	unbound := map[keys.Source]*keys.IKEv2SA{}
	for i := range store.IKEv2 {
		if k := &store.IKEv2[i]; !k.Bound {
			unbound[k.Source] = k
		}
	}
	if len(unbound) == 0 {
		return 0, nil
	}
	found := map[*keys.IKEv2SA][2]uint64{}
	for _, path := range paths {
		_, err := ReadFile(path, Options{Keys: store}, func(p *Packet) {
			m := p.IKE
			if m == nil || m.Version != 2 || m.Decryption == nil || m.Decryption.Status != Decrypted && m.Decryption.Status != DecryptFragment {
				return
			}
			if k := unbound[m.Decryption.Key]; k != nil {
				if _, ok := found[k]; !ok {
					found[k] = [2]uint64{m.SPIi, m.SPIr}
				}
			}
		})
		if err != nil {
			return 0, err
		}
	}
	for k, spis := range found {
		k.SPIi, k.SPIr, k.Bound = spis[0], spis[1], true
	}
	return len(found), nil
}
