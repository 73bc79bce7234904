package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// runner lets this program start its servers with internal/testenv, whose
// helpers take a testing.TB so that tests and this tool share one way of
// starting redis-server and Alertmanager. It implements the few methods
// testenv calls; the embedded nil TB only satisfies the interface's
// unexported method, and any other call would panic, which is a bug here.
type runner struct {
	testing.TB
	cleanups []func()
	failed   bool
}

// fatal is the panic Fatal raises; main recovers it after cleanup, so no
// server outlives the program.
type fatal struct{}

func (r *runner) Helper() {}

func (r *runner) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func (r *runner) cleanup() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.cleanups = nil
}

func (r *runner) TempDir() string {
	dir, err := os.MkdirTemp("", "sidebyside-")
	if err != nil {
		r.Fatal(err)
	}
	r.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (r *runner) Failed() bool { return r.failed }

func (r *runner) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "sidebyside: "+format+"\n", args...)
}

func (r *runner) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

func (r *runner) Fatalf(format string, args ...any) {
	r.failed = true
	r.Logf(format, args...)
	panic(fatal{})
}

func numCPU() int { return runtime.NumCPU() }

// cpuModel is the first "model name" of /proc/cpuinfo, for the record of
// where figures were measured.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return runtime.GOARCH
}
