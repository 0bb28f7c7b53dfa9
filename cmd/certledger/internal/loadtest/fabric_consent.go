package loadtest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// The consent flow on Fabric (`certledger bench-fabric --consent`).
const (
	phaseKVPut3 = "raw kv put x3 (one after another)"
	// FabricConsentSectionBegin and End mark the section it owns.
	FabricConsentSectionBegin = "<!-- certledger-bench-fabric-consent:begin -->"
	FabricConsentSectionEnd   = "<!-- certledger-bench-fabric-consent:end -->"
)

// RunFabricConsent brings up a network with the benchmark's gateway and,
// in each round, measures three raw kv puts one after another per
// operation, then the consent flow through the gateway, with the same
// client loop and concurrency. The baseline is three because the flow
// commits three transactions that each wait for the one before (create,
// decide, read); a trivial put endorsed by one department is the least any
// such write costs. CPU per operation is counted over every process of the
// run (nodes, chaincode, gateway, this tool), since the machine is shared.
func RunFabricConsent(ctx context.Context, cfg FabricConfig) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BasePort == 0 {
		cfg.BasePort = DefaultFabricBasePort
	}
	fr := &FabricReport{cfg: cfg, start: time.Now().UTC(), machine: ThisMachine(), cpu: cpuByPhase{}}
	e, err := setUpFabric(ctx, cfg, fr)
	defer e.close()
	if err != nil {
		return nil, err
	}
	ccfg := Config{URL: e.gw.url, KeysFile: filepath.Join(e.gw.data, "demo-keys.json"), Concurrency: cfg.Concurrency,
		Duration: cfg.Duration, Count: unbounded, Progress: cfg.Progress}.WithDefaults()
	keys, citizens, err := readDemoFile(ccfg.KeysFile)
	if err != nil {
		return nil, err
	}
	l, err := setUpConsent(ctx, ccfg, e.gw.url, keys, citizens)
	if err != nil {
		return nil, err
	}
	defer l.close()
	m := &cpuMeter{procs: e.procs, total: cpuByPhase{}}
	var puts, flows []Result
	for round := 1; round <= cfg.Rounds; round++ {
		fmt.Fprintf(cfg.Progress, "round %d of %d: raw kv put x3, consent flow; %d clients\n", round, cfg.Rounds, cfg.Concurrency)
		kv := e.kv.Load(cfg.ValueSize)
		m.measure(phaseKVPut3, func() {
			puts = append(puts, RunOp(ctx, phaseKVPut3, cfg.Concurrency, unbounded, cfg.Duration, cfg.Progress, func(ctx context.Context, i int) error {
				for k := 0; k < 3; k++ {
					if err := kv.Put(ctx, 3*i+k); err != nil {
						return err
					}
				}
				return nil
			}))
		})
		m.measure(PhaseConsent, func() { flows = append(flows, consentPhase(ctx, ccfg, PhaseConsent, l)) })
	}
	if ctx.Err() != nil {
		return nil, errors.New("interrupted")
	}
	put, flow := mergeRounds(puts), mergeRounds(flows)
	for _, x := range []struct {
		r     *Result
		phase string
	}{{&put, phaseKVPut3}, {&flow, PhaseConsent}} {
		var cpu time.Duration
		for _, t := range m.total[x.phase] {
			cpu += t
		}
		if cpu > 0 && x.r.Elapsed > 0 {
			x.r.Cores = cpu.Seconds() / x.r.Elapsed.Seconds()
			x.r.PerCPUSecond = float64(x.r.Ops) / cpu.Seconds()
		}
	}
	ratio, cpuRatio := 0.0, 0.0
	if put.Rate > 0 && put.PerCPUSecond > 0 {
		ratio, cpuRatio = flow.Rate/put.Rate, flow.PerCPUSecond/put.PerCPUSecond
	}
	put.Target, put.Pass = "baseline", put.Errors == 0
	flow.Target, flow.Pass = "reported as a ratio", flow.Errors == 0
	flow.Notes = append(flow.Notes, l.describe(),
		fmt.Sprintf("%.2f of the raw baseline's operations per second, %.2f of its operations per CPU-second (%d rounds, interleaved)", ratio, cpuRatio, cfg.Rounds),
		"the gateway is `certledger serve --ledger fabric --demo`, whose identity provider knows the demo citizens only: the 64 sessions are of its persons in turn, "+
			"so each holds about 43 credentials and every approval's view of the holder's credentials reads them all")
	put.Notes = append(put.Notes, fmt.Sprintf("three puts of %d bytes through the kv chaincode, each awaiting its commit before the next, as samr on its peer", cfg.ValueSize))
	return &Report{Start: fr.start, Machine: fr.machine, Config: ccfg, URL: e.gw.url, Results: []Result{put, flow}}, nil
}

// FabricConsentMarkdown is the report's section in docs/benchmarks.md.
func (r *Report) FabricConsentMarkdown(cmdline string) string {
	return r.markdown("Consent requests on Fabric, against raw Fabric submits", cmdline) +
		"\nOn Fabric *cores used* and *per CPU-s* count every process of the run: peers, orderers, chaincode, gateway and the load tool.\n"
}
