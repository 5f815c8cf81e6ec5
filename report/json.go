package report

import (
	"io"
	"sort"
)

// WriteJSON writes the report as indented JSON, as it goes (see
// writeJSONStream).
func WriteJSON(w io.Writer, r *Report) error { return writeJSONStream(w, r, false) }

func sortStrings(s []string) { sort.Strings(s) }
