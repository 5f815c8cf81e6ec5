// Package report renders vpnpcap's results: decoded packets for `dump`, and
// analysis reports as text, JSON, SARIF 2.1.0 and JUnit XML.
package report
