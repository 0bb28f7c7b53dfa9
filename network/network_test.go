package network

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRaftNetwork runs the default network through its life: up from
// nothing, a transaction, an idempotent second up, a crashed and restarted
// peer, down and up again on the same ledger.
func TestRaftNetwork(t *testing.T) {
	requireFabric(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	o, p := startNetwork(t, ctx, Raft, 27000)
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
	meta, err := PeerCLI(ctx, o.Dir, "samr", "chaincode", "query", "-C", DefaultChannel, "-n", ChaincodeName,
		"-c", `{"Args":["org.hyperledger.fabric:GetMetadata"]}`)
	if err != nil || !strings.Contains(meta, `"contracts"`) {
		t.Fatalf("contract metadata: %v\n%.300s", err, meta)
	}

	// Up again: nothing is restarted.
	start := time.Now()
	if _, err := Up(ctx, Options{Dir: o.Dir}); err != nil {
		t.Fatal(err)
	}
	t.Logf("second up (all running) in %s", time.Since(start).Round(100*time.Millisecond))
	if again := requireHealthy(t, ctx, o.Dir); !maps.Equal(pids, again) {
		t.Fatalf("second up restarted nodes: %v -> %v", pids, again)
	}

	requireLifecycleChecks(t, ctx, o.Dir)

	// A crashed peer comes back and catches up; its department's other
	// peer serves meanwhile.
	if err := StopNode(o.Dir, "peer0.hrss", true); err != nil {
		t.Fatal(err)
	}
	put(t, ctx, o.Dir, "samr", "while-down", "yes")
	if err := StartNode(ctx, o.Dir, "peer0.hrss"); err != nil {
		t.Fatal(err)
	}
	waitValue(t, ctx, o.Dir, "hrss", "while-down", "yes")

	// One of three Raft orderers crashes: submits through the gateway go on
	// (after a leader election if it led).
	if err := StopNode(o.Dir, "orderer0", true); err != nil {
		t.Fatal(err)
	}
	kv := gatewayContract(t, p, "edu", KVChaincodeName)
	start = time.Now()
	for i := range 5 {
		if _, err := submitRetry(kv, "put", fmt.Sprint("no-orderer0-", i), "ok"); err != nil {
			t.Fatalf("submit %d without orderer0: %v", i, err)
		}
	}
	t.Logf("5 submits with orderer0 down in %s", time.Since(start).Round(100*time.Millisecond))
	if err := StartNode(ctx, o.Dir, "orderer0"); err != nil {
		t.Fatal(err)
	}

	// Down keeps the ledger; up resumes it.
	if err := Down(o.Dir, false); err != nil {
		t.Fatal(err)
	}
	nodes, err := Status(ctx, o.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Running {
			t.Fatalf("%s still running after down", n.Name)
		}
	}
	start = time.Now()
	if _, err := Up(ctx, Options{Dir: o.Dir}); err != nil {
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
	requireFabric(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	o, p := startNetwork(t, ctx, BFT, 28000)
	recorded, err := RecordedOptions(o.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Orderers) != 4 || recorded.Consensus != BFT {
		t.Fatalf("profile: %d orderers; recorded consensus %s", len(p.Orderers), recorded.Consensus)
	}
	requireHealthy(t, ctx, o.Dir)
	put(t, ctx, o.Dir, "edu", "bft", "ok")
	if got := get(t, ctx, o.Dir, "samr", "bft"); got != "ok" {
		t.Fatalf("get = %q, want ok", got)
	}
	if err := Down(o.Dir, true); err != nil {
		t.Fatal(err)
	}
	if exists(o.Dir) {
		t.Fatal("down --purge left the network folder")
	}
}

// waitValue polls a key until it has the wanted value: a restarted peer
// catches up on blocks asynchronously.
func waitValue(t *testing.T, ctx context.Context, dir, dept, key, want string) {
	t.Helper()
	err := waitFor(ctx, 30*time.Second, key, func() error {
		out, err := PeerCLI(ctx, dir, dept, "chaincode", "query", "-C", DefaultChannel, "-n", KVChaincodeName,
			"-c", `{"Args":["get","`+key+`"]}`)
		if err == nil && strings.TrimSpace(out) != want {
			return fmt.Errorf("value %q, want %q", strings.TrimSpace(out), want)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// requireLifecycleChecks runs the checks an interrupted Up relies on to
// tell a step already done from a failure, on the deployed contract: they
// read the peer CLI's JSON answers and its exit status.
func requireLifecycleChecks(t *testing.T, ctx context.Context, dir string) {
	t.Helper()
	_, top, l, err := existing(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, cc := LocateFabric(), chaincodes[0]
	pkg, err := os.ReadFile(l.packageFile(cc))
	if err != nil {
		t.Fatal(err)
	}
	id := packageID(cc.label(), pkg)
	p := top.peersOf(top.Departments[0])[0]
	next := cc
	next.Sequence++
	for _, c := range []struct {
		name      string
		got, want bool
	}{
		{"on the channel", onChannel(ctx, f, l, p), true},
		{"installed", installed(ctx, f, l, p, id), true},
		{"another package installed", installed(ctx, f, l, p, cc.label()+":00"), false},
		{"approved", approved(ctx, f, l, p, cc, id), true},
		{"approved for another package", approved(ctx, f, l, p, cc, cc.label()+":00"), false},
		{"approved at the next sequence", approved(ctx, f, l, p, next, id), false},
		{"committed", committed(ctx, f, l, top, cc), true},
		{"committed at the next sequence", committed(ctx, f, l, top, next), false},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}
