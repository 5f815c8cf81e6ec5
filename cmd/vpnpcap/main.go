// Command vpnpcap inspects VPN traffic in packet captures: IKE, ESP, NAT-T,
// GRE and PPTP, on one or both sides of a NAT.
package main

import (
	"context"
	"os"
)

func main() {
	stop := startProfiles(os.Stderr)
	code := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
