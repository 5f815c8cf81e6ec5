package keys

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The file names Wireshark gives its decryption tables in a profile
// directory, and strongSwan's save-keys plugin too.
const (
	IKEv2TableName = "ikev2_decryption_table"
	IKEv1TableName = "ikev1_decryption_table"
	ESPTableName   = "esp_sa"
)

// tableKind is which Wireshark table a file is.
type tableKind uint8

const (
	tableUnknown tableKind = iota
	tableIKEv2
	tableIKEv1
	tableESP
)

// splitUATLine splits one line of a Wireshark UAT file into its fields:
// comma-separated, each either a double-quoted string (with \\, \" and \xNN
// escapes) or bare text (hex buffers).
func splitUATLine(line string) ([]string, error) {
	var fields []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		var f strings.Builder
		if i < len(line) && line[i] == '"' {
			i++
			closed := false
			for i < len(line) {
				c := line[i]
				if c == '"' {
					closed = true
					i++
					break
				}
				if c == '\\' && i+1 < len(line) {
					switch line[i+1] {
					case 'x':
						if i+3 < len(line) {
							if v, err := strconv.ParseUint(line[i+2:i+4], 16, 8); err == nil {
								f.WriteByte(byte(v))
								i += 4
								continue
							}
						}
						return nil, fmt.Errorf("field %d: bad \\x escape", len(fields)+1)
					default:
						f.WriteByte(line[i+1])
						i += 2
						continue
					}
				}
				f.WriteByte(c)
				i++
			}
			if !closed {
				return nil, fmt.Errorf("field %d: unterminated quoted string", len(fields)+1)
			}
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
		} else {
			j := strings.IndexByte(line[i:], ',')
			if j < 0 {
				j = len(line) - i
			}
			f.WriteString(strings.TrimSpace(line[i : i+j]))
			i += j
		}
		fields = append(fields, f.String())
		if i >= len(line) {
			return fields, nil
		}
		if line[i] != ',' {
			return nil, fmt.Errorf("field %d: text after the closing quote", len(fields))
		}
		i++
	}
}

// parseHexKey reads a key written as hex, with or without a 0x prefix.
func parseHexKey(s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("not hex")
	}
	return b, nil
}

// parseSPI64 reads a 64-bit IKE SPI or cookie written as 16 hex digits.
func parseSPI64(s string) (uint64, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	if len(s) != 16 {
		return 0, fmt.Errorf("want 16 hex digits, have %d characters", len(s))
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, errors.New("not hex")
	}
	return v, nil
}

// classifyTableLine tells the table kind from the fields of a line.
func classifyTableLine(f []string) tableKind {
	switch {
	case len(f) == 2:
		return tableIKEv1
	case len(f) == 8 && (f[0] == "IPv4" || f[0] == "IPv6"):
		return tableESP
	case len(f) == 8:
		return tableIKEv2
	}
	return tableUnknown
}

// parseTable reads a Wireshark decryption table of any of the three kinds;
// the first entry decides which, and every entry must be of that kind.
func parseTable(r io.Reader, name string) (*Store, error) {
	s := &Store{Files: []string{name}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	kind := tableUnknown
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		f, err := splitUATLine(text)
		if err != nil {
			return nil, lineError(name, line, "%v", err)
		}
		k := classifyTableLine(f)
		if kind == tableUnknown {
			kind = k
		}
		if k == tableUnknown || k != kind {
			return nil, lineError(name, line, "%d fields: not an entry of %s", len(f), tableDescription(kind))
		}
		src := Source{File: name, Line: line}
		switch kind {
		case tableIKEv2:
			sa, err := parseIKEv2Entry(f, src)
			if err != nil {
				return nil, err
			}
			s.IKEv2 = append(s.IKEv2, sa)
		case tableIKEv1:
			sa, err := parseIKEv1Entry(f, src)
			if err != nil {
				return nil, err
			}
			s.IKEv1 = append(s.IKEv1, sa)
		case tableESP:
			sa, err := parseESPEntry(f, src)
			if err != nil {
				return nil, err
			}
			s.ESP = append(s.ESP, sa)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, lineError(name, line+1, "%v", err)
	}
	return s, nil
}

func tableDescription(k tableKind) string {
	switch k {
	case tableIKEv2:
		return "an IKEv2 decryption table (8 fields)"
	case tableIKEv1:
		return "an IKEv1 decryption table (2 fields)"
	case tableESP:
		return "an ESP SA table (8 fields, the first IPv4 or IPv6)"
	}
	return "a Wireshark decryption table (2 or 8 fields)"
}

func parseIKEv2Entry(f []string, src Source) (IKEv2SA, error) {
	fail := func(field string, format string, args ...any) (IKEv2SA, error) {
		return IKEv2SA{}, lineError(src.File, src.Line, field+": "+format, args...)
	}
	sa := IKEv2SA{Bound: true, Source: src}
	var err error
	if sa.SPIi, err = parseSPI64(f[0]); err != nil {
		return fail("initiator's SPI", "%v", err)
	}
	if sa.SPIr, err = parseSPI64(f[1]); err != nil {
		return fail("responder's SPI", "%v", err)
	}
	i := slices.IndexFunc(wiresharkIKEv2Ciphers, func(w wiresharkIKEv2Cipher) bool { return w.name == f[4] })
	if i < 0 {
		if slices.Contains(wiresharkIKEv2Unsupported, f[4]) {
			return fail("encryption algorithm", "%q is not supported by vpnpcap", f[4])
		}
		return fail("encryption algorithm", "%q is not one of Wireshark's names", f[4])
	}
	w := wiresharkIKEv2Ciphers[i]
	sa.Cipher = w.cipher
	integ, ok := wiresharkIKEv2Integrity[f[7]]
	if !ok {
		if slices.Contains(wiresharkIKEv2Unsupported, f[7]) {
			return fail("integrity algorithm", "%q is not supported by vpnpcap", f[7])
		}
		return fail("integrity algorithm", "%q is not one of Wireshark's names", f[7])
	}
	sa.Integrity = integ
	if w.cipher.AEAD() != (integ == IntegrityNone) && w.cipher != CipherNull {
		if w.cipher.AEAD() {
			return fail("integrity algorithm", "%s authenticates itself: want %q", w.cipher, "NONE [RFC4306]")
		}
		return fail("integrity algorithm", "%s needs an integrity algorithm", w.cipher)
	}
	want := w.aesLen + w.cipher.saltLen()
	for _, k := range []struct {
		field string
		text  string
		dst   *[]byte
		n     int
	}{
		{"SK_ei", f[2], &sa.EncI, want},
		{"SK_er", f[3], &sa.EncR, want},
		{"SK_ai", f[5], &sa.IntegI, integ.keyLen()},
		{"SK_ar", f[6], &sa.IntegR, integ.keyLen()},
	} {
		b, err := parseHexKey(k.text)
		if err != nil {
			return fail(k.field, "%v", err)
		}
		if len(b) != k.n {
			return fail(k.field, "%d bytes, %s wants %d", len(b), algorithmFor(k.field, f), k.n)
		}
		*k.dst = b
	}
	return sa, nil
}

func algorithmFor(field string, f []string) string {
	if strings.HasPrefix(field, "SK_e") {
		return f[4]
	}
	return f[7]
}

func parseIKEv1Entry(f []string, src Source) (IKEv1SA, error) {
	sa := IKEv1SA{Source: src}
	var err error
	if sa.CookieI, err = parseSPI64(f[0]); err != nil {
		return sa, lineError(src.File, src.Line, "initiator's cookie: %v", err)
	}
	if sa.Key, err = parseHexKey(f[1]); err != nil {
		return sa, lineError(src.File, src.Line, "encryption key: %v", err)
	}
	switch len(sa.Key) {
	case 16, 24, 32:
	case 8:
		return sa, lineError(src.File, src.Line, "encryption key: 8 bytes is single DES, which vpnpcap does not decrypt")
	default:
		return sa, lineError(src.File, src.Line, "encryption key: %d bytes, want 16, 24 or 32 (AES) or 24 (3DES)", len(sa.Key))
	}
	return sa, nil
}

// parseESPAddress reads an address column of the ESP table: "*", an
// address or a prefix.
func parseESPAddress(s string, v6 bool) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if s == "*" || s == "" {
		return netip.Prefix{}, nil
	}
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, errors.New("want an address, a prefix or *")
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return p, errors.New("want an address, a prefix or *")
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is6() != v6 {
		return p, errors.New("address family differs from the protocol column")
	}
	return p.Masked(), nil
}

func parseESPEntry(f []string, src Source) (ESPSA, error) {
	fail := func(field string, format string, args ...any) (ESPSA, error) {
		return ESPSA{}, lineError(src.File, src.Line, field+": "+format, args...)
	}
	sa := ESPSA{IPv6: f[0] == "IPv6", Source: src}
	var err error
	if sa.Src, err = parseESPAddress(f[1], sa.IPv6); err != nil {
		return fail("source", "%v", err)
	}
	if sa.Dst, err = parseESPAddress(f[2], sa.IPv6); err != nil {
		return fail("destination", "%v", err)
	}
	spi := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(f[3]), "0x"), "0X")
	v, err := strconv.ParseUint(spi, 16, 32)
	if err != nil || spi == "" {
		if spi == "*" {
			return fail("SPI", "a wildcard SPI cannot tie keys to an SA; give the SPI")
		}
		return fail("SPI", "want 0x and up to 8 hex digits")
	}
	sa.SPI = uint32(v)
	c, ok := wiresharkESPCiphers[f[4]]
	if !ok {
		if slices.Contains(wiresharkESPUnsupported, f[4]) {
			return fail("encryption algorithm", "%q is not supported by vpnpcap", f[4])
		}
		return fail("encryption algorithm", "%q is not one of Wireshark's names", f[4])
	}
	integ, ok := wiresharkESPIntegrity[f[6]]
	if !ok {
		if slices.Contains(wiresharkESPUnsupported, f[6]) {
			return fail("authentication algorithm", "%q is not supported by vpnpcap", f[6])
		}
		return fail("authentication algorithm", "%q is not one of Wireshark's names", f[6])
	}
	if f[4] == "AES-GCM [RFC4106]" {
		// save-keys names the ICV length in the authentication column.
		switch integ {
		case IntegrityAny64:
			c = CipherAESGCM8
		case IntegrityAny96:
			c = CipherAESGCM12
		case IntegrityAny128, IntegrityNone:
			c = CipherAESGCM16
		default:
			return fail("authentication algorithm", "AES-GCM authenticates itself: want NULL or ANY 64/96/128 bit authentication")
		}
		integ = IntegrityNone
	} else if c.AEAD() {
		if integ != IntegrityNone {
			return fail("authentication algorithm", "%s authenticates itself: want NULL", c)
		}
	}
	sa.Cipher, sa.Integrity = c, integ
	if sa.EncKey, err = parseHexKey(f[5]); err != nil {
		return fail("encryption key", "%v", err)
	}
	if !c.validKeyLen(len(sa.EncKey)) {
		return fail("encryption key", "%d bytes, %s wants %s", len(sa.EncKey), f[4], c.keyLenWant())
	}
	if sa.AuthKey, err = parseHexKey(f[7]); err != nil {
		return fail("authentication key", "%v", err)
	}
	if n := integ.keyLen(); integ.Checked() && len(sa.AuthKey) != n {
		return fail("authentication key", "%d bytes, %s wants %d", len(sa.AuthKey), f[6], n)
	}
	return sa, nil
}

// WriteWireshark writes the store's keys as Wireshark's decryption tables
// into dir, one file per kind that has entries, named as Wireshark names
// them. ESP entries match any address ("*"), because the two sides of a NAT
// see different ones. IKEv2 keys that are not bound to SPIs cannot be
// written; they are returned as skipped, by source.
func WriteWireshark(dir string, s *Store) (written []string, skipped []Source, err error) {
	var v2, v1, esp strings.Builder
	for _, k := range s.IKEv2 {
		if !k.Bound {
			skipped = append(skipped, k.Source)
			continue
		}
		fmt.Fprintf(&v2, "%016x,%016x,%x,%x,\"%s\",%x,%x,\"%s\"\n", k.SPIi, k.SPIr, k.EncI, k.EncR,
			wiresharkIKEv2CipherName(k.Cipher, len(k.EncI)), k.IntegI, k.IntegR, wiresharkIntegrityName(k.Integrity, false))
	}
	for _, k := range s.IKEv1 {
		fmt.Fprintf(&v1, "%016x,%x\n", k.CookieI, k.Key)
	}
	for _, k := range s.ESP {
		proto := "IPv4"
		if k.IPv6 {
			proto = "IPv6"
		}
		integ := wiresharkIntegrityName(k.Integrity, true)
		fmt.Fprintf(&esp, "\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"0x%x\",\"%s\",\"0x%x\"\n", proto,
			prefixColumn(k.Src), prefixColumn(k.Dst), k.SPI, wiresharkESPCipherName(k.Cipher), k.EncKey, integ, k.AuthKey)
	}
	for _, t := range []struct {
		name string
		text string
	}{{IKEv2TableName, v2.String()}, {IKEv1TableName, v1.String()}, {ESPTableName, esp.String()}} {
		if t.text == "" {
			continue
		}
		path := filepath.Join(dir, t.name)
		if err := os.WriteFile(path, []byte(t.text), 0o600); err != nil {
			return written, skipped, err
		}
		written = append(written, path)
	}
	return written, skipped, nil
}

func prefixColumn(p netip.Prefix) string {
	if !p.IsValid() {
		return "*"
	}
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}
