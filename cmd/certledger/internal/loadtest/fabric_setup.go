package loadtest

import (
	"context"
	"fmt"
	"github.com/certledger/certledger/network/portplan"
	"github.com/certledger/certledger/network/rawfabric"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/profile"
)

// fabricEnv is what one Fabric benchmark runs on: the network, the two
// gateways and the raw clients, and the processes whose CPU time counts.
type fabricEnv struct {
	dir       string
	profile   *profile.Profile
	gw, plain *gatewayProcess
	kv        *rawfabric.KV     // the kv chaincode as samr
	cc        *rawfabric.Client // CertLedger's contract as samr
	wallet    *fabricWallet     // the holder's list, through the gateway and directly
	procs     map[string]int    // by name: every node, both gateways, this process
	undo      []func()          // in the order of setting up
	keep      bool              // leave the network and gateways running
}

// close undoes the set-up in reverse order.
func (e *fabricEnv) close() {
	for _, f := range slices.Backward(e.undo) {
		f()
	}
}

// setUpFabric builds the Fabric binaries when they are missing, brings up
// the network and starts the gateways on it, noting the times in r. What
// it set up is undone by close, even after an error, except what Keep
// keeps.
func setUpFabric(ctx context.Context, cfg FabricConfig, r *FabricReport) (*fabricEnv, error) {
	e := &fabricEnv{dir: cfg.Dir, keep: cfg.Keep}
	var err error
	if r.build, r.up, err = e.upNetwork(ctx, cfg); err != nil {
		return e, err
	}
	if err := e.startGateways(ctx, cfg); err != nil {
		return e, err
	}
	r.gatewayUp = e.gw.startup
	if e.procs, err = benchProcesses(ctx, e.dir, e.gw.cmd.Process.Pid); err != nil {
		return e, err
	}
	e.procs["gateway-plain"] = e.plain.cmd.Process.Pid
	if err := e.dial(ctx, cfg); err != nil {
		return e, err
	}
	if err := e.setUpWallet(ctx, cfg); err != nil {
		return e, err
	}
	recorded, err := network.RecordedOptions(e.dir)
	if err != nil {
		return e, err
	}
	r.batchTimeout = recorded.BatchTimeout.String()
	return e, nil
}

// undoUnlessKept has close undo f, unless the run keeps what it set up.
func (e *fabricEnv) undoUnlessKept(f func()) {
	if !e.keep {
		e.undo = append(e.undo, f)
	}
}

// upNetwork builds the Fabric binaries when they are missing (build is
// the time that took, 0 when cached) and brings up a new network in
// cfg.Dir, or a temporary folder, on free ports.
func (e *fabricEnv) upNetwork(ctx context.Context, cfg FabricConfig) (build, up time.Duration, err error) {
	if !network.LocateFabric().Ready() {
		t := time.Now()
		if _, err := network.Build(ctx, cfg.Progress); err != nil {
			return 0, 0, err
		}
		build = time.Since(t)
	}
	temporary := e.dir == ""
	if temporary {
		d, err := os.MkdirTemp("", "certledger-bench-fabric-")
		if err != nil {
			return build, 0, err
		}
		e.dir = filepath.Join(d, "network")
		e.undoUnlessKept(func() { os.RemoveAll(d) })
	}
	base, err := freeBasePort(cfg.BasePort)
	if err != nil {
		return build, 0, err
	}
	t := time.Now()
	e.profile, err = network.Up(ctx, network.Options{Dir: e.dir, BasePort: base, BatchTimeout: cfg.BatchTimeout, Progress: cfg.Progress})
	e.undoUnlessKept(func() { network.Down(e.dir, temporary) })
	return build, time.Since(t), err
}

// freeBasePort searches bench-fabric's range of the port plan, below the
// ephemeral range the benchmark's own many client connections draw from;
// from another --base-port it searches as many ports.
func freeBasePort(from int) (int, error) {
	r := portplan.BenchFabric.Ports()
	if from < r.From || from >= r.To {
		r = portplan.Range{From: from, To: from + r.To - r.From}
	}
	return network.FreeBasePort(r.From, r.To)
}

func (e *fabricEnv) startGateways(ctx context.Context, cfg FabricConfig) error {
	var err error
	if e.gw, err = startGatewayProcess(ctx, cfg.Exe, e.dir, "bench-gateway"); err != nil {
		return err
	}
	e.undoUnlessKept(func() { e.gw.stop() })
	if e.plain, err = startGatewayProcess(ctx, cfg.Exe, e.dir, "bench-gateway-plain", plainGatewayArgs...); err != nil {
		return err
	}
	e.undoUnlessKept(func() { e.plain.stop() })
	return nil
}

// dial connects the raw clients as samr, through the peer and identity
// the gateway uses for samr, and waits until a kv put goes through.
func (e *fabricEnv) dial(ctx context.Context, cfg FabricConfig) error {
	var err error
	if e.kv, err = rawfabric.DialKV(e.profile, "samr"); err != nil {
		return err
	}
	e.undo = append(e.undo, e.kv.Close)
	warmUp := e.kv.Load(cfg.ValueSize)
	if err := rawfabric.RetryNotReady(ctx, func() error { return warmUp.Put(ctx, 0) }); err != nil {
		return fmt.Errorf("raw kv put: %w", err)
	}
	if e.cc, err = rawfabric.Dial(e.profile, "samr"); err != nil {
		return err
	}
	e.undo = append(e.undo, e.cc.Close)
	return nil
}

// benchProcesses names the processes whose CPU time is accounted: every
// node of the network, the gateway and this process.
func benchProcesses(ctx context.Context, dir string, gatewayPID int) (map[string]int, error) {
	nodes, err := network.Status(ctx, dir)
	if err != nil {
		return nil, err
	}
	out := map[string]int{"gateway": gatewayPID, "clients": os.Getpid()}
	for _, n := range nodes {
		if n.PID > 0 {
			out[n.Name] = n.PID
		}
	}
	return out, nil
}

// memory is every process's resident memory at the end of the run: the
// nodes', the gateways' (the reference one when there is one) and this
// process's.
func (e *fabricEnv) memory(ctx context.Context) ([]memoryRow, error) {
	nodes, err := network.Status(ctx, e.dir)
	if err != nil {
		return nil, err
	}
	var rows []memoryRow
	for _, n := range nodes {
		rows = append(rows, memoryRow{name: n.Name, rss: n.RSSKB, peak: n.PeakRSSKB, processPID: n.PID})
	}
	type proc struct {
		name string
		pid  int
	}
	procs := []proc{{"certledger serve (gateway)", e.gw.cmd.Process.Pid}}
	if e.plain != nil {
		procs = append(procs, proc{"certledger serve " + strings.Join(plainGatewayArgs, " ") + " (reference gateway)", e.plain.cmd.Process.Pid})
	}
	procs = append(procs, proc{"certledger bench-fabric (clients)", os.Getpid()})
	for _, p := range procs {
		rss, peak := procMemory(p.pid)
		rows = append(rows, memoryRow{name: p.name, rss: rss, peak: peak, processPID: p.pid})
	}
	return rows, nil
}
