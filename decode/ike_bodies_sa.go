package decode

import "encoding/binary"

// This file decodes the substructures that IKEv1 and IKEv2 share in
// shape: the proposals, transforms and attributes of an SA payload, and
// the SPIs of a Delete payload.

// proposals decodes the Proposal and Transform substructures of an SA
// payload's body from off (RFC 2408 §3.5, §3.6; RFC 7296 §3.3.1, §3.3.2).
// Both versions share the layout: a 0 or 2 (IKEv2: last or more) octet, a
// reserved octet, a 16-bit length, then the proposal's fields. IKEv1
// transforms have a number and an 8-bit ID; IKEv2 ones a type and a 16-bit
// ID.
func (p *messageParser) proposals(it *PayloadIter, off int) {
	b := it.Body()
	for off < len(b) {
		if len(b)-off < 8 {
			p.fail(bodyError(it, off, "proposal header needs 8 bytes, %d remaining", len(b)-off))
			return
		}
		more := b[off]
		length := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		if length < 8 || length > len(b)-off {
			p.fail(bodyError(it, off, "proposal length %d outside 8..%d", length, len(b)-off))
			return
		}
		pb := b[off : off+length]
		spiSize := int(pb[6])
		if 8+spiSize > length {
			p.fail(bodyError(it, off+6, "proposal SPI size %d > %d remaining", spiSize, length-8))
			return
		}
		prop := Proposal{Number: pb[4], Protocol: ProtocolID(pb[5]), SPI: p.own(pb[8 : 8+spiSize])}
		count := int(pb[7])
		if count > 0 {
			prop.Transforms = make([]Transform, 0, min(count, (length-8-spiSize)/8))
		}
		if !p.transforms(it, &prop, pb, off, 8+spiSize, count) {
			p.m.Proposals = append(p.m.Proposals, prop)
			return
		}
		p.m.Proposals = append(p.m.Proposals, prop)
		off += length
		switch {
		case more == 0 && off < len(b):
			p.fail(bodyError(it, off, "%d bytes after the last proposal", len(b)-off))
			return
		case more != 0 && off >= len(b):
			p.fail(bodyError(it, off-length, "proposal announces another, none follows"))
			return
		}
	}
}

// transforms decodes count transforms of the proposal pb (at body offset
// base) starting at pb[off:]. It reports whether the proposal was well formed.
func (p *messageParser) transforms(it *PayloadIter, prop *Proposal, pb []byte, base, off, count int) bool {
	n := 0
	for off < len(pb) {
		if len(pb)-off < 8 {
			p.fail(bodyError(it, base+off, "transform header needs 8 bytes, %d remaining", len(pb)-off))
			return false
		}
		length := int(binary.BigEndian.Uint16(pb[off+2 : off+4]))
		if length < 8 || length > len(pb)-off {
			p.fail(bodyError(it, base+off, "transform length %d outside 8..%d", length, len(pb)-off))
			return false
		}
		tb := pb[off : off+length]
		var t Transform
		if p.version == 1 {
			t.Number = tb[4]
			t.ID = uint16(tb[5])
		} else {
			t.Type = TransformType(tb[4])
			t.ID = binary.BigEndian.Uint16(tb[6:8])
		}
		attrs, ok := p.attributes(it, tb, base+off, 8)
		t.Attributes = attrs
		prop.Transforms = append(prop.Transforms, t)
		n++
		if !ok {
			return false
		}
		off += length
		if tb[0] == 0 && off < len(pb) {
			p.fail(bodyError(it, base+off, "%d bytes after the last transform", len(pb)-off))
			return false
		}
	}
	if n != count {
		p.fail(bodyError(it, base+7, "proposal announces %d transforms, holds %d", count, n))
		return false
	}
	return true
}

// attributes decodes data attributes (RFC 2408 §3.3, RFC 7296 §3.3.5) in
// b[off:]: a 16-bit type whose top bit (AF) selects the TV form (a 16-bit
// value follows) or the TLV form (a 16-bit length and the value). base is
// the body offset of b, for errors.
func (p *messageParser) attributes(it *PayloadIter, b []byte, base, off int) ([]Attribute, bool) {
	var attrs []Attribute
	for off < len(b) {
		if len(b)-off < 4 {
			p.fail(bodyError(it, base+off, "attribute needs 4 bytes, %d remaining", len(b)-off))
			return attrs, false
		}
		typ := binary.BigEndian.Uint16(b[off : off+2])
		v := binary.BigEndian.Uint16(b[off+2 : off+4])
		if typ&0x8000 != 0 {
			attrs = append(attrs, Attribute{Type: typ & 0x7fff, Value: uint64(v)})
			off += 4
			continue
		}
		n := int(v)
		if n > len(b)-off-4 {
			p.fail(bodyError(it, base+off, "attribute %d length %d > %d remaining", typ, n, len(b)-off-4))
			return attrs, false
		}
		val := b[off+4 : off+4+n]
		a := Attribute{Type: typ}
		if n <= 8 {
			for _, c := range val {
				a.Value = a.Value<<8 | uint64(c)
			}
		} else {
			a.Data = p.own(val)
		}
		attrs = append(attrs, a)
		off += 4 + n
	}
	return attrs, true
}

// delete decodes a Delete payload from its Protocol-ID field at body offset
// off: IKEv1 has a 4-byte DOI before it (RFC 2408 §3.15), IKEv2 not
// (RFC 7296 §3.11).
func (p *messageParser) delete(it *PayloadIter, off int) {
	b := it.Body()
	d := Delete{Protocol: ProtocolID(b[off])}
	size := int(b[off+1])
	count := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
	spis := b[off+4:]
	if size*count != len(spis) {
		p.fail(bodyError(it, off+1, "%d SPIs of %d bytes do not fill %d bytes", count, size, len(spis)))
		return
	}
	if size > 0 && count > 0 {
		d.SPIs = make([][]byte, count)
		for i := range d.SPIs {
			d.SPIs[i] = p.own(spis[i*size : (i+1)*size])
		}
	}
	p.m.Deletes = append(p.m.Deletes, d)
}
