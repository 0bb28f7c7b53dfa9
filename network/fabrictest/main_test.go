package fabrictest

import (
	"context"
	"flag"
	"fmt"
	"github.com/certledger/certledger/network/portplan"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/nettest"
	connprofile "github.com/certledger/certledger/network/profile"
	"github.com/certledger/certledger/network/scenario"
)

// The shared network and gateway of the package.
var (
	skipReason string
	netDir     string
	profile    *connprofile.Profile
	workDir    string

	gwOnce sync.Once
	gw     *scenario.Server
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if skipReason = nettest.SkipReason(); skipReason != "" {
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	if err := nettest.BuildFabric(os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fabrictest: build Fabric:", err)
		return 1
	}
	var err error
	if workDir, err = os.MkdirTemp("", "certledger-fabrictest-"); err != nil {
		fmt.Fprintln(os.Stderr, "fabrictest:", err)
		return 1
	}
	defer os.RemoveAll(workDir)
	base, err := portplan.FabricTest.FreeBase()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fabrictest:", err)
		return 1
	}
	netDir = filepath.Join(workDir, "network")
	start := time.Now()
	profile, err = network.Up(ctx, network.Options{Dir: netDir, BasePort: base})
	defer func() {
		if err := network.Down(netDir, false); err != nil {
			fmt.Fprintln(os.Stderr, "fabrictest: network down:", err)
		}
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fabrictest: network up:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "fabrictest: network up in %s (base port %d)\n", time.Since(start).Round(100*time.Millisecond), base)
	defer func() {
		if gw != nil {
			gw.Close()
		}
	}()
	return m.Run()
}

// need skips the test when the package has no network.
func need(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}

// gateway returns the package's `certledger serve --ledger fabric --demo`
// process, started on first use and kept for every test.
func gateway(t *testing.T) *scenario.Server {
	t.Helper()
	need(t)
	gwOnce.Do(func() {
		s := &scenario.Server{Bin: scenario.Binary(t), DataDir: filepath.Join(workDir, "data"),
			Args: []string{"--ledger", "fabric", "--network", netDir}, StartTimeout: 2 * time.Minute,
			LogPath: os.Getenv("CERTLEDGER_FABRICTEST_LOG")}
		s.Start(t)
		gw = s
	})
	if gw == nil {
		t.Fatal("the gateway did not start (see the first test's failure)")
	}
	return gw
}
