package keys

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// Source is where a key was read: a file and a 1-based line. Reports name
// a key by its Source, never by its value.
type Source struct {
	File string
	Line int
}

// String returns "file:line".
func (s Source) String() string { return s.File + ":" + strconv.Itoa(s.Line) }

// ErrIntegrity reports that an integrity check failed: the ICV of an IKEv2
// SK payload or of an ESP packet does not match what the key computes, an
// AEAD tag does not verify, or (IKEv1, which has no ICV over the
// ciphertext) the plaintext is not a payload chain. With a key that belongs
// to the SA it means a wrong key. Test for it with [errors.Is].
var ErrIntegrity = errors.New("integrity check failed")

// FileError is a fault in a key file: the file, the 1-based line (0 when
// the fault is the file's as a whole), and the reason. Its message never
// holds key material.
type FileError struct {
	File string
	Line int
	Err  error
}

// Error returns "file:line: reason".
func (e *FileError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Err.Error()
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Err.Error()
}

// Unwrap returns the reason.
func (e *FileError) Unwrap() error { return e.Err }

// IKEv2SA holds the keys of one IKEv2 SA (RFC 7296 §2.14): SK_e and SK_a of
// each direction, "i" for what the original initiator sends.
type IKEv2SA struct {
	SPIi, SPIr uint64
	// Bound is false when the source did not say which SA the keys belong
	// to (a charon log without NAT-D hex dumps, or an IKE SA made by a
	// rekey): then SPIi and SPIr are zero, and a decryptor may try the keys
	// on an SA that has none, accepting them only when the integrity check
	// passes.
	Bound      bool
	Cipher     Cipher
	EncI, EncR []byte
	Integrity  Integrity
	IntegI     []byte
	IntegR     []byte
	Source     Source
}

// IKEv1SA holds the encryption key of one IKEv1 (ISAKMP) SA, named by the
// initiator cookie (RFC 2409 Appendix B). The cipher and hash come from the
// SA the peers negotiated, which the capture shows.
type IKEv1SA struct {
	CookieI uint64
	Key     []byte
	Source  Source
}

// ESPSA holds the keys of one ESP SA (one direction, RFC 4301 §4.1).
type ESPSA struct {
	IPv6 bool
	// Src and Dst select the packets by address; an invalid prefix
	// (Wireshark's "*") matches any address. Across a NAT the addresses
	// differ on the two sides, so tables for two-sided captures use "*".
	Src, Dst  netip.Prefix
	SPI       uint32
	Cipher    Cipher
	EncKey    []byte
	Integrity Integrity
	AuthKey   []byte
	Source    Source
}

// Matches reports whether the SA's addresses select a packet from src to
// dst.
func (sa *ESPSA) Matches(src, dst netip.Addr) bool {
	if sa.IPv6 != (src.Is6() && !src.Is4In6()) {
		return false
	}
	return (!sa.Src.IsValid() || sa.Src.Contains(src)) && (!sa.Dst.IsValid() || sa.Dst.Contains(dst))
}

// Store holds the keys read from key files. The zero value is empty and
// ready; a nil *Store holds nothing.
type Store struct {
	IKEv2 []IKEv2SA
	IKEv1 []IKEv1SA
	ESP   []ESPSA
	// Files lists the files read, in order.
	Files []string
}

// Empty reports whether the store holds no key.
func (s *Store) Empty() bool {
	return s == nil || len(s.IKEv2)+len(s.IKEv1)+len(s.ESP) == 0
}

// IKEv2For returns the keys bound to the SA with the given SPIs, or nil.
func (s *Store) IKEv2For(spii, spir uint64) *IKEv2SA {
	if s == nil {
		return nil
	}
	for i := range s.IKEv2 {
		k := &s.IKEv2[i]
		if k.Bound && k.SPIi == spii && k.SPIr == spir {
			return k
		}
	}
	return nil
}

// IKEv1For returns the keys of the SA with the initiator cookie, or nil.
func (s *Store) IKEv1For(cookie uint64) *IKEv1SA {
	if s == nil {
		return nil
	}
	for i := range s.IKEv1 {
		if s.IKEv1[i].CookieI == cookie {
			return &s.IKEv1[i]
		}
	}
	return nil
}

// ESPFor returns the keys of the ESP SA with the SPI whose addresses match
// the packet's, or nil. The first matching entry wins, as in Wireshark.
func (s *Store) ESPFor(spi uint32, src, dst netip.Addr) *ESPSA {
	if s == nil {
		return nil
	}
	for i := range s.ESP {
		k := &s.ESP[i]
		if k.SPI == spi && k.Matches(src, dst) {
			return k
		}
	}
	return nil
}

// HasESP reports whether the store holds any ESP key; a decoder that has
// none skips the look-up.
func (s *Store) HasESP() bool { return s != nil && len(s.ESP) > 0 }

// merge adds o's keys, leaving out entries equal to one already held (the
// two peers' logs print the same keys).
func (s *Store) merge(o *Store) {
	for _, k := range o.IKEv2 {
		if !s.hasIKEv2(&k) {
			s.IKEv2 = append(s.IKEv2, k)
		}
	}
	for _, k := range o.IKEv1 {
		if s.IKEv1For(k.CookieI) == nil {
			s.IKEv1 = append(s.IKEv1, k)
		}
	}
	for _, k := range o.ESP {
		if !s.hasESP(&k) {
			s.ESP = append(s.ESP, k)
		}
	}
	s.Files = append(s.Files, o.Files...)
}

func (s *Store) hasIKEv2(k *IKEv2SA) bool {
	for i := range s.IKEv2 {
		h := &s.IKEv2[i]
		if string(h.EncI) == string(k.EncI) && string(h.EncR) == string(k.EncR) {
			if !h.Bound && k.Bound {
				// The same keys with their SPIs from another log.
				h.SPIi, h.SPIr, h.Bound = k.SPIi, k.SPIr, true
			}
			return true
		}
	}
	return false
}

func (s *Store) hasESP(k *ESPSA) bool {
	for i := range s.ESP {
		h := &s.ESP[i]
		if h.SPI == k.SPI && h.Src == k.Src && h.Dst == k.Dst && string(h.EncKey) == string(k.EncKey) {
			return true
		}
	}
	return false
}

// lineError is the error for a fault on one line.
func lineError(file string, line int, format string, args ...any) error {
	return &FileError{File: file, Line: line, Err: fmt.Errorf(format, args...)}
}
