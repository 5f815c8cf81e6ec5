package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// Profiling the command itself, as it runs on a real capture, is what tells
// where the time and the bytes go; benchmarks only see what they set up.
//
//	VPNPCAP_CPUPROFILE=cpu.out  writes a CPU profile of the whole run
//	VPNPCAP_MEMPROFILE=mem.out  writes a heap profile (allocations) at exit
//
// Both are read with `go tool pprof vpnpcap cpu.out`. See docs/performance.md.
const (
	cpuProfileEnv = "VPNPCAP_CPUPROFILE"
	memProfileEnv = "VPNPCAP_MEMPROFILE"
)

// startProfiles starts what the environment asks for and returns the function
// that finishes it; a profile that cannot be written is reported, never fatal.
func startProfiles(stderr io.Writer) (stop func()) {
	var cpu *os.File
	if path := os.Getenv(cpuProfileEnv); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "vpnpcap: %s: %v\n", cpuProfileEnv, err)
		} else {
			cpu = f
		}
	}
	memPath := os.Getenv(memProfileEnv)
	if memPath != "" {
		runtime.MemProfileRate = 64 << 10
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if memPath == "" {
			return
		}
		// The profile holds what the latest collection saw: without one
		// here, what the run allocated since (the report, often) is missing.
		runtime.GC()
		f, err := os.Create(memPath)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "vpnpcap: %s: %v\n", memProfileEnv, err)
		}
	}
}
