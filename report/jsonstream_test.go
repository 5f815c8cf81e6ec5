package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

type streamInner struct {
	A string `json:"a"`
	B []int  `json:"b,omitempty"`
}

type streamEmbedded struct {
	E int `json:"e"`
}

type streamOuter struct {
	streamEmbedded
	*streamInner `json:"inner_ptr,omitempty"`
	Name         string            `json:"name"`
	HTML         string            `json:"html"`
	Nil          *streamInner      `json:"nil"`
	NilOmit      *streamInner      `json:"nil_omit,omitempty"`
	Empty        []streamInner     `json:"empty"`
	NilSlice     []streamInner     `json:"nil_slice"`
	Items        []streamInner     `json:"items"`
	Ptrs         []*streamInner    `json:"ptrs"`
	Map          map[string]int    `json:"map"`
	Bytes        []byte            `json:"bytes"`
	When         time.Time         `json:"when"`
	Any          any               `json:"any"`
	Nested       [][]streamInner   `json:"nested"`
	NoFields     struct{}          `json:"no_fields"`
	AllOmitted   streamInner       `json:"all_omitted"`
	Skipped      string            `json:"-"`
	Untagged     int               //nolint: the field's own name
	unexported   int               // never written
	Objects      map[string]*Check `json:"objects,omitempty"`
	ZeroOmit     int               `json:"zero_omit,omitempty"`
	FalseOmit    bool              `json:"false_omit,omitempty"`
	Interface    any               `json:"interface,omitempty"`
	StringsSlice []string          `json:"strings_slice"`
}

func encodingJSON(t *testing.T, v any, escapeHTML bool) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestJSONStreamAsEncodingJSON: the streaming writer gives encoding/json's
// bytes, for every shape the report types use and some they may come to.
func TestJSONStreamAsEncodingJSON(t *testing.T) {
	v := &streamOuter{
		streamEmbedded: streamEmbedded{E: 7},
		streamInner:    &streamInner{A: "promoted"},
		Name:           "tunnel \x1b[31m1\n", HTML: "<a & b>",
		Empty:    []streamInner{},
		Items:    []streamInner{{A: "x", B: []int{1, 2}}, {A: "y"}},
		Ptrs:     []*streamInner{nil, {A: "p"}},
		Map:      map[string]int{"z": 1, "a": 2},
		Bytes:    []byte{0, 1, 2, 255},
		When:     time.Date(2026, 3, 14, 9, 0, 0, 5, time.UTC),
		Any:      []any{1, "two", map[string]any{"k": []int{}}},
		Nested:   [][]streamInner{{{A: "n"}}, {}},
		Untagged: 3, unexported: 4,
		StringsSlice: []string{"a", "b"},
	}
	for _, escape := range []bool{false, true} {
		var got bytes.Buffer
		if err := writeJSONStream(&got, v, escape, reflect.TypeFor[streamOuter](), reflect.TypeFor[streamInner]()); err != nil {
			t.Fatal(err)
		}
		if want := encodingJSON(t, v, escape); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("escapeHTML %v:\n%s\nwant:\n%s", escape, got.Bytes(), want)
		}
	}
	var got bytes.Buffer
	if err := writeJSONStream(&got, (*streamOuter)(nil), false, reflect.TypeFor[streamOuter]()); err != nil || got.String() != "null\n" {
		t.Errorf("nil: %q, %v", got.String(), err)
	}
}

// TestJSONStreamReports: the reports of the test fixture, as check and as
// analyze write them, stream to encoding/json's bytes.
func TestJSONStreamReports(t *testing.T) {
	c := fixture()
	b := single(c, fixtureFindings(c), Options{Detail: true})
	for name, v := range map[string]any{"batch": b, "report": b.Checks[0].Detail} {
		var got bytes.Buffer
		if err := writeJSONStream(&got, v, false, reportTypes...); err != nil {
			t.Fatal(err)
		}
		if want := encodingJSON(t, v, false); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: the stream differs from encoding/json", name)
		}
	}
}

// TestJSONStreamHoldsOneElement: a report of many tunnels is written
// without ever holding more than a tunnel's JSON.
func TestJSONStreamHoldsOneElement(t *testing.T) {
	c := fixture()
	r := single(c, fixtureFindings(c), Options{Detail: true}).Checks[0].Detail
	one := r.Tunnels[0]
	for len(r.Tunnels) < 20_000 {
		r.Tunnels = append(r.Tunnels, one)
	}
	var out bytes.Buffer
	s, err := streamJSON(&out, r, false, reportTypes...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), encodingJSON(t, r, false)) {
		t.Fatal("the stream differs from encoding/json")
	}
	if held := s.buf.Cap(); held > out.Len()/1000 {
		t.Errorf("held %d bytes at once for a %d-byte document", held, out.Len())
	}
}
