package main

import (
	"bytes"
	"context"
	"testing"
)

// testEnv is the environment of a command run in-process, its output
// discarded.
func testEnv(t *testing.T, name string) *env {
	t.Helper()
	c := lookupCommand(name)
	if c == nil {
		t.Fatalf("no command %s", name)
	}
	var out, errb bytes.Buffer
	return &env{ctx: context.Background(), cmd: c, fs: c.flagSet(), stdin: &bytes.Buffer{}, stdout: &out, stderr: &errb}
}

// testInputs returns inputs read with no standard input, closed when the
// test ends.
func testInputs(t *testing.T) *inputs {
	t.Helper()
	ins := newInputs(testEnv(t, "check"), defaultFIFOTimeout)
	t.Cleanup(ins.close)
	return ins
}
