package keys

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// A charon log line, whatever the time format in front: "<thread>[<GROUP>]
// <message>", such as "08[IKE] Sk_ei secret => 16 bytes @ 0x55fd350b2de0".
// Level 4 of the ike and chd groups dumps key material as hex after such a
// "NAME => N bytes @ ADDR" line, 16 bytes a line: "08[IKE]    0: 3E 08 …".

// charonLine splits a log line into thread, group and message.
func charonLine(s string) (thread, group, msg string, ok bool) {
	i := strings.Index(s, "[")
	for i > 0 {
		j := i
		for j > 0 && s[j-1] >= '0' && s[j-1] <= '9' {
			j--
		}
		k := strings.IndexByte(s[i:], ']')
		if j < i && (j == 0 || s[j-1] == ' ') && k > 1 && k <= 5 && i+k+1 < len(s) && s[i+k+1] == ' ' {
			g := s[i+1 : i+k]
			if strings.ToUpper(g) == g {
				return s[j:i], g, s[i+k+2:], true
			}
		}
		n := strings.Index(s[i+1:], "[")
		if n < 0 {
			break
		}
		i += 1 + n
	}
	return "", "", "", false
}

// hexDumpLine reads the bytes of one hex dump line ("   16: 09 C2 … ascii").
func hexDumpLine(msg string) ([]byte, bool) {
	msg = strings.TrimLeft(msg, " ")
	c := strings.Index(msg, ": ")
	if c <= 0 {
		return nil, false
	}
	if _, err := strconv.Atoi(msg[:c]); err != nil {
		return nil, false
	}
	rest := msg[c+2:]
	var out []byte
	for len(rest) >= 2 && len(out) < 16 {
		v, err := strconv.ParseUint(rest[:2], 16, 8)
		if err != nil {
			break
		}
		out = append(out, byte(v))
		rest = rest[2:]
		if len(rest) == 0 || rest[0] != ' ' {
			break
		}
		rest = rest[1:]
	}
	return out, len(out) > 0
}

// charonDump is a hex dump being read.
type charonDump struct {
	name string
	want int
	data []byte
	line int
}

// charonChild collects the keys of one CHILD_SA on one thread.
type charonChild struct {
	encr, integ          string // strongSwan's names, from "using X for encryption"
	encI, encR, inI, inR []byte
	line                 int
	initiator            bool
	next                 string // "inbound" or "outbound": the direction of the next "SPI" line
	added                int    // SAs added from these keys
}

// charonParser reads a charon log.
type charonParser struct {
	name   string
	store  *Store
	dumps  map[string]*charonDump // by thread
	ike    map[string]map[string]charonDump
	child  map[string]*charonChild
	lastEN map[string]string // last ENC message per thread
	// ikeProposal is the last IKE proposal selected; natdSPIs the SPIs of
	// the last NAT-D hash input that had both (strongSwan hashes SPIi,
	// SPIr, address and port, RFC 7296 §2.23).
	ikeProposal string
	natdSPIs    [2]uint64
	warnings    []string
}

// parseCharonLog reads the keys from a charon log at level 4.
func parseCharonLog(r io.Reader, name string) (*Store, []string, error) {
	p := &charonParser{
		name: name, store: &Store{Files: []string{name}},
		dumps: map[string]*charonDump{}, ike: map[string]map[string]charonDump{},
		child: map[string]*charonChild{}, lastEN: map[string]string{},
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		thread, group, msg, ok := charonLine(sc.Text())
		if !ok {
			continue
		}
		p.line(line, thread, group, msg)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, lineError(name, line+1, "%v", err)
	}
	for thread, c := range p.child {
		if c.encI != nil {
			p.warnings = append(p.warnings, Source{name, c.line}.String()+": CHILD_SA keys without the SPIs they protect (thread "+thread+"); skipped")
		}
	}
	return p.store, p.warnings, nil
}

func (p *charonParser) line(n int, thread, group, msg string) {
	if d := p.dumps[thread]; d != nil {
		if b, ok := hexDumpLine(msg); ok {
			d.data = append(d.data, b...)
			if len(d.data) >= d.want {
				d.data = d.data[:d.want]
				delete(p.dumps, thread)
				p.dumped(thread, d)
			}
			return
		}
		delete(p.dumps, thread)
	}
	if i := strings.Index(msg, " => "); i > 0 && strings.Contains(msg, " bytes") {
		name := strings.TrimSpace(msg[:i])
		f := strings.Fields(msg[i+4:])
		if len(f) >= 2 && f[1] == "bytes" {
			if want, err := strconv.Atoi(f[0]); err == nil && want > 0 && want <= 1024 && wantedDump(name) {
				p.dumps[thread] = &charonDump{name: name, want: want, line: n}
			}
		}
		return
	}
	switch group {
	case "ENC":
		if strings.HasPrefix(msg, "parsed ") || strings.HasPrefix(msg, "generating ") {
			p.lastEN[thread] = msg
		}
	case "CFG":
		if s, ok := strings.CutPrefix(msg, "selected proposal: IKE:"); ok {
			p.ikeProposal = s
		}
	case "CHD":
		p.childLine(n, thread, strings.TrimSpace(msg))
	}
}

func wantedDump(name string) bool {
	switch name {
	case "Sk_ei secret", "Sk_er secret", "Sk_ai secret", "Sk_ar secret", "encryption key Ka", "natd_chunk",
		"encryption initiator key", "encryption responder key", "integrity initiator key", "integrity responder key":
		return true
	}
	return false
}

func (p *charonParser) dumped(thread string, d *charonDump) {
	switch d.name {
	case "natd_chunk":
		if len(d.data) >= 16 {
			spii, spir := binary.BigEndian.Uint64(d.data), binary.BigEndian.Uint64(d.data[8:])
			if spii != 0 && spir != 0 {
				p.natdSPIs = [2]uint64{spii, spir}
			}
		}
	case "encryption key Ka":
		if p.natdSPIs[0] == 0 {
			p.warnings = append(p.warnings, Source{p.name, d.line}.String()+": IKEv1 key without the cookies (no NAT-D dump before it); skipped")
			return
		}
		p.store.IKEv1 = append(p.store.IKEv1, IKEv1SA{CookieI: p.natdSPIs[0], Key: d.data, Source: Source{p.name, d.line}})
		p.natdSPIs = [2]uint64{}
	case "Sk_ei secret", "Sk_er secret", "Sk_ai secret", "Sk_ar secret":
		m := p.ike[thread]
		if m == nil {
			m = map[string]charonDump{}
			p.ike[thread] = m
		}
		m[d.name] = *d
		// An AEAD cipher (AES-GCM) has no integrity keys: charon logs
		// no Sk_ai and Sk_ar then (RFC 5282 §7.1), only Sk_ei and Sk_er.
		_, ei := m["Sk_ei secret"]
		_, er := m["Sk_er secret"]
		if len(m) == 4 || ei && er && p.ikeAEAD() {
			delete(p.ike, thread)
			p.ikeKeys(thread, m)
		}
	default:
		c := p.child[thread]
		if c == nil {
			c = &charonChild{}
			p.child[thread] = c
		}
		switch d.name {
		case "encryption initiator key":
			c.encI, c.line = d.data, d.line
			c.initiator = strings.HasPrefix(p.lastEN[thread], "parsed ") && strings.Contains(p.lastEN[thread], " response ")
		case "encryption responder key":
			c.encR = d.data
		case "integrity initiator key":
			c.inI = d.data
		case "integrity responder key":
			c.inR = d.data
		}
	}
}

// ikeAEAD reports whether the last IKE proposal selected has an AEAD
// cipher.
func (p *charonParser) ikeAEAD() bool {
	for _, a := range strings.Split(p.ikeProposal, "/") {
		if charonCipher(a).AEAD() {
			return true
		}
	}
	return false
}

func (p *charonParser) ikeKeys(thread string, m map[string]charonDump) {
	ei := m["Sk_ei secret"]
	src := Source{p.name, ei.line}
	sa := IKEv2SA{EncI: ei.data, EncR: m["Sk_er secret"].data, IntegI: m["Sk_ai secret"].data, IntegR: m["Sk_ar secret"].data, Source: src}
	var encr, integ string
	for _, a := range strings.Split(p.ikeProposal, "/") {
		switch {
		case charonCipher(a) != CipherUnknown && encr == "":
			encr = a
		case charonIntegrity(a) != IntegrityUnknown && integ == "":
			integ = a
		}
	}
	sa.Cipher = charonCipher(encr)
	sa.Integrity = IntegrityNone
	if integ != "" {
		sa.Integrity = charonIntegrity(integ)
	}
	if sa.Cipher == CipherUnknown {
		p.warnings = append(p.warnings, src.String()+": IKE keys whose algorithms the log does not name in a form vpnpcap knows ("+p.ikeProposal+"); skipped")
		return
	}
	// Both directions' keys must fit: a log cut short, or two threads'
	// dumps interleaved, can leave one whole and the other not.
	if !sa.Cipher.validKeyLen(len(sa.EncI)) || !sa.Cipher.validKeyLen(len(sa.EncR)) ||
		len(sa.IntegI) != sa.Integrity.keyLen() || len(sa.IntegR) != sa.Integrity.keyLen() {
		p.warnings = append(p.warnings, fmt.Sprintf("%s: IKE keys whose lengths do not fit %s (SK_ei %d, SK_er %d, SK_ai %d, SK_ar %d bytes); skipped",
			src, p.ikeProposal, len(sa.EncI), len(sa.EncR), len(sa.IntegI), len(sa.IntegR)))
		return
	}
	rekey := strings.Contains(p.lastEN[thread], "CREATE_CHILD_SA")
	if p.natdSPIs[0] != 0 && !rekey {
		sa.SPIi, sa.SPIr, sa.Bound = p.natdSPIs[0], p.natdSPIs[1], true
		p.natdSPIs = [2]uint64{}
	}
	p.store.IKEv2 = append(p.store.IKEv2, sa)
}

// charonCipher maps strongSwan's name of an encryption algorithm (in a
// proposal such as AES_CBC_128, or in "using AES_CBC for encryption").
func charonCipher(s string) Cipher {
	switch {
	case s == "NULL" || s == "ENCR_NULL":
		return CipherNull
	case s == "3DES_CBC":
		return CipherDES3CBC
	case strings.HasPrefix(s, "AES_CBC"):
		return CipherAESCBC
	case strings.HasPrefix(s, "AES_CTR"):
		return CipherAESCTR
	case strings.HasPrefix(s, "AES_GCM_16"):
		return CipherAESGCM16
	case strings.HasPrefix(s, "AES_GCM_12"):
		return CipherAESGCM12
	case strings.HasPrefix(s, "AES_GCM_8"):
		return CipherAESGCM8
	}
	return CipherUnknown
}

// charonIntegrity maps strongSwan's name of an integrity algorithm.
func charonIntegrity(s string) Integrity {
	switch s {
	case "HMAC_MD5_96":
		return IntegrityHMACMD596
	case "HMAC_SHA1_96":
		return IntegrityHMACSHA196
	case "HMAC_SHA2_256_128":
		return IntegrityHMACSHA256128
	case "HMAC_SHA2_384_192":
		return IntegrityHMACSHA384192
	case "HMAC_SHA2_512_256":
		return IntegrityHMACSHA512256
	case "HMAC_SHA2_256_96":
		return IntegrityHMACSHA25696
	}
	return IntegrityUnknown
}

func (p *charonParser) childLine(n int, thread, msg string) {
	c := p.child[thread]
	if s, ok := strings.CutPrefix(msg, "using "); ok {
		if c == nil || c.encI != nil {
			c = &charonChild{}
			p.child[thread] = c
		}
		if a, ok := strings.CutSuffix(s, " for encryption"); ok {
			c.encr = a
		} else if a, ok := strings.CutSuffix(s, " for integrity"); ok {
			c.integ = a
		}
		return
	}
	if c == nil || c.encI == nil {
		return
	}
	switch {
	case msg == "adding inbound ESP SA":
		c.next = "inbound"
	case msg == "adding outbound ESP SA", msg == "registering outbound ESP SA":
		// A CHILD_SA rekey's responder registers its outbound SA and
		// installs it later, on another thread, when the initiator
		// deleted the old SA (strongSwan's delayed outbound install):
		// the SPI line after "registering" is the one with these keys.
		c.next = "outbound"
	case strings.HasPrefix(msg, "SPI 0x") && c.next != "":
		p.childSA(thread, c, msg)
		c.next = ""
		if c.added++; c.added == 2 {
			delete(p.child, thread)
		}
	}
}

// childSA adds the ESP SA of one "SPI 0x…, src A dst B" line. The
// initiator's keys protect what the CHILD_SA's initiator sends (RFC 7296
// §2.17): its outbound SA, the responder's inbound one.
func (p *charonParser) childSA(thread string, c *charonChild, msg string) {
	f := strings.Fields(strings.ReplaceAll(msg, ",", ""))
	src := Source{p.name, c.line}
	if len(f) < 6 {
		return
	}
	spi, err := strconv.ParseUint(strings.TrimPrefix(f[1], "0x"), 16, 32)
	if err != nil {
		return
	}
	a, _ := netip.ParseAddr(f[3])
	sa := ESPSA{IPv6: a.Is6() && !a.Is4In6(), SPI: uint32(spi), Source: src}
	sa.Cipher = charonCipher(c.encr)
	sa.Integrity = IntegrityNone
	if c.integ != "" {
		sa.Integrity = charonIntegrity(c.integ)
	}
	useInitiator := (c.next == "outbound") == c.initiator
	if useInitiator {
		sa.EncKey, sa.AuthKey = c.encI, c.inI
	} else {
		sa.EncKey, sa.AuthKey = c.encR, c.inR
	}
	if sa.Cipher == CipherUnknown || sa.Integrity == IntegrityUnknown || !sa.Cipher.validKeyLen(len(sa.EncKey)) ||
		(sa.Integrity.Checked() && len(sa.AuthKey) != sa.Integrity.keyLen()) {
		p.warnings = append(p.warnings, src.String()+": CHILD_SA keys whose algorithms ("+c.encr+", "+c.integ+") vpnpcap does not know; skipped")
		return
	}
	if !p.store.hasESP(&sa) {
		p.store.ESP = append(p.store.ESP, sa)
	}
}

// looksLikeCharonLog reports whether text has charon's "NN[GRP] " lines.
func looksLikeCharonLog(text string) bool {
	n := 0
	for l := range strings.Lines(text) {
		if _, _, _, ok := charonLine(strings.TrimRight(l, "\r\n")); ok {
			n++
			if n >= 2 {
				return true
			}
		}
	}
	return false
}
