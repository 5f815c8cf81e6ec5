package report

import (
	"io"
	"testing"
)

func BenchmarkJSONStream(b *testing.B) {
	c := fixture()
	r := single(c, fixtureFindings(c), Options{Detail: true}).Checks[0].Detail
	one := r.Tunnels[0]
	for len(r.Tunnels) < 10_000 {
		r.Tunnels = append(r.Tunnels, one)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := writeJSONStream(io.Discard, r, false, reportTypes...); err != nil {
			b.Fatal(err)
		}
	}
}
