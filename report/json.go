package report

import (
	"io"
	"reflect"
	"sort"
)

// WriteJSON writes the report as indented JSON, as it goes (see
// writeJSONStream).
func WriteJSON(w io.Writer, r *Report) error {
	return writeJSONStream(w, r.listed(), false, reportTypes...)
}

// reportTypes are the containers of a report and a batch, which JSON
// writers walk rather than marshal whole.
var reportTypes = []reflect.Type{reflect.TypeFor[Report](), reflect.TypeFor[Batch](), reflect.TypeFor[Check]()}

func sortStrings(s []string) { sort.Strings(s) }
