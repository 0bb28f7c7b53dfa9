package network_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/certledger/certledger/network/portplan"
	"github.com/certledger/certledger/network/rawfabric"
	"io/fs"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/nettest"
)

// TestRaftNetwork runs the default network through its life: up from
// nothing, a transaction, an idempotent second up, a crashed and restarted
// peer, down and up again on the same ledger.
func TestRaftNetwork(t *testing.T) {
	nettest.RequireFabric(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	o, p := startNetwork(t, ctx, network.Raft, portplan.RaftNetwork)
	if len(p.Departments) != 4 || len(p.Orderers) != 3 {
		t.Fatalf("profile: %d departments, %d orderers", len(p.Departments), len(p.Orderers))
	}
	pids := requireHealthy(t, ctx, o.Dir)

	// A write endorsed by one department is read by another.
	put(t, ctx, o.Dir, "gov", "greeting", "hello")
	if got := get(t, ctx, o.Dir, "hrss", "greeting"); got != "hello" {
		t.Fatalf("get = %q, want hello", got)
	}

	// CertLedger's contract answers through its chaincode service.
	meta, err := network.PeerCLI(ctx, o.Dir, "samr", "chaincode", "query", "-C", network.DefaultChannel, "-n", network.ChaincodeName,
		"-c", `{"Args":["org.hyperledger.fabric:GetMetadata"]}`)
	if err != nil || !strings.Contains(meta, `"contracts"`) {
		t.Fatalf("contract metadata: %v\n%.300s", err, meta)
	}

	// Up again: nothing is restarted.
	start := time.Now()
	if _, err := network.Up(ctx, network.Options{Dir: o.Dir}); err != nil {
		t.Fatal(err)
	}
	t.Logf("second up (all running) in %s", time.Since(start).Round(100*time.Millisecond))
	if again := requireHealthy(t, ctx, o.Dir); !maps.Equal(pids, again) {
		t.Fatalf("second up restarted nodes: %v -> %v", pids, again)
	}

	network.RequireLifecycleChecks(t, ctx, o.Dir)

	// A crashed peer comes back and catches up; its department's other
	// peer serves meanwhile.
	if err := network.StopNode(o.Dir, "peer0.hrss", true); err != nil {
		t.Fatal(err)
	}
	put(t, ctx, o.Dir, "samr", "while-down", "yes")
	if err := network.StartNode(ctx, o.Dir, "peer0.hrss"); err != nil {
		t.Fatal(err)
	}
	waitValue(t, ctx, o.Dir, "hrss", "while-down", "yes")

	// One of three Raft orderers crashes: submits through the gateway go on
	// (after a leader election if it led).
	if err := network.StopNode(o.Dir, "orderer0", true); err != nil {
		t.Fatal(err)
	}
	kv := nettest.ConnectKV(t, p, "edu")
	start = time.Now()
	for i := range 5 {
		key := fmt.Sprint("no-orderer0-", i)
		if err := rawfabric.RetryNotReady(ctx, func() error { return kv.Put(ctx, key, "ok") }); err != nil {
			t.Fatalf("submit %d without orderer0: %v", i, err)
		}
	}
	t.Logf("5 submits with orderer0 down in %s", time.Since(start).Round(100*time.Millisecond))
	if got, err := kv.Get(ctx, "no-orderer0-4"); err != nil || got != "ok" {
		t.Fatalf("get through the Fabric Gateway = %q, %v; want ok", got, err)
	}
	if err := network.StartNode(ctx, o.Dir, "orderer0"); err != nil {
		t.Fatal(err)
	}

	// Down keeps the ledger; up resumes it.
	if err := network.Down(o.Dir, false); err != nil {
		t.Fatal(err)
	}
	nodes, err := network.Status(ctx, o.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Running {
			t.Fatalf("%s still running after down", n.Name)
		}
	}
	start = time.Now()
	if _, err := network.Up(ctx, network.Options{Dir: o.Dir}); err != nil {
		t.Fatal(err)
	}
	t.Logf("up after down in %s", time.Since(start).Round(100*time.Millisecond))
	requireHealthy(t, ctx, o.Dir)
	if got := get(t, ctx, o.Dir, "edu", "greeting"); got != "hello" {
		t.Fatalf("after restart get = %q, want hello", got)
	}
}

// TestBFTNetwork brings up the four-orderer BFT variant and commits a
// transaction through it.
func TestBFTNetwork(t *testing.T) {
	nettest.RequireFabric(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	o, p := startNetwork(t, ctx, network.BFT, portplan.BFTNetwork)
	recorded, err := network.RecordedOptions(o.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Orderers) != 4 || recorded.Consensus != network.BFT {
		t.Fatalf("profile: %d orderers; recorded consensus %s", len(p.Orderers), recorded.Consensus)
	}
	requireHealthy(t, ctx, o.Dir)
	put(t, ctx, o.Dir, "edu", "bft", "ok")
	if got := get(t, ctx, o.Dir, "samr", "bft"); got != "ok" {
		t.Fatalf("get = %q, want ok", got)
	}
	if err := network.Down(o.Dir, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(o.Dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("down --purge left the network folder")
	}
}

// waitValue polls a key until it has the wanted value: a restarted peer
// catches up on blocks asynchronously.
func waitValue(t *testing.T, ctx context.Context, dir, dept, key, want string) {
	t.Helper()
	nettest.Eventually(t, 30*time.Second, "value of "+key, func() error {
		out, err := network.PeerCLI(ctx, dir, dept, "chaincode", "query", "-C", network.DefaultChannel, "-n", network.KVChaincodeName,
			"-c", `{"Args":["get","`+key+`"]}`)
		if err == nil && strings.TrimSpace(out) != want {
			return fmt.Errorf("value %q, want %q", strings.TrimSpace(out), want)
		}
		return err
	})
}
