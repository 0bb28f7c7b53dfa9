package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/provision"
)

// Throughput targets on a 2-core machine (docs/benchmarks.md).
const (
	TargetInProcess = 15_000 // verifications/s
	TargetVerify    = 5_000  // requests/s, with p99 under TargetVerifyP99
	TargetVerifyP99 = 20 * time.Millisecond
	TargetIssue     = 1_000 // credentials/s, every acknowledged one durable
	TargetQR        = 1_000 // PNGs/s
)

// Result is one phase's outcome.
type Result struct {
	Phase   string
	Workers int
	Ops     int
	Errors  int
	Elapsed time.Duration
	Rate    float64 // successful operations per second
	// Cores is the CPU time this process used per second of the phase:
	// below the core count when other processes competed for the machine
	// (self-hosted, it covers the gateway and the clients).
	Cores float64
	// PerCPUSecond is successful operations per CPU-second of this
	// process: the rate independent of how much of the machine it got.
	PerCPUSecond float64
	P50, P90     time.Duration
	P99, Max     time.Duration
	Target       string
	Pass         bool
	Notes        []string
	FirstError   string
}

// Report is a whole run.
type Report struct {
	Start      time.Time
	Machine    Machine
	Config     Config
	SelfHosted bool
	URL        string
	Results    []Result
}

// perCPUSecond is 0 where the platform does not measure CPU time.
func perCPUSecond(pr phaseRun) float64 {
	if pr.CPU <= 0 {
		return 0
	}
	return float64(pr.Ops) / pr.CPU.Seconds()
}

// Passed reports whether every phase met its target.
func (r *Report) Passed() bool {
	for _, x := range r.Results {
		if !x.Pass {
			return false
		}
	}
	return len(r.Results) > 0
}

func result(phase string, workers int, pr phaseRun) Result {
	r := Result{Phase: phase, Workers: workers, Ops: pr.Ops, Errors: pr.Errors, Elapsed: pr.Elapsed, Rate: pr.Rate(),
		Cores:        pr.CPU.Seconds() / max(pr.Elapsed.Seconds(), 1e-9),
		PerCPUSecond: perCPUSecond(pr),
		P50:          pr.Percentile(50), P90: pr.Percentile(90), P99: pr.Percentile(99), Max: pr.Percentile(100)}
	if pr.FirstErr != nil {
		r.FirstError = pr.FirstErr.Error()
	}
	return r
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// withBuf lends a response buffer to fn.
func withBuf(fn func(*bytes.Buffer) error) error {
	b := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(b)
	return fn(b)
}

// Run runs the configured phases and returns their results. An error means
// the run could not be set up; a phase that misses its target is a result
// with Pass false.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rep := &Report{Start: time.Now().UTC(), Machine: ThisMachine(), Config: cfg}

	if cfg.has(PhaseInProcess) {
		r, err := runInProcess(ctx, cfg)
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, r)
	}
	if !cfg.has(PhaseIssue) && !cfg.has(PhaseVerify) && !cfg.has(PhaseQR) {
		return rep, nil
	}

	base, keys := cfg.URL, map[string]provision.DemoKey(nil)
	var host *selfHosted
	if base == "" {
		fmt.Fprintln(cfg.Progress, "starting a gateway on the embedded ledger with the demo registry...")
		h, err := startSelfHosted(ctx, "", cfg.Log)
		if err != nil {
			return nil, fmt.Errorf("start a gateway: %w", err)
		}
		defer h.cleanup()
		defer h.stop()
		host, base, keys = h, h.URL, h.Keys
		rep.SelfHosted = true
	} else {
		k, err := readKeys(cfg.KeysFile)
		if err != nil {
			return nil, err
		}
		keys = k
	}
	rep.URL = base

	t, apiKey, err := pickType(ctx, base, cfg, keys)
	if err != nil {
		return nil, err
	}
	cl := newClient(base, apiKey, cfg.Concurrency)
	defer cl.close()

	var creds []issued
	issueAt := -1 // index of the issuance result
	if cfg.has(PhaseIssue) {
		r, acked := runIssue(ctx, cfg, cl, t, PhaseIssue, cfg.IssueCount)
		creds = acked
		issueAt = len(rep.Results)
		rep.Results = append(rep.Results, r)
	}
	if len(creds) == 0 && (cfg.has(PhaseVerify) || cfg.has(PhaseQR)) {
		// Verification and QR need credentials to work on.
		r, acked := runIssue(ctx, cfg, cl, t, "seed", 2*cfg.Concurrency)
		if len(acked) == 0 {
			return nil, fmt.Errorf("could not issue any credential to verify: %s", r.FirstError)
		}
		creds = acked
	}
	if cfg.has(PhaseVerify) {
		rep.Results = append(rep.Results, runVerify(ctx, cfg, cl, creds))
	}
	if cfg.has(PhaseQR) {
		rep.Results = append(rep.Results, runQR(ctx, cfg, cl, creds))
	}
	if host != nil && issueAt >= 0 {
		issueRes := &rep.Results[issueAt]
		// Reopening the ledger file is the strongest check a process can
		// make of itself: the hash chain verifies and every acknowledged
		// issuance is in it.
		ids := make([]string, len(creds))
		for i, c := range creds {
			ids[i] = c.ID
		}
		cl.close()
		found, missing, err := host.reopenCheck(ctx, ids)
		switch {
		case err != nil:
			issueRes.Pass = false
			issueRes.Notes = append(issueRes.Notes, "reopening the ledger failed: "+err.Error())
		default:
			issueRes.Notes = append(issueRes.Notes, fmt.Sprintf("after closing and reopening the ledger (hash chain verified): %d/%d acknowledged credentials present", found, len(ids)))
			if len(missing) > 0 {
				issueRes.Pass = false
				issueRes.Notes = append(issueRes.Notes, "missing after reopen: "+missing[0])
			}
		}
	}
	return rep, nil
}

func runInProcess(ctx context.Context, cfg Config) (Result, error) {
	typeID := cfg.Type
	if _, err := newLocalCredential(typeID, time.Now().UTC()); err != nil {
		typeID = DefaultType // not a demo type: verify a demo credential instead
	}
	lc, err := newLocalCredential(typeID, time.Now().UTC())
	if err != nil {
		return Result{}, err
	}
	now := time.Now()
	workers := runtime.GOMAXPROCS(0)
	pr := runPhase(ctx, PhaseInProcess, workers, cfg.Count, cfg.Duration, cfg.Progress, func(context.Context, int) error {
		v := credential.Verify(credential.VerifyInput{Document: lc.Doc, Registry: lc.Registry, Record: lc.Record, Online: true, Now: now})
		if !v.Valid {
			return fmt.Errorf("in-process verification: %s", v.Status)
		}
		return nil
	})
	r := result(PhaseInProcess, workers, pr)
	r.Target = fmt.Sprintf(">= %d/s", TargetInProcess)
	r.Pass = r.Errors == 0 && r.Rate >= TargetInProcess
	r.Notes = append(r.Notes, fmt.Sprintf("credential.Verify of a signed %s on %d goroutines (GOMAXPROCS)", typeID, workers))
	return r, nil
}

// runIssue issues up to count credentials and reads every acknowledged one
// back.
func runIssue(ctx context.Context, cfg Config, cl *client, t credential.CredentialType, name string, count int) (Result, []issued) {
	run := make([]byte, 6)
	rand.Read(run)
	runID := "bench-" + hex.EncodeToString(run) + "-"
	out := make([]issued, count)
	pr := runPhase(ctx, name, cfg.Concurrency, count, cfg.Duration, cfg.Progress, func(ctx context.Context, i int) error {
		return withBuf(func(b *bytes.Buffer) error {
			it, err := cl.issue(ctx, issueBody(t, i), runID+strconv.Itoa(i), b)
			if err == nil {
				out[i] = it
			}
			return err
		})
	})
	acked := make([]issued, 0, pr.Ops)
	for _, it := range out {
		if it.ID != "" {
			acked = append(acked, it)
		}
	}
	r := result(name, cfg.Concurrency, pr)
	r.Target = fmt.Sprintf(">= %d/s, all durable", TargetIssue)

	// Read every acknowledged credential back: none may be lost.
	readBack := runPhase(ctx, "read-back", cfg.Concurrency, len(acked), max(cfg.Duration, 5*time.Minute), cfg.Progress, func(ctx context.Context, i int) error {
		return withBuf(func(b *bytes.Buffer) error { return cl.readable(ctx, acked[i].ID, b) })
	})
	r.Notes = append(r.Notes, fmt.Sprintf("%d/%d acknowledged credentials read back through GET /api/v1/credentials/{id}", readBack.Ops, len(acked)))
	if readBack.FirstErr != nil {
		r.Notes = append(r.Notes, "read-back failure: "+readBack.FirstErr.Error())
	}
	r.Pass = r.Errors == 0 && r.Rate >= TargetIssue && readBack.Ops == len(acked)
	return r, acked
}

func runVerify(ctx context.Context, cfg Config, cl *client, creds []issued) Result {
	bodies := make([][]byte, 0, min(len(creds), 1024))
	for _, c := range creds[:min(len(creds), 1024)] {
		b := append([]byte(`{"document":`), c.Doc...)
		bodies = append(bodies, append(b, '}'))
	}
	pr := runPhase(ctx, PhaseVerify, cfg.Concurrency, cfg.Count, cfg.Duration, cfg.Progress, func(ctx context.Context, i int) error {
		return withBuf(func(b *bytes.Buffer) error { return cl.verify(ctx, bodies[i%len(bodies)], b) })
	})
	r := result(PhaseVerify, cfg.Concurrency, pr)
	r.Target = fmt.Sprintf(">= %d/s, p99 < %s", TargetVerify, TargetVerifyP99)
	r.Pass = r.Errors == 0 && r.Rate >= TargetVerify && r.P99 < TargetVerifyP99
	r.Notes = append(r.Notes, fmt.Sprintf("POST /api/v1/verify with a full document, %d distinct credentials in turn", len(bodies)))
	return r
}

func runQR(ctx context.Context, cfg Config, cl *client, creds []issued) Result {
	pr := runPhase(ctx, PhaseQR, cfg.Concurrency, cfg.Count, cfg.Duration, cfg.Progress, func(ctx context.Context, i int) error {
		return withBuf(func(b *bytes.Buffer) error { return cl.qr(ctx, creds[i%len(creds)].QRPath, b) })
	})
	r := result(PhaseQR, cfg.Concurrency, pr)
	r.Target = fmt.Sprintf(">= %d/s", TargetQR)
	r.Pass = r.Errors == 0 && r.Rate >= TargetQR
	r.Notes = append(r.Notes, fmt.Sprintf("GET qr.png as the issuing department (qrUrl of the issuance answer), %d distinct credentials in turn", min(len(creds), cfg.Count)))
	return r
}

// pickType finds the credential type to issue and the API key of a
// department allowed to issue it.
func pickType(ctx context.Context, base string, cfg Config, keys map[string]provision.DemoKey) (credential.CredentialType, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	types, err := newClient(base, "", 1).types(ctx)
	if err != nil {
		return credential.CredentialType{}, "", fmt.Errorf("read the catalogue from %s: %w", base, err)
	}
	for _, t := range types {
		if t.ID != cfg.Type && t.Code != cfg.Type {
			continue
		}
		for _, dept := range t.Issuers {
			if k, ok := keys[dept]; ok && k.APIKey != "" {
				return t, k.APIKey, nil
			}
		}
		return t, "", fmt.Errorf("no API key in %s for a department that issues %s (%v)", cfg.KeysFile, t.ID, t.Issuers)
	}
	return credential.CredentialType{}, "", fmt.Errorf("the gateway has no credential type %q", cfg.Type)
}

// readKeys reads a demo-keys.json file.
func readKeys(path string) (map[string]provision.DemoKey, error) {
	var keys map[string]provision.DemoKey
	b, err := os.ReadFile(path)
	if err == nil {
		keys, _, err = provision.ParseDemoKeys(b)
	}
	if err == nil && len(keys) == 0 {
		err = errors.New("no API keys found")
	}
	if err != nil {
		return nil, fmt.Errorf("API keys %s: %w (start the gateway with --demo, or pass --keys)", path, err)
	}
	return keys, nil
}
