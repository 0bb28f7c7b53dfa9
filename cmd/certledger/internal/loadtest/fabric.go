package loadtest

import (
	"context"
	"errors"
	"github.com/certledger/certledger/network/portplan"
	"io"
	"os"
	"time"
)

// FabricTarget is the share of raw Fabric throughput the gateway must
// reach for issuance and for verification.
const FabricTarget = 0.80

// Markers of the section `certledger bench-fabric --write` owns in a
// Markdown file; the embedded benchmark's section has its own.
const (
	FabricSectionBegin = "<!-- certledger-bench-fabric:begin -->"
	FabricSectionEnd   = "<!-- certledger-bench-fabric:end -->"
)

// FabricConfig says how to run the Fabric benchmark.
type FabricConfig struct {
	// Dir is the network folder; empty: a temporary folder, removed
	// afterwards unless Keep.
	Dir string
	// BasePort is the first base port to try (0: DefaultFabricBasePort).
	BasePort int
	// BatchTimeout is the orderer batch timeout of a new network (0: the
	// network's default).
	BatchTimeout time.Duration
	// Concurrency is the number of concurrent clients, for the gateway and
	// for raw Fabric alike.
	Concurrency int
	// Duration is the time of each phase.
	Duration time.Duration
	// ValueSize is the bytes of each raw kv put.
	ValueSize int
	// Keep leaves the network and the gateways running, and the folder.
	Keep bool
	// Rounds of all phases, interleaved so that load from elsewhere on the
	// machine hits both sides alike.
	Rounds int
	// Exe is the certledger binary whose `serve` runs the gateways.
	Exe string
	// Progress receives progress lines (default os.Stderr).
	Progress io.Writer
}

// Defaults of FabricConfig.
const (
	DefaultFabricDuration  = 15 * time.Second
	DefaultFabricValueSize = 600 // about a credential record's size
	DefaultFabricRounds    = 2
)

// DefaultFabricBasePort is where the benchmark's search for free ports
// starts: its range in the port plan of everything that runs networks.
var DefaultFabricBasePort = portplan.BenchFabric.Ports().From

// Validate checks a configuration.
func (c FabricConfig) Validate() error {
	if c.Concurrency < 1 || c.Duration <= 0 || c.Rounds < 1 || c.Exe == "" {
		return errors.New("concurrency, duration, rounds and the certledger binary must be set")
	}
	return nil
}

// RunFabric brings up a Fabric network with two gateways on it and measures
// each round's phases: raw kv put, CertLedger's contract called directly,
// issuance and verification through both gateways, a direct contract get
// and raw kv get.
func RunFabric(ctx context.Context, cfg FabricConfig) (*FabricReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BasePort == 0 {
		cfg.BasePort = DefaultFabricBasePort
	}
	if cfg.Progress == nil {
		cfg.Progress = os.Stderr
	}
	r := &FabricReport{cfg: cfg, start: time.Now().UTC(), machine: ThisMachine(), cpu: cpuByPhase{}}
	env, err := setUpFabric(ctx, cfg, r)
	defer env.close()
	if err != nil {
		return nil, err
	}
	if err := r.measureRounds(ctx, env); err != nil {
		return nil, err
	}
	if r.memory, err = env.memory(ctx); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, errors.New("interrupted")
	}
	return r, nil
}
