package loadtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/network/nettest"
)

// TestChaosOnFabric runs the chaos mode briefly on a network of its own:
// every acknowledged credential is on the ledger once, no client saw a
// 500 or a 503 without Retry-After, and issuance resumed after each fault.
// The outage outlasts the gateway's 30 s request timeout, so clients are
// answered while the network is down: with 503 and Retry-After.
func TestChaosOnFabric(t *testing.T) {
	nettest.RequireFabric(t)
	exe := filepath.Join(t.TempDir(), "certledger")
	build := exec.Command("go", "build", "-o", exe, "github.com/certledger/certledger/cmd/certledger")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("building certledger: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	r, err := RunChaos(ctx, ChaosConfig{Concurrency: 16, Settle: 10 * time.Second, Outage: 35 * time.Second, Drain: 2 * time.Minute,
		Exe: exe, Progress: nettest.Log(t)})
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	r.WriteTable(&table)
	t.Log("\n" + table.String())
	if f := r.Failures(); len(f) > 0 {
		t.Fatalf("chaos run failed: %s", strings.Join(f, "; "))
	}
	if r.ledger.found != len(r.load.acks) || len(r.ledger.lost) != 0 || r.ledger.duplicates != 0 {
		t.Fatalf("ledger check %+v for %d acknowledged", r.ledger, len(r.load.acks))
	}
	ws := r.windows()
	if len(ws) != 5 {
		t.Fatalf("%d windows, want the steady one and four faults", len(ws))
	}
	for _, f := range r.faults {
		resumed := false
		for _, a := range r.load.acks {
			resumed = resumed || (a.at.After(f.restored) && a.at.Before(f.restored.Add(2*time.Minute)))
		}
		if !resumed {
			t.Errorf("no issuance acknowledged within 2 minutes after recovering from %q", f.name)
		}
	}
	if ws[4].outcomes[out503Retry] == 0 {
		t.Errorf("no client was answered 503 while the network was down for %s", r.cfg.Outage)
	}
}
