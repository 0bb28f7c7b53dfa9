package loadtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/certledger/certledger/network"
)

// Markers of the section `certledger bench-fabric --import N --write` owns.
const (
	FabricImportSectionBegin = "<!-- certledger-bench-fabric-import:begin -->"
	FabricImportSectionEnd   = "<!-- certledger-bench-fabric-import:end -->"
)

// fabricImportDept imports on Fabric: the department whose peer and
// identity the raw puts use too.
const fabricImportDept = "samr"

// CPU phase names of the import comparison.
const (
	phaseKVPut  = "kv put"
	phaseImport = "import"
)

// FabricImportReport is one bulk import benchmark on Fabric: raw kv puts
// and imports through the gateway, round after round, on one network.
type FabricImportReport struct {
	cfg          FabricConfig
	rows         int
	typ          string
	start        time.Time
	machine      Machine
	batchTimeout string
	build        time.Duration // 0 when the binaries were cached
	up           time.Duration
	gatewayUp    time.Duration
	puts         []Result    // raw kv put, by round
	imports      []importRun // by round
	put          Result      // the rounds' puts merged
	register     registerCheck
	ids          *identities
	cpu          cpuByPhase
	memory       []memoryRow
}

// RunFabricImport brings up a network with one gateway on it (its import
// body budget raised) and, in each of cfg.Rounds rounds, measures raw kv
// put for cfg.Duration with cfg.Concurrency clients, then an import of rows
// business licences as samr through POST /api/v1/batches. Afterwards the
// register must list exactly the imported identifiers beyond what it
// listed before.
func RunFabricImport(ctx context.Context, cfg FabricConfig, rows int) (*FabricImportReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rows < 1 {
		return nil, errors.New("an import needs at least one row")
	}
	if cfg.BasePort == 0 {
		cfg.BasePort = DefaultFabricBasePort
	}
	if cfg.Progress == nil {
		cfg.Progress = os.Stderr
	}
	t, err := demoType(DefaultType)
	if err != nil {
		return nil, err
	}
	r := &FabricImportReport{cfg: cfg, rows: rows, typ: t.ID, start: time.Now().UTC(), machine: ThisMachine(), ids: newIdentities(), cpu: cpuByPhase{}}
	e := &fabricEnv{dir: cfg.Dir, keep: cfg.Keep}
	defer e.close()
	if r.build, r.up, err = e.upNetwork(ctx, cfg); err != nil {
		return nil, err
	}
	if e.gw, err = startGatewayProcess(ctx, cfg.Exe, e.dir, "import-gateway", importGatewayArgs...); err != nil {
		return nil, err
	}
	e.undoUnlessKept(func() { e.gw.stop() })
	r.gatewayUp = e.gw.startup
	if e.procs, err = benchProcesses(ctx, e.dir, e.gw.cmd.Process.Pid); err != nil {
		return nil, err
	}
	if err := e.dial(ctx, cfg); err != nil {
		return nil, err
	}
	recorded, err := network.RecordedOptions(e.dir)
	if err != nil {
		return nil, err
	}
	r.batchTimeout = recorded.BatchTimeout.String()
	keys, err := readKeys(filepath.Join(e.gw.data, "demo-keys.json"))
	if err != nil {
		return nil, err
	}
	api := newImportAPI(e.gw.url, keys[fabricImportDept].APIKey, cfg.Concurrency)
	defer api.close()
	before, err := api.register(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	m := &cpuMeter{procs: e.procs, total: r.cpu}
	for round := 1; round <= cfg.Rounds; round++ {
		progress(cfg.Progress, "round %d of %d: raw kv put for %s with %d clients, then an import of %d rows", round, cfg.Rounds, cfg.Duration, cfg.Concurrency, rows)
		kv := e.kv.Load(cfg.ValueSize)
		m.measure(phaseKVPut, func() {
			r.puts = append(r.puts, RunOp(ctx, phaseKVPut, cfg.Concurrency, unbounded, cfg.Duration, cfg.Progress, kv.Put))
		})
		file := newImportFile(t, rows, runTag(fmt.Sprintf("fabric%d-", round)))
		var run importRun
		m.measure(phaseImport, func() { run, err = sendImport(ctx, api, file, r.ids, cfg.Progress) })
		if err != nil {
			return nil, err
		}
		run.verifySample(ctx, api, file, r.ids, DefaultImportSample, cfg.Concurrency)
		r.imports = append(r.imports, run)
	}
	r.put = mergeRounds(r.puts)
	progress(cfg.Progress, "reading the register of %s back", fabricImportDept)
	r.register = checkRegister(ctx, api, t.ID, before, r.ids)
	if r.memory, err = e.memory(ctx); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, errors.New("interrupted")
	}
	return r, nil
}

// importTotals are the rounds' imports together.
func (b *FabricImportReport) importTotals() (rows, issued, failed int, elapsed time.Duration) {
	for _, run := range b.imports {
		rows += run.Rows
		issued += run.Check.Issued
		failed += run.Rows - run.Check.Issued
		elapsed += run.Elapsed
	}
	return rows, issued, failed, elapsed
}

// ImportRate is the rounds' issued rows over their time.
func (b *FabricImportReport) ImportRate() float64 {
	_, issued, _, elapsed := b.importTotals()
	if elapsed <= 0 {
		return 0
	}
	return float64(issued) / elapsed.Seconds()
}

// Ratio is the import's rows per second over raw put's keys per second.
func (b *FabricImportReport) Ratio() float64 {
	if b.put.Rate <= 0 {
		return 0
	}
	return b.ImportRate() / b.put.Rate
}

// cpuRatio is raw put's CPU time per key over the import's per row.
func (b *FabricImportReport) cpuRatio() float64 {
	_, issued, _, _ := b.importTotals()
	p, i := cpuSum(b.cpu[phaseKVPut]), cpuSum(b.cpu[phaseImport])
	if p <= 0 || i <= 0 || b.put.Ops == 0 || issued == 0 {
		return 0
	}
	return (p.Seconds() / float64(b.put.Ops)) / (i.Seconds() / float64(issued))
}

// Failures lists the broken promises: a row without an identifier or with
// two, an identifier of two rows, a sampled credential that does not read
// back and verify, a register entry beyond the rows, a failed raw put.
func (b *FabricImportReport) Failures() []string {
	var out []string
	for i, run := range b.imports {
		for _, f := range run.failures() {
			out = append(out, fmt.Sprintf("round %d: %s", i+1, f))
		}
	}
	out = append(out, identityFailures(b.ids)...)
	out = append(out, b.register.failures()...)
	if b.put.Errors > 0 {
		out = append(out, fmt.Sprintf("%d raw kv puts failed: %s", b.put.Errors, b.put.FirstError))
	}
	return out
}

// Passed reports whether the imports kept their promises at the target.
func (b *FabricImportReport) Passed() bool {
	return len(b.Failures()) == 0 && b.ImportRate() >= TargetFabricImport
}

func cpuSum(m map[string]time.Duration) time.Duration {
	var t time.Duration
	for _, d := range m {
		t += d
	}
	return t
}

// cpuPerOpMicros renders a phase's CPU time per operation by kind of
// process, in µs: an imported row costs well under a millisecond.
func cpuPerOpMicros(m map[string]time.Duration, ops int) string {
	if ops == 0 || m == nil {
		return "-"
	}
	var parts []string
	for _, g := range cpuGroups(m) {
		parts = append(parts, fmt.Sprintf("%s %.0f", g.group, float64(g.cpu.Microseconds())/float64(ops)))
	}
	return fmt.Sprintf("%.0f µs (%s)", float64(cpuSum(m).Microseconds())/float64(ops), strings.Join(parts, ", "))
}
