package rules

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strings"
	"time"
)

// Config configures the rules: which are off, severity overrides,
// thresholds, and suppressions. The zero value is not ready: use
// DefaultConfig or LoadConfig.
type Config struct {
	// Disabled lists rule IDs or slugs that do not run.
	Disabled []string `json:"disabled,omitempty"`
	// Severity overrides a rule's default severity, by ID or slug.
	Severity map[string]Severity `json:"severity,omitempty"`
	// MinConfidence drops findings below it.
	MinConfidence Confidence `json:"-"`
	// Thresholds.
	Thresholds Thresholds `json:"thresholds"`
	// Suppress accepts findings of a rule on captures matching a glob.
	Suppress []Suppression `json:"suppress,omitempty"`
}

// Thresholds are the numbers rules compare against.
type Thresholds struct {
	// NATUDPTimeout is how long the NAT keeps an idle UDP mapping. Home
	// routers and many firewalls expire UDP mappings after 30 to 120
	// seconds; 30 s is the cautious default.
	NATUDPTimeout Duration `json:"nat_udp_timeout"`
	// KeepaliveInterval is the NAT-T keepalive interval implementations
	// default to (RFC 3948 §4: 20 s in strongSwan, libreswan, racoon).
	KeepaliveInterval Duration `json:"keepalive_interval"`
	// MinRetransmissions is how many retransmissions of an unanswered
	// request make it a failure rather than a slow peer.
	MinRetransmissions int `json:"min_retransmissions"`
	// ESPGapPackets is how many missing ESP sequence numbers are worth a
	// finding in a single capture.
	ESPGapPackets int `json:"esp_gap_packets"`
	// ESPRepeatedPackets is how many ESP packets at or below the highest
	// sequence number already seen (duplicates, reordering) are worth a
	// finding.
	ESPRepeatedPackets int `json:"esp_repeated_packets"`
	// OneWayPackets is how many ESP or PPTP GRE packets in one direction,
	// with none in the other, make a flow one-way rather than just
	// starting: pppd sends an LCP Configure-Request every 3 s, so five take
	// twelve seconds unanswered.
	OneWayPackets int `json:"one_way_packets"`
	// GREGapPackets is how many missing or repeated enhanced-GRE sequence
	// numbers of a PPTP call are worth a finding.
	GREGapPackets int `json:"gre_gap_packets"`
	// MaxSkew is the largest clock drift, in parts per million, that is
	// plausible between two capture hosts.
	MaxSkewPPM float64 `json:"max_skew_ppm"`
	// LargeIKEMessage is the IKE message length, in octets, from which a
	// message risks IP fragmentation on common paths: strongSwan's default
	// fragment_size and the IPv6 minimum MTU (RFC 8200 §5) are 1280, and
	// PPPoE, DS-Lite and other tunnels leave less than 1500.
	LargeIKEMessage int `json:"large_ike_message"`
}

// Suppression accepts the findings of one rule on the captures whose path
// matches a glob (path.Match syntax; "" matches all).
type Suppression struct {
	Rule    string `json:"rule"`
	Capture string `json:"capture,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Duration is a time.Duration that reads and writes as "30s".
type Duration time.Duration

// MarshalText writes the duration as Go does ("30s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a Go duration ("30s", "2m").
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	*d = Duration(v)
	return nil
}

// DefaultConfig returns the defaults.
func DefaultConfig() *Config {
	return &Config{
		Severity: map[string]Severity{},
		Thresholds: Thresholds{
			NATUDPTimeout:      Duration(30 * time.Second),
			KeepaliveInterval:  Duration(20 * time.Second),
			MinRetransmissions: 2,
			ESPGapPackets:      1,
			ESPRepeatedPackets: 1,
			OneWayPackets:      5,
			GREGapPackets:      1,
			MaxSkewPPM:         500,
			LargeIKEMessage:    1280,
		},
	}
}

// LoadConfig reads a JSON config file over the defaults.
func LoadConfig(file string) (*Config, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("rules: config: %w", err)
	}
	c := DefaultConfig()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("rules: config %s: %w", file, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("rules: config %s: %w", file, err)
	}
	return c, nil
}

// Validate checks that every rule named exists.
func (c *Config) Validate() error {
	known := func(name string) bool { return Lookup(name) != nil }
	for _, d := range c.Disabled {
		if !known(d) {
			return fmt.Errorf("disabled: unknown rule %q", d)
		}
	}
	for r := range c.Severity {
		if !known(r) {
			return fmt.Errorf("severity: unknown rule %q", r)
		}
	}
	for _, s := range c.Suppress {
		if !known(s.Rule) {
			return fmt.Errorf("suppress: unknown rule %q", s.Rule)
		}
		if _, err := path.Match(s.Capture, ""); err != nil {
			return fmt.Errorf("suppress: capture glob %q: %w", s.Capture, err)
		}
	}
	return nil
}

func (c *Config) enabled(m Meta) bool {
	for _, d := range c.Disabled {
		if strings.EqualFold(d, m.ID) || d == m.Slug {
			return false
		}
	}
	return true
}

func (c *Config) severity(m Meta) (sev Severity, configured bool) {
	if s, ok := c.Severity[m.ID]; ok {
		return s, true
	}
	if s, ok := c.Severity[m.Slug]; ok {
		return s, true
	}
	return m.Severity, false
}

// Suppressed reports whether a finding is accepted by a suppression.
func (c *Config) Suppressed(f Finding) bool {
	for _, s := range c.Suppress {
		if !strings.EqualFold(s.Rule, f.RuleID) && s.Rule != f.Slug {
			continue
		}
		if s.Capture == "" {
			return true
		}
		for _, e := range f.Evidence {
			if ok, _ := path.Match(s.Capture, e.Capture); ok {
				return true
			}
		}
	}
	return false
}
