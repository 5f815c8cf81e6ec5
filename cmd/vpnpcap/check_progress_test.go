package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestProgressDraw: the bar shows the share read of files of known size,
// and only the bytes read when a capture is a stream, whose size is not
// known until it ends.
func TestProgressDraw(t *testing.T) {
	for _, tc := range []struct {
		name     string
		units    []checkUnit
		read     int64
		want     []string
		unwanted string
	}{
		{"files", []checkUnit{{name: "a", paths: []string{"a"}, size: 4 << 20}}, 1 << 20, []string{"checking 0/1 [", " 25% 1.0 MiB/4.0 MiB"}, "read"},
		{"stream", []checkUnit{{name: "-", paths: []string{"-"}, size: 64 << 10, streamed: true}}, 3 << 20, []string{"checking 0/1, 3.0 MiB read"}, "%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			p := progressOf(&out, tc.units, false)
			p.read.Store(tc.read)
			p.draw()
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("bar %q lacks %q", out.String(), w)
				}
			}
			if strings.Contains(out.String(), tc.unwanted) {
				t.Errorf("bar %q has %q", out.String(), tc.unwanted)
			}
		})
	}
}
