package decode

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Layer: "ike", Field: `payload "Notify"`, Offset: 48, Err: errors.New("length 3 < 4")}, `ike: payload "Notify" at offset 48: length 3 < 4`},
		{&Error{Layer: "ike", Offset: 0, Err: ErrTruncated}, "ike: at offset 0: truncated"},
		{&Error{Layer: "gre", Field: "header", Offset: -1, Err: ErrTruncated}, "gre: header: truncated"},
		{&Error{Layer: "esp", Field: "spi", Offset: 4}, "esp: spi at offset 4"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestErrorUnwrap(t *testing.T) {
	err := fmt.Errorf("reading frame 7: %w", &Error{Layer: "ike", Field: "message", Offset: 60, Err: fmt.Errorf("%w: 60 of 84 bytes captured", ErrTruncated)})
	if !errors.Is(err, ErrTruncated) {
		t.Errorf("errors.Is(%v, ErrTruncated) = false, want true", err)
	}
	var de *Error
	if !errors.As(err, &de) || de.Offset != 60 || de.Field != "message" {
		t.Errorf("errors.As(%v) = %+v, want the ike message error", err, de)
	}
	if errors.Is(&Error{Layer: "ike", Err: errors.New("other")}, ErrTruncated) {
		t.Errorf("errors.Is(unrelated, ErrTruncated) = true, want false")
	}
}
