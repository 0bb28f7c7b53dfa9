package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/certledger/certledger/gateway/provision"
)

// Markers of the section `certledger bench-fabric --chaos --write` owns in
// a Markdown file.
const (
	ChaosSectionBegin = "<!-- certledger-bench-chaos:begin -->"
	ChaosSectionEnd   = "<!-- certledger-bench-chaos:end -->"
)

// chaosDept issues every credential of the chaos run. It has two peers, so
// killing one tests the gateway's failover to the other rather than an
// outage whose length the harness itself chooses.
const chaosDept = "hrss"

// ChaosConfig says how to run the chaos benchmark: issuance load through
// the gateway while the harness kills the Raft leader, a peer of the
// issuing department and the gateway, and stops and starts the network.
type ChaosConfig struct {
	// Dir, BasePort and BatchTimeout are as in FabricConfig.
	Dir          string
	BasePort     int
	BatchTimeout time.Duration
	// Concurrency is the number of clients issuing.
	Concurrency int
	// Settle is the load before the first fault and after each recovery.
	Settle time.Duration
	// Outage is how long the killed orderer and peer, and the stopped
	// network, stay down. Longer than the gateway's request timeout, it
	// shows what clients are answered while the ledger cannot be reached.
	Outage time.Duration
	// Drain bounds how long, after the load ends, clients keep retrying the
	// issuance they were making (default DefaultChaosDrain).
	Drain time.Duration
	// ImportRows, when set, makes the load bulk imports instead of single
	// issuances: files of this many rows, one under way at each fault
	// (RunChaosImport).
	ImportRows int
	// Keep leaves the network, the gateway and the folder.
	Keep bool
	// Exe is the certledger binary whose `serve` runs the gateway.
	Exe string
	// Progress receives progress lines (default os.Stderr).
	Progress io.Writer
}

// Defaults of ChaosConfig.
const (
	DefaultChaosOutage = 10 * time.Second
	DefaultChaosDrain  = 3 * time.Minute
)

// Validate checks a configuration.
func (c ChaosConfig) Validate() error {
	if c.Concurrency < 1 || c.Settle <= 0 || c.Outage < 0 || c.Exe == "" {
		return errors.New("concurrency, settle time and the certledger binary must be set, and the outage not negative")
	}
	return nil
}

// RunChaos brings up a network with a gateway on it, runs the issuance
// load through the faults (chaosFaults), then reads the issuing
// department's credentials back from the ledger.
func RunChaos(ctx context.Context, cfg ChaosConfig) (*ChaosReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BasePort == 0 {
		cfg.BasePort = DefaultFabricBasePort
	}
	if cfg.Drain <= 0 {
		cfg.Drain = DefaultChaosDrain
	}
	if cfg.Progress == nil {
		cfg.Progress = os.Stderr
	}
	r := &ChaosReport{cfg: cfg, start: time.Now().UTC(), machine: ThisMachine()}
	e, keys, err := setUpChaos(ctx, cfg, &r.up)
	defer e.close()
	if err != nil {
		return nil, err
	}
	load, err := newChaosLoad(ctx, e.gw.url, keys[chaosDept], cfg)
	if err != nil {
		return nil, err
	}
	progress(cfg.Progress, "chaos: %d clients issue as %s through %s; faults every %s, killed nodes down %s", cfg.Concurrency, chaosDept, e.gw.url, cfg.Settle, cfg.Outage)
	load.start(ctx)
	settle := func() error { return sleepCtx(ctx, cfg.Settle) }
	r.faults, err = injectFaults(ctx, e, cfg, faultHooks{
		before: func(string) (string, error) { return "", settle() },
		end:    settle,
		count:  load.acknowledged,
	})
	load.stop()
	r.load = load.result()
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, errors.New("interrupted")
	}
	progress(cfg.Progress, "chaos: load over (%d acknowledged); reading %s's credentials back from the ledger", len(r.load.acks), chaosDept)
	if r.ledger, err = checkLedger(ctx, e.profile, chaosDept, load.run, r.load.acks); err != nil {
		return nil, fmt.Errorf("reading the ledger back: %w", err)
	}
	return r, nil
}

// setUpChaos brings up a network and starts the chaos gateway on it, with
// args besides the benchmark's own; up is set to the network's bring-up
// time. What it set up is undone by the env's close, even after an error.
func setUpChaos(ctx context.Context, cfg ChaosConfig, up *time.Duration, args ...string) (*fabricEnv, map[string]provision.DemoKey, error) {
	e := &fabricEnv{dir: cfg.Dir, keep: cfg.Keep}
	var err error
	if _, *up, err = e.upNetwork(ctx, FabricConfig{Dir: cfg.Dir, BasePort: cfg.BasePort, BatchTimeout: cfg.BatchTimeout, Progress: cfg.Progress}); err != nil {
		return e, nil, err
	}
	if e.gw, err = startGatewayProcess(ctx, cfg.Exe, e.dir, "chaos-gateway", args...); err != nil {
		return e, nil, err
	}
	e.undoUnlessKept(func() { e.gw.stop() })
	keys, err := readKeys(filepath.Join(e.gw.data, "demo-keys.json"))
	return e, keys, err
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// progress writes one time-stamped progress line.
func progress(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
