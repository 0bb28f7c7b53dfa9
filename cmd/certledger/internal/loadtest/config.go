// Package loadtest drives a CertLedger gateway against its throughput targets
// (docs/benchmarks.md): in-process verification, POST /api/v1/verify, issuance
// with a durability check, and QR rendering. `certledger bench` is its command
// line; it targets a running gateway or starts one in-process on a temporary
// data folder with the embedded ledger and the demo registry.
//
// RunFabric, behind `certledger bench-fabric`, measures the gateway on a
// Fabric network it brings up against raw Fabric on the same network, with
// the same client loop.
package loadtest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"
)

// Phase names, in the order they run.
const (
	PhaseInProcess = "inprocess" // credential.Verify in this process
	PhaseIssue     = "issue"     // POST /api/v1/credentials, then read every acknowledged id back
	PhaseVerify    = "verify"    // POST /api/v1/verify with a full document
	PhaseQR        = "qr"        // GET /api/v1/credentials/{id}/qr.png
)

// AllPhases lists every phase in run order.
var AllPhases = []string{PhaseInProcess, PhaseIssue, PhaseVerify, PhaseQR}

// Config says what to drive and how hard. The zero value of a field means
// its default (see WithDefaults).
type Config struct {
	// URL of a running gateway; it must be a loopback address. Empty: start
	// a gateway in-process on a temporary data folder.
	URL string
	// KeysFile is the demo-keys.json of the gateway at URL (API keys by
	// department). Default: ./certledger-data/demo-keys.json.
	KeysFile string
	// Type is the credential type to issue (ID or code; default
	// business-licence).
	Type string
	// Concurrency is the number of concurrent HTTP clients (default 64).
	Concurrency int
	// Duration bounds each phase (default 10s).
	Duration time.Duration
	// Count bounds the operations of each phase (default 200,000; issuance
	// is bounded by IssueCount).
	Count int
	// IssueCount bounds issuance (default 20,000): every acknowledged
	// credential is read back afterwards.
	IssueCount int
	// Phases to run (default AllPhases).
	Phases []string
	// Progress receives the progress line, rewritten every second
	// (default os.Stderr; io.Discard silences it).
	Progress io.Writer
	// Log receives the self-hosted gateway's access log (default a file
	// in its data folder).
	Log io.Writer
}

// Defaults.
const (
	DefaultConcurrency = 64
	DefaultDuration    = 10 * time.Second
	DefaultCount       = 200_000
	DefaultIssueCount  = 20_000
	DefaultType        = "business-licence"
	DefaultKeysFile    = "certledger-data/demo-keys.json"
)

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	if c.KeysFile == "" {
		c.KeysFile = DefaultKeysFile
	}
	if c.Type == "" {
		c.Type = DefaultType
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Duration <= 0 {
		c.Duration = DefaultDuration
	}
	if c.Count <= 0 {
		c.Count = DefaultCount
	}
	if c.IssueCount <= 0 {
		c.IssueCount = DefaultIssueCount
	}
	if len(c.Phases) == 0 {
		c.Phases = AllPhases
	}
	if c.Progress == nil {
		c.Progress = os.Stderr
	}
	return c
}

// Validate checks a configuration after WithDefaults.
func (c Config) Validate() error {
	for _, p := range c.Phases {
		if !contains(AllPhases, p) {
			return fmt.Errorf("unknown phase %q (phases: %s)", p, strings.Join(AllPhases, ", "))
		}
	}
	if c.URL != "" {
		if err := CheckLoopback(c.URL); err != nil {
			return err
		}
	}
	if c.Concurrency > 4096 {
		return errors.New("concurrency above 4096 would only measure the client")
	}
	return nil
}

func (c Config) has(phase string) bool { return contains(c.Phases, phase) }

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// CheckLoopback accepts only http URLs on this machine: the load tool must
// never be pointed at someone else's server.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q is not an http(s) URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--url %q is not a loopback address: the load tool only drives a gateway on this machine", raw)
}

// Machine describes where a run happened.
type Machine struct {
	CPUs       int
	GOMAXPROCS int
	CPUModel   string
	GoVersion  string
	OS         string
	// LoadAvg is /proc/loadavg's 1-minute load when the run started: other
	// work on the machine competes with the measurement.
	LoadAvg string
}

// ThisMachine reads the CPU model from /proc/cpuinfo where there is one.
func ThisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		OS: runtime.GOOS + "/" + runtime.GOARCH, CPUModel: "unknown"}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			m.LoadAvg = f[0]
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
