package dbgtmp

import (
	"os"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

func TestProf(t *testing.T) {
	a := flows.Analyze(flows.File(os.Getenv("F")), decode.Options{KeepOther: true}, flows.Options{})
	c := rules.NewContext(a, nil)
	f := rules.Run(c)
	rules.Verdicts(c, f)
}
