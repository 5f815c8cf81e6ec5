// Package keys reads the keys that decrypt IKE and ESP, and decrypts with
// them.
//
// Keys come from two kinds of file, told apart by their content:
//
//   - Wireshark's decryption tables, as Wireshark writes them and as
//     strongSwan's save-keys plugin writes them: ikev2_decryption_table
//     (SPIi, SPIr, SK_ei, SK_er, encryption algorithm, SK_ai, SK_ar,
//     integrity algorithm), ikev1_decryption_table (initiator cookie,
//     encryption key) and esp_sa (protocol, source, destination, SPI,
//     encryption algorithm and key, authentication algorithm and key). The
//     algorithm names are Wireshark's.
//   - strongSwan's charon log with the ike and chd groups at level 4, whose
//     hex dumps hold the derived IKE keys (Sk_ei…, or IKEv1's Ka) and the
//     CHILD_SA keys next to the SPIs they protect.
//
// Every key remembers its [Source]: the file and line it came from, so that
// a key that fails an integrity check is named by place, never printed. A
// [Store] holds the keys of several files and answers look-ups by SPI.
//
// The decryptors ([IKEv2SA.Open], [IKEv1Cipher], [ESPSA.Open]) work on bytes
// and check integrity before they decrypt: a wrong key yields
// [ErrIntegrity], never a guess.
package keys
