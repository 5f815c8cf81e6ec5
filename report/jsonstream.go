package report

import (
	"bufio"
	"bytes"
	"encoding"
	"encoding/json"
	"io"
	"reflect"
	"strings"
)

// A report of a capture with a million tunnels is tens of megabytes of
// JSON. encoding/json builds the whole document in memory before it writes
// a byte, which at that size costs more than the analysis. writeJSONStream
// writes the same bytes as a json.Encoder with SetIndent("", "  ") — the
// tests compare them — but walks the containers of a document itself (the
// types of streamed: a batch, a check, a report, a SARIF log and run) and
// hands encoding/json one field or one list element at a time, so that
// what is held at once is the largest element — a tunnel, a finding —
// not the document.

// writeJSONStream writes v as indented JSON followed by a newline. streamed
// lists the struct types it walks; others are written whole.
func writeJSONStream(w io.Writer, v any, escapeHTML bool, streamed ...reflect.Type) error {
	_, err := streamJSON(w, v, escapeHTML, streamed...)
	return err
}

// streamJSON is writeJSONStream, returning the stream for tests to see
// how much it held at once.
func streamJSON(w io.Writer, v any, escapeHTML bool, streamed ...reflect.Type) (*jsonStream, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	s := &jsonStream{w: bw, escapeHTML: escapeHTML, streamed: map[reflect.Type]bool{}}
	for _, t := range streamed {
		s.streamed[t] = true
	}
	s.value(reflect.ValueOf(v), "")
	if s.err == nil {
		s.write("\n")
	}
	if s.err != nil {
		return s, s.err
	}
	return s, bw.Flush()
}

type jsonStream struct {
	w          *bufio.Writer
	escapeHTML bool
	err        error
	buf        bytes.Buffer
	// encoders write leaves into buf, one per indentation: an encoder
	// reuses its buffers from value to value.
	encoders map[string]*json.Encoder
	streamed map[reflect.Type]bool
}

func (s *jsonStream) write(text string) {
	if s.err == nil {
		_, s.err = s.w.WriteString(text)
	}
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshals reports whether encoding/json writes v by its own MarshalJSON
// or MarshalText (a pointer receiver's only when v is addressable, as
// encoding/json does).
func marshals(v reflect.Value) bool {
	t := v.Type()
	if t.Implements(jsonMarshaler) || t.Implements(textMarshaler) {
		return true
	}
	return v.CanAddr() && (reflect.PointerTo(t).Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(textMarshaler))
}

// value writes v, whose first line is already indented to indent: a
// struct of a streamed type field by field, a slice of structs element by
// element, anything else whole, by encoding/json.
func (s *jsonStream) value(v reflect.Value, indent string) {
	if s.err != nil {
		return
	}
	for (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !marshals(v) {
		if v.IsNil() {
			s.write("null")
			return
		}
		v = v.Elem()
	}
	switch {
	case marshals(v):
		s.leafValue(v, indent)
	case v.Kind() == reflect.Struct && s.streamed[v.Type()]:
		s.object(v, indent)
	case v.Kind() == reflect.Slice && s.listOfStructs(v.Type()):
		s.slice(v, indent)
	default:
		s.leafValue(v, indent)
	}
}

// listOfStructs reports whether t is a slice of structs or of pointers to
// them: a list that may be long.
func (s *jsonStream) listOfStructs(t reflect.Type) bool {
	e := t.Elem()
	if e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	return e.Kind() == reflect.Struct
}

func (s *jsonStream) leafValue(v reflect.Value, indent string) {
	switch v.Kind() {
	case reflect.Map, reflect.Array, reflect.Slice, reflect.Struct, reflect.Interface, reflect.Pointer:
	default:
		indent = "" // a scalar spans one line: no indentation to apply
	}
	enc := s.encoders[indent]
	if enc == nil {
		if s.encoders == nil {
			s.encoders = map[string]*json.Encoder{}
		}
		enc = json.NewEncoder(&s.buf)
		enc.SetEscapeHTML(s.escapeHTML)
		if indent != "" {
			enc.SetIndent(indent, "  ")
		}
		s.encoders[indent] = enc
	}
	s.buf.Reset()
	x := v.Interface()
	if v.CanAddr() && v.Kind() != reflect.Pointer {
		x = v.Addr().Interface() // as encoding/json sees an addressable value
	}
	if err := enc.Encode(x); err != nil {
		s.err = err
		return
	}
	b := s.buf.Bytes()
	if s.err == nil {
		_, s.err = s.w.Write(b[:len(b)-1]) // without Encode's newline
	}
}

func (s *jsonStream) slice(v reflect.Value, indent string) {
	if v.IsNil() {
		s.write("null")
		return
	}
	if v.Len() == 0 {
		s.write("[]")
		return
	}
	inner := indent + "  "
	s.write("[")
	for i := range v.Len() {
		if i > 0 {
			s.write(",")
		}
		s.write("\n" + inner)
		s.value(v.Index(i), inner)
	}
	s.write("\n" + indent + "]")
}

func (s *jsonStream) object(v reflect.Value, indent string) {
	inner := indent + "  "
	n := 0
	for _, f := range jsonFields(v.Type()) {
		fv, ok := fieldByIndex(v, f.index)
		if !ok || f.omitEmpty && emptyJSON(fv) {
			continue
		}
		if n == 0 {
			s.write("{")
		} else {
			s.write(",")
		}
		n++
		name, _ := json.Marshal(f.name)
		s.write("\n" + inner + string(name) + ": ")
		s.value(fv, inner)
	}
	if n == 0 {
		s.write("{}")
		return
	}
	s.write("\n" + indent + "}")
}

type jsonField struct {
	name      string
	index     []int
	omitEmpty bool
}

// jsonFields lists a struct's fields as encoding/json names them, in its
// order, embedded structs' fields in their place. Report types do not
// give two fields one name, which encoding/json would resolve by depth.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if sf.Anonymous && name == "" {
			if ft.Kind() == reflect.Struct {
				for _, f := range jsonFields(ft) {
					f.index = append([]int{i}, f.index...)
					out = append(out, f)
				}
				continue
			}
		}
		if !sf.IsExported() && !(sf.Anonymous && ft.Kind() == reflect.Struct) {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, jsonField{name: name, index: []int{i}, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
	}
	return out
}

// fieldByIndex is reflect.Value.FieldByIndex that reports a nil embedded
// pointer instead of panicking.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// emptyJSON is encoding/json's test for omitempty.
func emptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
