package flows

import "unsafe"

// DefaultMaxMemory is the default bound of the bytes one capture's
// analysis keeps (Options.MaxMemory): a concentrator's busy hour fits, a
// flood does not grow past it.
const DefaultMaxMemory = 256 << 20

// What each kept object costs, as the bound counts it: the struct, its
// share of the maps and lists that hold it, and for a tunnel, which sees
// more than two IKE messages, the rest of their frame sample (Frames keeps
// two inline; flows and SAs keep InlineFrames). A tunnel also starts a
// path of its traffic (NATTrace.Paths) with its first message, and the
// list of them. The map entry and list slot of a flow or an SA take about
// 120 bytes, as the live heap measures them (internal/hostile's
// TestTableKeepsToItsBound).
//
// A tunnel kept also costs the process what the analysis makes of it once
// the capture is read, however small the table keeps it: its view across
// the captures and its NAT assessment (about 450 bytes), its verdict and
// findings (about 600), as measured on a capture of a million IKE SAs; an
// SA, its place in the ESP groups and the data plane's views (about 150).
// They are counted in their costs, so that the rest of --max-memory holds
// the report of as many as the table kept.
const (
	frameSampleCost = int64(unsafe.Sizeof(frameSample{}))
	flowCost        = int64(unsafe.Sizeof(Flow{})) + 128
	otherCost       = 48 // a summarised conversation: its key and direction bits in a map
	saViewCost      = 160
	saCost          = int64(unsafe.Sizeof(ESPSA{})) + 128 + saViewCost
	pathCost        = int64(unsafe.Sizeof(Path{})) + 64
	tunnelViewCost  = 1024
	tunnelCost      = int64(unsafe.Sizeof(Tunnel{})) + 256 + frameSampleCost + pathCost + tunnelViewCost
	exchangeCost    = int64(unsafe.Sizeof(Exchange{})) + 64
)

// Budget is the memory bound of a table: the bytes its flows,
// conversations, SAs, tunnels and exchanges may take, as estimated by
// their costs, and what it did not keep for want of room.
type Budget struct {
	Limit, Used int64
	// NotKept counts the objects not kept for want of room, FirstFrame the
	// frame that would have made the first of them.
	NotKept    int
	FirstFrame int
}

// take reserves cost bytes for an object made at frame, and says whether
// there was room.
func (b *Budget) take(cost int64, frame int) bool {
	if b.Used+cost <= b.Limit {
		b.Used += cost
		return true
	}
	if b.NotKept == 0 {
		b.FirstFrame = frame
	}
	b.NotKept++
	return false
}

// Exceeded reports whether the bound left something out.
func (b *Budget) Exceeded() bool { return b.NotKept > 0 }
