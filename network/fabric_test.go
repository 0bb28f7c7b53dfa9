package network_test

import (
	"context"
	"github.com/certledger/certledger/network/portplan"
	"github.com/certledger/certledger/network/profile"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/nettest"
)

// startNetwork brings a fresh network up in a temporary folder on free
// ports of the test's range and stops it when the test ends.
func startNetwork(t *testing.T, ctx context.Context, consensus network.Consensus, use portplan.Use) (network.Options, *profile.Profile) {
	t.Helper()
	o := network.Options{Dir: t.TempDir(), Consensus: consensus, BasePort: nettest.BasePort(t, use), Progress: nettest.Log(t)}
	t.Cleanup(func() {
		if err := network.Down(o.Dir, false); err != nil {
			t.Errorf("down: %v", err)
		}
	})
	start := time.Now()
	p, err := network.Up(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s network up from nothing in %s", consensus, time.Since(start).Round(100*time.Millisecond))
	return o, p
}

// put writes key=value through the kv chaincode with the peer CLI, as
// department dept, and waits for the commit.
func put(t *testing.T, ctx context.Context, dir, dept, key, value string) {
	t.Helper()
	ord, err := network.OrdererArgs(dir)
	if err != nil {
		t.Fatal(err)
	}
	end, err := network.EndorserArgs(dir, dept)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"chaincode", "invoke", "-C", network.DefaultChannel, "-n", network.KVChaincodeName,
		"-c", `{"Args":["put","` + key + `","` + value + `"]}`, "--waitForEvent"}, ord...)
	if _, err := network.PeerCLI(ctx, dir, dept, append(args, end...)...); err != nil {
		t.Fatal(err)
	}
}

// get reads a key through the kv chaincode as department dept.
func get(t *testing.T, ctx context.Context, dir, dept, key string) string {
	t.Helper()
	out, err := network.PeerCLI(ctx, dir, dept, "chaincode", "query", "-C", network.DefaultChannel, "-n", network.KVChaincodeName,
		"-c", `{"Args":["get","`+key+`"]}`)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// requireHealthy fails unless every node is healthy, and logs memory use.
func requireHealthy(t *testing.T, ctx context.Context, dir string) map[string]int {
	t.Helper()
	nodes, err := network.Status(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	pids := map[string]int{}
	for _, n := range nodes {
		if !n.Healthy {
			t.Fatalf("%s unhealthy: %s", n.Name, n.Detail)
		}
		pids[n.Name] = n.PID
		t.Logf("%-14s pid %-7d rss %4d MB, peak %4d MB", n.Name, n.PID, n.RSSKB/1024, n.PeakRSSKB/1024)
	}
	return pids
}
