package loadtest

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/certledger/certledger/chaincode"
	fabric "github.com/hyperledger/fabric-gateway/pkg/client"
)

// unbounded is the operation limit of a phase that only time bounds.
const unbounded = 1 << 30

// issueLimit bounds the issuances of one phase.
const issueLimit = 100_000

// CPU phase names of the reference gateway's runs.
const (
	phaseIssuePlain  = "issue, --issue-batch 1 (one transaction each)"
	phaseVerifyPlain = "verify, --record-cache 0"
)

// measureRounds runs the rounds and merges each phase's results over them.
func (b *FabricReport) measureRounds(ctx context.Context, e *fabricEnv) error {
	results := []*Result{&b.put, &b.directIssue, &b.issue, &b.verify, &b.directGet, &b.get, &b.issuePlain, &b.verifyPlain, &b.wallet, &b.holderQuery}
	rounds := make([][]Result, len(results))
	m := &cpuMeter{procs: e.procs, total: b.cpu}
	for round := 1; round <= b.cfg.Rounds; round++ {
		if err := b.round(ctx, e, m, round); err != nil {
			return err
		}
		for k, res := range results {
			rounds[k] = append(rounds[k], *res)
		}
	}
	b.rounds = b.cfg.Rounds
	for k, res := range results {
		*res = mergeRounds(rounds[k])
	}
	return nil
}

// round runs every phase once, raw Fabric first and last, with the same
// client loop (RunOp) and concurrency.
func (b *FabricReport) round(ctx context.Context, e *fabricEnv, m *cpuMeter, round int) error {
	c := b.cfg
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	fmt.Fprintf(c.Progress, "round %d of %d: raw kv put, contract direct issue, gateway issue and verify, contract direct get, raw kv get, the holder's list through the gateway and directly; %d clients\n", round, c.Rounds, c.Concurrency)
	kv := e.kv.Load(c.ValueSize)
	m.measure("kv put", func() {
		b.put = RunOp(ctx, "kv put", c.Concurrency, unbounded, c.Duration, c.Progress, kv.Put)
	})

	cc := e.cc.Contract()
	direct, err := newDirectIssuer(e.profile, cc, run)
	if err != nil {
		return err
	}
	m.measure("contract issue", func() {
		b.directIssue = RunOp(ctx, "contract issue", c.Concurrency, issueLimit, c.Duration, c.Progress, direct.issue)
	})
	if err := b.gatewayPhases(ctx, e, m, round); err != nil {
		return err
	}

	ids := direct.issued()
	if len(ids) == 0 {
		return fmt.Errorf("no credential was issued directly: %s", b.directIssue.FirstError)
	}
	m.measure("contract get", func() {
		b.directGet = RunOp(ctx, "contract get", c.Concurrency, unbounded, c.Duration, c.Progress, func(ctx context.Context, i int) error {
			_, err := cc.EvaluateWithContext(ctx, chaincode.FnGetRecord, fabric.WithArguments(ids[i%len(ids)]))
			return err
		})
	})
	m.measure("kv get", func() {
		b.get = RunOp(ctx, "kv get", c.Concurrency, unbounded, c.Duration, c.Progress, func(ctx context.Context, i int) error {
			_, err := kv.Get(ctx, i)
			return err
		})
	})
	b.walletRound(ctx, e, m)
	return nil
}

// gatewayPhases runs issuance, then verification, through the gateway
// and through the reference gateway.
func (b *FabricReport) gatewayPhases(ctx context.Context, e *fabricEnv, m *cpuMeter, round int) error {
	c := b.cfg
	for _, run := range []struct {
		g            *gatewayProcess
		phase, label string
		out          *Result
		seedLabel    string  // the issue phase whose cost each seed issuance has
		seed         *Result // that phase's result
	}{
		{e.gw, PhaseIssue, PhaseIssue, &b.issue, "", nil},
		{e.plain, PhaseIssue, phaseIssuePlain, &b.issuePlain, "", nil},
		{e.gw, PhaseVerify, PhaseVerify, &b.verify, PhaseIssue, &b.issue},
		{e.plain, PhaseVerify, phaseVerifyPlain, &b.verifyPlain, phaseIssuePlain, &b.issuePlain},
	} {
		var rep *Report
		var err error
		m.measure(run.label, func() {
			// The verify run issues a few credentials to verify first
			// (its "seed"); that is a small part of its CPU time.
			rep, err = Run(ctx, Config{URL: run.g.url, KeysFile: filepath.Join(run.g.data, "demo-keys.json"),
				Concurrency: c.Concurrency, Duration: c.Duration, Count: unbounded, IssueCount: issueLimit,
				Phases: []string{run.phase}, Progress: c.Progress})
		})
		if err != nil {
			return err
		}
		if run.seed != nil && run.seed.Ops > 0 {
			// Take out the seed issuances at the issue phase's cost each.
			m.discount(run.label, run.seedLabel, float64(2*c.Concurrency)/float64(run.seed.Ops))
		}
		for _, res := range rep.Results {
			if res.Phase != run.phase {
				continue
			}
			res.Phase = run.label
			*run.out = res
			if run.label == PhaseIssue {
				b.issueNotes = append(b.issueNotes, fmt.Sprintf("round %d: %s", round, strings.Join(res.Notes, "; ")))
			}
		}
	}
	return nil
}

// cpuByPhase is CPU time by phase name, then process name.
type cpuByPhase map[string]map[string]time.Duration

// cpuMeter adds up the CPU time each process spends in each phase: where
// an operation's cost goes.
type cpuMeter struct {
	procs map[string]int
	total cpuByPhase
	last  cpuByPhase // the latest round's
}

func (m *cpuMeter) measure(phase string, fn func()) {
	before := cpuTimes(m.procs)
	fn()
	after := cpuTimes(m.procs)
	if m.total[phase] == nil {
		m.total[phase] = map[string]time.Duration{}
	}
	if m.last == nil {
		m.last = cpuByPhase{}
	}
	m.last[phase] = map[string]time.Duration{}
	for name, t := range after {
		m.last[phase][name] = t - before[name]
		m.total[phase][name] += t - before[name]
	}
}

// discount takes share of the latest round's CPU time of phase from
// the total of phase label.
func (m *cpuMeter) discount(label, phase string, share float64) {
	for name, t := range m.last[phase] {
		m.total[label][name] = max(0, m.total[label][name]-time.Duration(float64(t)*share))
	}
}

// mergeRounds adds up the rounds of one phase: throughput over all their
// operations and time, p50 the median of the rounds' p50s, p99 the worst
// round's p99.
func mergeRounds(rs []Result) Result {
	if len(rs) == 0 {
		return Result{}
	}
	out := rs[0]
	p50s := []time.Duration{rs[0].P50}
	for _, r := range rs[1:] {
		out.Ops += r.Ops
		out.Errors += r.Errors
		out.Elapsed += r.Elapsed
		out.P99 = max(out.P99, r.P99)
		out.Max = max(out.Max, r.Max)
		p50s = append(p50s, r.P50)
		if out.FirstError == "" {
			out.FirstError = r.FirstError
		}
	}
	sort.Slice(p50s, func(i, j int) bool { return p50s[i] < p50s[j] })
	out.P50 = p50s[len(p50s)/2]
	if out.Elapsed > 0 {
		out.Rate = float64(out.Ops) / out.Elapsed.Seconds()
	}
	return out
}
