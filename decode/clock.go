package decode

import "time"

// Clock describes the time stamps of a capture's frames, in file order: are
// they usable to order packets and measure intervals? A capture merged from
// several (mergecap -a, cat of pcap bodies, a tool that rewrote the file)
// can have time run backwards; a capture written by a test harness or a
// tool that does not record time (tcpdump's test captures, some
// converters) carries one time stamp, often the epoch, on every frame.
// Wireshark keeps file order for frame numbers either way; so does
// vpnpcap.
type Clock struct {
	// Stamped counts the frames with a time stamp, Unstamped those without
	// (a pcapng simple packet block has none).
	Stamped, Unstamped int
	// First is the first time stamp, the zero Time when none.
	First time.Time
	// Varies is set when two time stamps differ.
	Varies bool
	// Backward counts the frames whose time stamp is earlier than that of
	// the stamped frame before them; FirstBackwardFrame is the first such
	// frame, LargestBackward the largest step back and
	// LargestBackwardFrame the frame where it happens.
	Backward             int
	FirstBackwardFrame   int
	LargestBackward      time.Duration
	LargestBackwardFrame int
	// Fine is set when two consecutive frames are stamped less than
	// DuplicateWindow apart, but not at the same instant: the clock ticks
	// finely enough to tell a copy of a frame from a frame sent again.
	Fine bool

	prev, first int64 // Unix nanoseconds, compared on every frame
}

// Note records the time stamp of a frame; frames come in file order. A zero
// t is a frame without a time stamp. Note runs for every frame, so it
// compares nanosecond counts rather than time.Time values.
func (c *Clock) Note(frame int, t time.Time) {
	if t.IsZero() {
		c.Unstamped++
		return
	}
	ns := t.UnixNano()
	c.Stamped++
	if c.Stamped == 1 {
		c.First, c.first, c.prev = t, ns, ns
		return
	}
	if ns != c.first {
		c.Varies = true
	}
	d := time.Duration(ns - c.prev)
	if d < 0 {
		c.Backward++
		if c.FirstBackwardFrame == 0 {
			c.FirstBackwardFrame = frame
		}
		if -d > c.LargestBackward {
			c.LargestBackward, c.LargestBackwardFrame = -d, frame
		}
	}
	if d != 0 && d.Abs() <= DuplicateWindow {
		c.Fine = true
	}
	c.prev = ns
}

// Unusable reports whether the time stamps cannot order packets or measure
// anything: the capture has more than one frame, and all its time stamps
// are the same, or it has at most one.
func (c *Clock) Unusable() bool { return c.Stamped+c.Unstamped > 1 && !c.Varies }

// AtEpoch reports whether the first time stamp is the Unix epoch
// (1970-01-01 00:00:00 UTC), which a capture shows when its writer did not
// record time at all.
func (c *Clock) AtEpoch() bool {
	return c.Stamped > 0 && c.First.Unix() == 0 && c.First.Nanosecond() == 0
}

// RunsBackward reports whether the time stamps go backwards somewhere.
func (c *Clock) RunsBackward() bool { return c.Backward > 0 }
