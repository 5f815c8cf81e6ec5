package rules

import "github.com/vpnpcap/vpnpcap/flows"

// This file holds how rules pick the frames a finding shows as evidence.
// Context.Evidence turns the frames of one side into evidence.

// evidenceFromBoth builds the evidence of a finding from frames of the
// inside capture and of the outside one (ignored with one capture).
func evidenceFromBoth(c *Context, in, out []int) []Evidence {
	ev := c.Evidence(flows.SideInside, in...)
	if c.Two() {
		ev = append(ev, c.Evidence(flows.SideOutside, out...)...)
	}
	return ev
}

// addSideFrames adds frames of one side to the (inside, outside) pair
// evidenceFromBoth takes.
func addSideFrames(s flows.Side, frames []int, in, out *[]int) {
	if s == flows.SideInside {
		*in = append(*in, frames...)
	} else {
		*out = append(*out, frames...)
	}
}

// firstFrames returns at most n frames from the front of a list, so that
// neither evidence nor a message grows with the capture.
func firstFrames(frames []int, n int) []int {
	if len(frames) > n {
		return frames[:n]
	}
	return frames
}

// firstSAFrames returns the first n frames of each of a tunnel's SAs that
// match keep.
func firstSAFrames(t *flows.Tunnel, n int, keep func(*flows.ESPSA) bool) []int {
	if t == nil {
		return nil
	}
	var out []int
	for _, sa := range t.ESPSAs {
		if keep(sa) {
			out = append(out, firstFrames(sa.Frames.List(), n)...)
		}
	}
	return out
}

// firstIKEFrames returns a tunnel's first n IKE frames (IKE_SA_INIT or
// MM1/MM2 come first).
func firstIKEFrames(t *flows.Tunnel, n int) []int {
	if t == nil {
		return nil
	}
	return firstFrames(t.Frames.List(), n)
}
