package decode

import (
	"testing"
)

// Tests of the payload hash (hash.go).

// TestPayloadHashVectors checks XXH64 against the reference implementation
// (xxhsum -H1 of the same input).
func TestPayloadHashVectors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"", 0xef46db3751d8e999},
		{"a", 0xd24ec4f1a98c6e5b},
		{"abc", 0x44bc2cf5ad770999},
		{"The quick brown fox jumps over the lazy dog, again and again", 0x0e5a538b07c90cee},
	} {
		if got := PayloadHash([]byte(tc.in)); got != tc.want {
			t.Errorf("PayloadHash(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}

// BenchmarkPayloadHash hashes a payload of a full-size ESP packet.
func BenchmarkPayloadHash(b *testing.B) {
	p := make([]byte, 1400)
	for i := range p {
		p[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		PayloadHash(p)
	}
}
