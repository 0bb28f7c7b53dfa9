package network

import (
	"context"
	"github.com/certledger/certledger/network/profile"
	"os"
	"strings"
	"testing"
	"time"
)

// requireFabric skips a test that needs a real network unless the Fabric
// binaries are built, building them first when CERTLEDGER_FABRIC=1 (as CI
// does). CERTLEDGER_FABRIC=0 skips even with binaries present.
func requireFabric(t *testing.T) {
	t.Helper()
	switch {
	case testing.Short():
		t.Skip("-short: skipping tests that run a real Fabric network")
	case os.Getenv("CERTLEDGER_FABRIC") == "0":
		t.Skip("CERTLEDGER_FABRIC=0: skipping tests that run a real Fabric network")
	case LocateFabric().Ready():
		return
	case os.Getenv("CERTLEDGER_FABRIC") != "1":
		t.Skip("Fabric " + FabricVersion + " binaries not built: run `certledger network build` or set CERTLEDGER_FABRIC=1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	if _, err := Build(ctx, testLog{t}); err != nil {
		t.Fatal(err)
	}
}

// testLog sends progress lines to the test log.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startNetwork brings a fresh network up in a temporary folder on free
// ports and stops it when the test ends.
func startNetwork(t *testing.T, ctx context.Context, consensus Consensus, from int) (Options, *profile.Profile) {
	t.Helper()
	base, err := FreeBasePort(from)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Dir: t.TempDir(), Consensus: consensus, BasePort: base, Progress: testLog{t}}
	t.Cleanup(func() {
		if err := Down(o.Dir, false); err != nil {
			t.Errorf("down: %v", err)
		}
	})
	start := time.Now()
	p, err := Up(ctx, o)
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
	ord, err := OrdererArgs(dir)
	if err != nil {
		t.Fatal(err)
	}
	end, err := EndorserArgs(dir, dept)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"chaincode", "invoke", "-C", DefaultChannel, "-n", KVChaincodeName,
		"-c", `{"Args":["put","` + key + `","` + value + `"]}`, "--waitForEvent"}, ord...)
	if _, err := PeerCLI(ctx, dir, dept, append(args, end...)...); err != nil {
		t.Fatal(err)
	}
}

// get reads a key through the kv chaincode as department dept.
func get(t *testing.T, ctx context.Context, dir, dept, key string) string {
	t.Helper()
	out, err := PeerCLI(ctx, dir, dept, "chaincode", "query", "-C", DefaultChannel, "-n", KVChaincodeName,
		"-c", `{"Args":["get","`+key+`"]}`)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// requireHealthy fails unless every node is healthy, and logs memory use.
func requireHealthy(t *testing.T, ctx context.Context, dir string) map[string]int {
	t.Helper()
	nodes, err := Status(ctx, dir)
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
