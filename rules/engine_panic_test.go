package rules

import (
	"strings"
	"testing"
)

// The rules run on goroutines of their own; a rule's panic (here, on a
// context without a config) goes on in Run's caller, where it can be
// recovered, with the rule goroutine's stack.
func TestRunPanicReachesTheCaller(t *testing.T) {
	defer func() {
		err, _ := recover().(error)
		if err == nil || !strings.HasPrefix(err.Error(), "rules: ") || !strings.Contains(err.Error(), "goroutine") {
			t.Errorf("recovered %v, want a rule's panic with its stack", err)
		}
	}()
	Run(&Context{})
	t.Error("Run returned")
}
