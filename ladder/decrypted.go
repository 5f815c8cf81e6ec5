package ladder

import (
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/dissect"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// DecryptedNote is what a ladder says under its rows when keys revealed
// what some of its packets carried: the rows say it after "decrypted:".
const DecryptedNote = "decrypted: what the keys given revealed inside the encryption; the capture shows it encrypted"

// maxInner bounds the kinds of inner packet a run's text names; the rest
// are counted.
const maxInner = 3

// decryption is what the keys made of one row's packets: an IKE message's
// decrypted payloads, or a run's inner packets by what they are, in order
// of first sighting; and those that did not decrypt, with the first
// reason.
type decryption struct {
	ike     string
	inner   []string
	count   map[string]int
	failed  int
	failure string
}

// decrypted notes what the keys made of a packet of a row.
func (b *builder) decrypted(row int, p *decode.Packet) {
	var ike, inner, failure string
	switch {
	case p.IKE != nil:
		ike = dissect.DecryptedPayloads(p.IKE)
	case p.Decrypted != nil && p.Decrypted.Status == decode.Decrypted:
		inner = p.Decrypted.Inner.String()
	}
	if ike == "" && inner == "" {
		failure = dissect.DecryptFailure(p)
	}
	if ike == "" && inner == "" && failure == "" {
		return
	}
	if b.dec == nil {
		b.dec = map[int]*decryption{}
	}
	d := b.dec[row]
	if d == nil {
		d = &decryption{count: map[string]int{}}
		b.dec[row] = d
	}
	switch {
	case ike != "":
		// Retransmissions carry the same bytes; fragments the same
		// message, which decrypts at the last.
		if d.ike == "" {
			d.ike = ike
		}
	case inner != "":
		if d.count[inner] == 0 {
			d.inner = append(d.inner, inner)
		}
		d.count[inner]++
	default:
		d.failed++
		if d.failure == "" {
			d.failure = failure
		}
	}
}

// text says what the row's packets revealed, and why some did not
// decrypt.
func (d *decryption) text() (decrypted, not string) {
	switch {
	case d.ike != "":
		decrypted = d.ike
	case len(d.inner) > 0:
		var parts []string
		rest := 0
		for i, in := range d.inner {
			if i >= maxInner {
				rest += d.count[in]
				continue
			}
			if n := d.count[in]; n > 1 {
				in += " ×" + words.Thousands(n)
			}
			parts = append(parts, in)
		}
		if rest > 0 {
			parts = append(parts, words.Count(rest, "other packet"))
		}
		decrypted = strings.Join(parts, ", ")
	}
	if d.failed > 0 {
		not = d.failure
		if decrypted != "" || d.failed > 1 {
			not = words.Count(d.failed, "packet") + ": " + d.failure
		}
	}
	return decrypted, not
}
