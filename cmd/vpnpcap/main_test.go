package main

import (
	"os"
	"testing"
)

// TestMain runs the tests without the environment that shapes the text
// report (COLUMNS sets its width, NO_COLOR draws ladders in ASCII), so
// that the golden files are the same wherever the tests run; the tests of
// those settings set them themselves.
func TestMain(m *testing.M) {
	os.Unsetenv("COLUMNS")
	os.Unsetenv("NO_COLOR")
	os.Exit(m.Run())
}
