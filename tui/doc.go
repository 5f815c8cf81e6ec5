// Package tui is vpnpcap's terminal UI: browse the tunnels, PPTP calls and
// flows of one capture, or of two taken on both sides of a NAT, their packets side by
// side with what crossed and what was lost, the ladder of what crossed the
// NAT as the reports draw it, each packet's decode tree and bytes, and the
// findings with their evidence.
//
// # Toolkit
//
// The UI is built on github.com/gdamore/tcell/v2 with github.com/rivo/tview
// for the application, its focus and event loop, pages, text views and
// input fields. The lists and the decode tree are drawn by the UI itself
// (grid, detailView), because what they need tview's Table and TreeView do
// not give: sideways scrolling with "…" wherever text is cut, marks of
// open and closed nodes, two trees lined up side by side. A grid pulls the
// rows it draws by index, so a capture with a million packets never
// becomes a million widgets. tcell v2's SimulationScreen renders the UI to
// cells in tests, which compare the text with golden screens
// (testdata/*.golden, rewritten with -update).
//
// # Contracts
//
// Each pane is a [View]: a tview.Primitive (Draw, SetRect, InputHandler,
// MouseHandler, Focus, Blur) plus Do, which performs a keymap action. The
// keymap is data ([]binding{key, action, help}): one slice dispatches keys
// and writes the help overlay.
//
// There is one UI goroutine, tview's. Decoding, flow building, correlation,
// rules, re-reading captures for a tunnel's packets or a frame's bytes and
// writing exports run on other goroutines, which never touch the views:
// they post their results to the UI goroutine (QueueUpdateDraw) and stop
// when their context is cancelled (on quit, or when a newer selection
// supersedes them).
//
// State lives in the App; the package has no mutable package-level state.
// The terminal is restored on every way out: a panic on the UI goroutine or
// in background work stops the application (finalising the screen) before
// it is raised again.
//
// With NO_COLOR set (https://no-color.org) the UI draws in the terminal's
// own colours and tells things apart by bold, underline and reverse only.
package tui
