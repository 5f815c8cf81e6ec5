package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/report"
)

const helpAbout = `Show the help of vpnpcap, or of a command: what it does, its usage and
its flags. 'vpnpcap help CMD' is 'vpnpcap CMD --help'.`

func setupHelp(fs *pflag.FlagSet) func(*env) int {
	return func(e *env) int {
		switch e.fs.NArg() {
		case 0:
			usage(e.stdout)
			return exitOK
		case 1:
			c := lookupCommand(e.fs.Arg(0))
			if c == nil {
				e.errorf("no command %q (see 'vpnpcap --help' for the commands)", e.fs.Arg(0))
				return exitUsage
			}
			c.writeHelp(e.stdout)
			return exitOK
		}
		return e.usageError("one command at a time, got %d", e.fs.NArg())
	}
}

const versionAbout = `Print vpnpcap's version: the module version, the version control revision
it was built from (and whether the tree had uncommitted changes), and the Go
version and platform. 'vpnpcap --version' does the same.`

func setupVersion(fs *pflag.FlagSet) func(*env) int {
	return func(e *env) int {
		if e.fs.NArg() > 0 {
			return e.usageError("version takes no arguments")
		}
		bi, ok := debug.ReadBuildInfo()
		if !ok {
			bi = nil
		}
		fmt.Fprint(e.stdout, versionText(bi, runtime.GOOS+"/"+runtime.GOARCH))
		return exitOK
	}
}

// versionText describes the build bi (nil when the binary carries no build
// information) for platform.
func versionText(bi *debug.BuildInfo, platform string) string {
	if bi == nil {
		return "vpnpcap (version unknown: built without module information)\n"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var b strings.Builder
	fmt.Fprintf(&b, "vpnpcap %s\n", report.SafeText(version))
	if bi.Main.Path != "" {
		fmt.Fprintf(&b, "module %s\n", report.SafeText(bi.Main.Path))
	}
	if rev := settings["vcs.revision"]; rev != "" {
		line := "revision " + rev
		if t := settings["vcs.time"]; t != "" {
			line += ", committed " + t
		}
		if settings["vcs.modified"] == "true" {
			line += ", with uncommitted changes"
		}
		if vcs := settings["vcs"]; vcs != "" && vcs != "git" {
			line += " (" + vcs + ")"
		}
		fmt.Fprintf(&b, "%s\n", report.SafeText(line))
	} else {
		b.WriteString("revision unknown (built without version control information)\n")
	}
	fmt.Fprintf(&b, "built with %s for %s\n", report.SafeText(bi.GoVersion), platform)
	return b.String()
}
