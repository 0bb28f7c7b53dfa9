package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/certledger/certledger/gateway"
)

// Markers of the import section of docs/benchmarks.md.
const (
	ImportSectionBegin = "<!-- certledger-bench-import:begin -->"
	ImportSectionEnd   = "<!-- certledger-bench-import:end -->"
)

// ImportConfig says how to run `certledger bench --import`.
type ImportConfig struct {
	// Rows of the file.
	Rows int
	// Type is the demo credential type imported (default business-licence).
	Type string
	// Sample is how many identifiers are read back and verified afterwards
	// (default DefaultImportSample).
	Sample int
	// Concurrency is how many requests the checks make at once (default
	// DefaultConcurrency).
	Concurrency int
	// Progress receives progress lines (default os.Stderr).
	Progress io.Writer
}

func (c ImportConfig) withDefaults() ImportConfig {
	if c.Type == "" {
		c.Type = DefaultType
	}
	if c.Sample <= 0 {
		c.Sample = DefaultImportSample
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Progress == nil {
		c.Progress = os.Stderr
	}
	return c
}

// ImportReport is one bulk import measured on a self-hosted gateway.
type ImportReport struct {
	Run      importRun
	Type     string
	CPU      time.Duration // user+system time of this process (client and gateway)
	Machine  Machine
	Register registerCheck
	ids      *identities
	Command  string
	Finished time.Time
}

// RowsPerSecond is the import's rate.
func (r ImportReport) RowsPerSecond() float64 { return r.Run.rate() }

// Failures lists what breaks the import's promises: a row without an
// identifier, an identifier twice, a sampled credential that does not
// verify, a register entry beyond the rows.
func (r ImportReport) Failures() []string {
	out := r.Run.failures()
	out = append(out, identityFailures(r.ids)...)
	return append(out, r.Register.failures()...)
}

// Passed reports whether the import kept its promises at the target rate.
func (r ImportReport) Passed() bool {
	return len(r.Failures()) == 0 && r.RowsPerSecond() >= TargetImport
}

// RunImport imports cfg.Rows rows into a gateway it starts on a temporary
// folder (the embedded ledger, as `serve --demo`, with the import body
// budget raised to ImportBodyMemory), measures the rate and the CPU time
// per row, and checks the results through the API.
func RunImport(ctx context.Context, cfg ImportConfig) (ImportReport, error) {
	cfg = cfg.withDefaults()
	t, err := demoType(cfg.Type)
	if err != nil {
		return ImportReport{}, err
	}
	file := newImportFile(t, cfg.Rows, runTag("bench-"))
	rep := ImportReport{Type: t.ID, Machine: ThisMachine(), ids: newIdentities()}
	fmt.Fprintf(cfg.Progress, "starting a gateway on the embedded ledger with the demo registry; the file has %d rows, %.1f MiB\n", file.Rows(), float64(len(file.CSV))/(1<<20))
	sh, err := startSelfHostedWith(ctx, "", nil, nil, func(c *gateway.Config) {
		c.BodyMemory, c.ImportLimit = ImportBodyMemory, ImportBodyMemory
	})
	if err != nil {
		return ImportReport{}, err
	}
	defer sh.cleanup()
	defer sh.stop()
	api := newImportAPI(sh.URL, sh.Keys[t.Issuers[0]].APIKey, cfg.Concurrency)
	defer api.close()
	before, err := api.register(ctx, t.ID)
	if err != nil {
		return ImportReport{}, err
	}
	cpu0 := cpuTime()
	rep.Run, err = sendImport(ctx, api, file, rep.ids, cfg.Progress)
	rep.CPU = cpuTime() - cpu0
	if err != nil {
		return ImportReport{}, err
	}
	progress(cfg.Progress, "reading %d identifiers back and verifying them; reading the register", cfg.Sample)
	rep.Run.verifySample(ctx, api, file, rep.ids, cfg.Sample, cfg.Concurrency)
	rep.Register = checkRegister(ctx, api, t.ID, before, rep.ids)
	rep.Finished = time.Now().UTC()
	return rep, ctx.Err()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Markdown is the report as the import section of docs/benchmarks.md.
func (r ImportReport) Markdown() string {
	var b bytes.Buffer
	run := r.Run
	load := ""
	if r.Machine.LoadAvg != "" {
		load = ", load average " + r.Machine.LoadAvg + " at the start"
	}
	fmt.Fprintf(&b, "Measured %s on %d CPUs (%s%s) with `%s`:\n\n", r.Finished.Format("2006-01-02"), r.Machine.CPUs, r.Machine.CPUModel, load, r.Command)
	fmt.Fprintln(&b, "| rows | file | time | rows/s | target | CPU per row | issued | failed |")
	fmt.Fprintln(&b, "|---:|---:|---:|---:|---|---:|---:|---:|")
	fmt.Fprintf(&b, "| %d | %.1f MiB | %.2f s | %.0f | >= %s/s: %s | %.0f µs | %d | %d |\n\n", run.Rows, float64(run.Bytes)/(1<<20), run.Elapsed.Seconds(), run.rate(),
		thousands(TargetImport), metOrMissed(run.rate() >= TargetImport), float64(r.CPU.Microseconds())/float64(max(run.Check.Issued, 1)), run.Check.Issued, run.Check.Failed+run.Check.Missing)
	for _, line := range r.notes() {
		fmt.Fprintf(&b, "- %s\n", line)
	}
	return b.String()
}

func (r ImportReport) notes() []string {
	run := r.Run
	own := ""
	if !run.End.Created.IsZero() && !run.End.Finished.IsZero() {
		own = fmt.Sprintf(", the batch's own times (created to finished) span %.2f s", run.End.Finished.Sub(run.End.Created).Seconds())
	}
	out := []string{
		fmt.Sprintf("%s rows of the demo type %s as its first issuer; the gateway ran with `BodyMemory` and `ImportLimit` at %d MiB (their defaults, 16 and 64 MiB, refuse a file over 16 MiB); the 202 came %.2f s after the upload began%s",
			thousands(run.Rows), r.Type, ImportBodyMemory>>20, run.Accepted.Seconds(), own),
		fmt.Sprintf("results (GET /api/v1/batches/{id}/results): %d of %d rows with an identifier, %d distinct identifiers", run.Check.Issued, run.Rows, len(r.ids.byID)),
		fmt.Sprintf("%d of %d identifiers sampled evenly over the file read back (GET /api/v1/credentials/{id}) and verified (POST /api/v1/verify)", run.Verified, run.Sampled),
		r.Register.describe(len(r.ids.byID)),
	}
	if f := r.Failures(); len(f) > 0 {
		out = append(out, "**FAIL**: "+strings.Join(f, "; "))
	}
	return out
}

func metOrMissed(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// thousands writes n with commas: 100,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
