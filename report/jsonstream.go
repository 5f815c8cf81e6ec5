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
// tests compare them — but walks structs and slices itself and hands
// encoding/json one leaf value or one slice element at a time, so that
// what is held at once is the largest element, not the document.

// writeJSONStream writes v as indented JSON followed by a newline.
func writeJSONStream(w io.Writer, v any, escapeHTML bool) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	s := &jsonStream{w: bw, escapeHTML: escapeHTML}
	s.value(reflect.ValueOf(v), "")
	if s.err == nil {
		s.write("\n")
	}
	if s.err != nil {
		return s.err
	}
	return bw.Flush()
}

type jsonStream struct {
	w          *bufio.Writer
	escapeHTML bool
	err        error
	buf        bytes.Buffer
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

// leaf reports whether encoding/json should write the value whole: it
// marshals itself, or it is not a struct or a slice of something that
// could be large.
func leaf(t reflect.Type) bool {
	if t.Implements(jsonMarshaler) || t.Implements(textMarshaler) ||
		reflect.PointerTo(t).Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return true
	}
	switch t.Kind() {
	case reflect.Struct:
		return false
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8 // []byte is base64
	}
	return true
}

// value writes v, whose first line is already indented to indent.
func (s *jsonStream) value(v reflect.Value, indent string) {
	if s.err != nil {
		return
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			s.write("null")
			return
		}
		if v.Kind() == reflect.Pointer && leaf(v.Type()) {
			break
		}
		v = v.Elem()
	}
	switch {
	case leaf(v.Type()):
		s.leafValue(v, indent)
	case v.Kind() == reflect.Slice:
		s.slice(v, indent)
	default:
		s.object(v, indent)
	}
}

func (s *jsonStream) leafValue(v reflect.Value, indent string) {
	s.buf.Reset()
	enc := json.NewEncoder(&s.buf)
	enc.SetEscapeHTML(s.escapeHTML)
	enc.SetIndent(indent, "  ")
	if err := enc.Encode(v.Interface()); err != nil {
		s.err = err
		return
	}
	s.write(strings.TrimSuffix(s.buf.String(), "\n"))
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
		if sf.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for _, f := range jsonFields(ft) {
					f.index = append([]int{i}, f.index...)
					out = append(out, f)
				}
				continue
			}
		}
		if !sf.IsExported() {
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
