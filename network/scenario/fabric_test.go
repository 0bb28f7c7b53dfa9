package scenario

import (
	"context"
	"github.com/certledger/certledger/network/portplan"
	"path/filepath"
	"testing"
	"time"

	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/nettest"
)

// TestFabric runs the same scenario against `certledger serve --ledger
// fabric --network DIR --demo` on a real Fabric network (three Raft
// orderers, five peers of four departments, and the peer of the department
// the suite onboards, added with network.AddDepartment) brought up for this
// test. Its
// Crash step SIGKILLs the gateway: what was acknowledged must be on the
// channel when the new gateway reads it back.
func TestFabric(t *testing.T) {
	nettest.RequireFabric(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	base := nettest.BasePort(t, portplan.Scenario)
	dir := filepath.Join(t.TempDir(), "network")
	t.Cleanup(func() {
		if err := network.Down(dir, false); err != nil {
			t.Errorf("network down: %v", err)
		}
	})
	start := time.Now()
	if _, err := network.Up(ctx, network.Options{Dir: dir, BasePort: base}); err != nil {
		t.Fatal(err)
	}
	t.Logf("network up in %s (base port %d)", time.Since(start).Round(100*time.Millisecond), base)
	// The suite onboards a department and issues as it: on Fabric its
	// organization must first join the channel, as an operator does with
	// `certledger network add-department` before the gateway starts.
	start = time.Now()
	if _, err := network.AddDepartment(ctx, dir, network.NewDepartment{ID: joinID, MSPID: joinMSPID,
		NameZh: "公安局", NameEn: "Public Security Bureau", Peers: 1}, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s joined the channel in %s", joinID, time.Since(start).Round(100*time.Millisecond))

	srv := &Server{Bin: Binary(t), DataDir: filepath.Join(t.TempDir(), "data"),
		Args: []string{"--ledger", "fabric", "--network", dir}, StartTimeout: 2 * time.Minute}
	srv.Start(t)
	t.Cleanup(srv.Close)
	start = time.Now()
	Run(t, srv)
	t.Logf("scenario on Fabric in %s", time.Since(start).Round(100*time.Millisecond))
}
