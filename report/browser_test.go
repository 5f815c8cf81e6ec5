package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
	"github.com/vpnpcap/vpnpcap/report"
)

// chromiumFlags run Debian's chromium headless on a machine without a
// display or a network: no sandbox (tests may run as root), no GPU, and
// none of the background fetches that would wait for a network that is
// not there.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--enable-logging=stderr", "--v=0",
}

// chromium returns the browser's path, or skips the test (fails it under
// CI, whose .ci/run installs chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (.ci/run installs it)")
	}
	t.Skip("chromium is not installed; skipping the HTML report's test in a browser")
	return ""
}

// runChromium runs the browser on a page with a fresh profile and returns
// its stdout and the console messages the page logged.
func runChromium(t *testing.T, bin, page string, args ...string) (string, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	all := append(append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir()), args...)
	cmd := exec.CommandContext(ctx, bin, append(all, "file://"+page)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, errb.String())
	}
	var console []string
	for _, line := range strings.Split(errb.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") {
			console = append(console, line)
		}
	}
	return out.String(), console
}

// probe is a script put at the head of a copy of the page: it records
// errors the page raises, and once it is loaded writes what the test
// measures into the DOM, which --dump-dom prints.
const probe = `<script>
window.vpnpcapErrors = [];
window.addEventListener('error', function (e) { window.vpnpcapErrors.push(String(e.message)); });
window.addEventListener('load', function () {
  var svgs = Array.prototype.map.call(document.querySelectorAll('svg.ladder'), function (s) {
    var r = s.getBoundingClientRect();
    return {width: Math.round(r.width), height: Math.round(r.height), arrows: s.querySelectorAll('line.arrow').length, marks: s.querySelectorAll('text.mark').length};
  });
  var shown = function (sel) {
    return Array.prototype.filter.call(document.querySelectorAll(sel), function (e) { return e.offsetHeight > 0; }).length;
  };
  var pre = document.createElement('pre');
  pre.id = 'vpnpcap-probe';
  pre.textContent = JSON.stringify({errors: window.vpnpcapErrors, svgs: svgs, title: document.title,
    details: shown('details'), printed: shown('.print-only')});
  document.body.appendChild(pre);
});
</script>`

var probeOut = regexp.MustCompile(`<pre id="vpnpcap-probe">(.*?)</pre>`)

// TestHTMLInChromium opens the HTML report of a failing tunnel (the sample
// natt-port-blocked) in headless Chromium: the page loads without console
// errors, its ladder is an SVG of the size it declares with an arrow per
// row and the lost ones marked, its explanations are folded on screen and
// unfolded on paper, it prints to PDF, and its screenshot is not blank:
// many colours, text and lines over a white page, the failure's red among
// them.
// With -update the screenshot goes to docs/html-report.png, where the
// README shows it.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	b := analyse(t, filepath.Join(corpus.RepoRoot(), "samples", "natt-port-blocked"), "samples/natt-port-blocked")
	var page bytes.Buffer
	if err := report.WriteHTML(&page, b); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	withProbe := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(withProbe, bytes.Replace(page.Bytes(), []byte("<head>"), []byte("<head>\n"+probe), 1), 0o644); err != nil {
		t.Fatal(err)
	}

	got := probePage(t, bin, withProbe)
	if len(got.Errors) > 0 {
		t.Errorf("the page raised errors: %q", got.Errors)
	}
	if got.Title != "vpnpcap report: samples/natt-port-blocked" {
		t.Errorf("title %q", got.Title)
	}
	ladders := b.Checks[0].Detail.Ladders
	if len(got.SVGs) != len(ladders) || len(ladders) == 0 {
		t.Fatalf("%d SVG ladders on the page, want %d", len(got.SVGs), len(ladders))
	}
	for i, s := range got.SVGs {
		rows := len(ladders[i].Rows)
		if s.Width < 600 || s.Height < 40+20*rows || s.Arrows != rows || s.Marks == 0 {
			t.Errorf("ladder %d drawn %dx%d with %d arrows and %d marks; want at least 600 wide, room for %d rows, an arrow each, the lost ones marked",
				i+1, s.Width, s.Height, s.Arrows, s.Marks, rows)
		}
	}

	if got.Details == 0 || got.Printed != 0 {
		t.Errorf("on screen %d explanations are folded and %d printed ones show; want them folded only", got.Details, got.Printed)
	}
	// On paper the explanations are unfolded: the page's print style,
	// applied to the screen, shows them and hides the folds.
	printed := filepath.Join(dir, "printed.html")
	asPrinted := bytes.Replace(page.Bytes(), []byte("@media print {"), []byte("@media all {"), 1)
	if err := os.WriteFile(printed, bytes.Replace(asPrinted, []byte("<head>"), []byte("<head>\n"+probe), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if p := probePage(t, bin, printed); p.Details != 0 || p.Printed != got.Details {
		t.Errorf("printed, %d explanations are folded and %d unfolded; want all %d unfolded", p.Details, p.Printed, got.Details)
	}
	pdf := filepath.Join(dir, "report.pdf")
	runChromium(t, bin, path, "--no-pdf-header-footer", "--print-to-pdf="+pdf)
	if data, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(data, []byte("%PDF-")) || !bytes.Contains(data, []byte("/Count ")) {
		t.Errorf("printing to PDF: %v, %d bytes", err, len(data))
	}

	shot := filepath.Join(dir, "shot.png")
	if _, console := runChromium(t, bin, path, "--window-size=1100,900", "--hide-scrollbars", "--screenshot="+shot); len(console) > 0 {
		t.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n"))
	}
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	colours, ink, red := pixels(img)
	t.Logf("screenshot: %d colours, %.1f%% ink, %d red", colours, ink*100, red)
	if colours < 64 || ink < 0.03 || red < 200 {
		t.Errorf("screenshot %v: %d colours, %.1f%% not white, %d pixels of the failure's red: it looks blank", img.Bounds().Size(), colours, ink*100, red)
	}
	if updating() {
		if err := os.WriteFile(filepath.Join(corpus.RepoRoot(), "docs", "html-report.png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// probed is what the probe measured of a page.
type probed struct {
	Errors           []string
	Title            string
	SVGs             []struct{ Width, Height, Arrows, Marks int }
	Details, Printed int
}

// probePage loads a page with the probe in Chromium, checks it logged
// nothing to the console, and returns what the probe measured.
func probePage(t *testing.T, bin, page string) probed {
	t.Helper()
	dom, console := runChromium(t, bin, page, "--window-size=1100,900", "--virtual-time-budget=5000", "--dump-dom")
	if len(console) > 0 {
		t.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n"))
	}
	m := probeOut.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe did not run; the DOM:\n%.2000s", dom)
	}
	var got probed
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &got); err != nil {
		t.Fatalf("probe: %v: %s", err, m[1])
	}
	return got
}

// pixels counts a screenshot's distinct colours, the share of its pixels
// that are not white, and its pixels of the red the report marks failures
// with (#b42318).
func pixels(img image.Image) (colours int, ink float64, red int) {
	seen := map[uint32]bool{}
	b := img.Bounds()
	n, dark := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			seen[r<<16|g<<8|bl] = true
			n++
			if r+g+bl < 3*245 {
				dark++
			}
			if r > 150 && r < 210 && g < 70 && bl < 70 {
				red++
			}
		}
	}
	return len(seen), float64(dark) / float64(max(n, 1)), red
}

// decryptedProbe measures what a page shows as decrypted: the SVG lines
// in the mark's class and how far right they reach within their ladder,
// the bars beside them, and the findings' decrypted paragraphs with the
// colour of their bar.
const decryptedProbe = `<script>
window.addEventListener('load', function () {
  var out = {lines: 0, overflow: 0, bars: 0, paragraphs: [], labels: 0};
  Array.prototype.forEach.call(document.querySelectorAll('svg.ladder'), function (s) {
    var right = s.getBoundingClientRect().right;
    Array.prototype.forEach.call(s.querySelectorAll('text.decrypted'), function (t) {
      out.lines++;
      out.overflow = Math.max(out.overflow, Math.round(t.getBoundingClientRect().right - right));
    });
    Array.prototype.forEach.call(s.querySelectorAll('rect.decbar'), function (r) {
      if (r.getBoundingClientRect().height > 0) { out.bars++; }
    });
  });
  out.labels = document.querySelectorAll('.declabel').length;
  Array.prototype.forEach.call(document.querySelectorAll('p.decrypted'), function (p) {
    out.paragraphs.push({text: p.textContent, border: getComputedStyle(p).borderLeftColor});
  });
  var pre = document.createElement('pre');
  pre.id = 'vpnpcap-decrypted';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>`

var decryptedOut = regexp.MustCompile(`<pre id="vpnpcap-decrypted">(.*?)</pre>`)

// TestDecryptedHTMLInChromium opens the HTML report of the lab's
// ikev2-auth-failed-keys, analysed with the keys its daemons logged, in
// headless Chromium: what decryption revealed (TRUTH.md: the IKE_AUTH
// response holds one Notify, AUTHENTICATION_FAILED) is drawn in the
// ladder in the mark's colour beside a bar, within the ladder's width, and
// the finding that rests on it says it after the same mark, whose legend
// the page gives.
func TestDecryptedHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	dir := filepath.Join(corpus.RepoRoot(), "testdata", "lab", "ikev2-auth-failed-keys")
	b := analyseKeyed(t, dir, "ikev2-auth-failed-keys", "logs/charon-client.log")
	var page bytes.Buffer
	if err := report.WriteHTML(&page, b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	withProbe := bytes.Replace(page.Bytes(), []byte("<head>"), []byte("<head>\n"+probe+"\n"+decryptedProbe), 1)
	if err := os.WriteFile(path, withProbe, 0o644); err != nil {
		t.Fatal(err)
	}
	dom, console := runChromium(t, bin, path, "--window-size=1100,900", "--virtual-time-budget=5000", "--dump-dom")
	if len(console) > 0 {
		t.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n"))
	}
	m := decryptedOut.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe did not run; the DOM:\n%.2000s", dom)
	}
	var got struct {
		Lines, Overflow, Bars, Labels int
		Paragraphs                    []struct{ Text, Border string }
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &got); err != nil {
		t.Fatalf("probe: %v: %s", err, m[1])
	}
	// The IKE_AUTH request's payloads and the response's notify, and the
	// legend under the ladder; a bar beside each of the three.
	if got.Lines < 3 || got.Bars != 3 || got.Overflow > 0 {
		t.Errorf("the ladder draws %d decrypted lines and %d bars, reaching %dpx past its right edge; want the request's, the response's and the legend, each beside a bar, within the ladder", got.Lines, got.Bars, got.Overflow)
	}
	var finding bool
	for _, p := range got.Paragraphs {
		if p.Border != "rgb(14, 124, 134)" {
			t.Errorf("paragraph %q: border %q, want the mark's colour", p.Text, p.Border)
		}
		finding = finding || strings.HasPrefix(p.Text, "decrypted: IKE_AUTH response #1 on 4500 (inside frame 6; outside frame 6): N(AUTHENTICATION_FAILED)")
	}
	if !finding || len(got.Paragraphs) != 2 {
		t.Errorf("decrypted paragraphs %+v; want the legend and the VP102 finding's", got.Paragraphs)
	}
	if p := probeOut.FindStringSubmatch(dom); p == nil || strings.Contains(p[1], `errors":["`) {
		t.Errorf("the page raised errors: %v", p)
	}
}
