package nettest

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/network"
)

// buildTimeout bounds building the Fabric binaries from source on a
// cold cache.
const buildTimeout = 45 * time.Minute

// SkipReason says why tests that run a real Fabric network do not run
// here, or returns "" when they do: -short and CERTLEDGER_FABRIC=0 skip
// them, and so do missing Fabric binaries unless CERTLEDGER_FABRIC=1 (as
// in CI), which has them built first. Call it after flag.Parse.
func SkipReason() string {
	switch {
	case testing.Short():
		return "-short: skipping tests that run a real Fabric network"
	case os.Getenv("CERTLEDGER_FABRIC") == "0":
		return "CERTLEDGER_FABRIC=0: skipping tests that run a real Fabric network"
	case !network.LocateFabric().Ready() && os.Getenv("CERTLEDGER_FABRIC") != "1":
		return "Fabric " + network.FabricVersion + " binaries not built: run `certledger network build` or set CERTLEDGER_FABRIC=1"
	}
	return ""
}

// BuildFabric builds the Fabric binaries unless they are built already;
// tests run it once SkipReason has returned "".
func BuildFabric(progress io.Writer) error {
	if network.LocateFabric().Ready() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	_, err := network.Build(ctx, progress)
	return err
}

// RequireFabric skips t unless tests that run a real Fabric network run
// here (see SkipReason), and builds the binaries first when they are
// missing.
func RequireFabric(t testing.TB) {
	t.Helper()
	if reason := SkipReason(); reason != "" {
		t.Skip(reason)
	}
	if err := BuildFabric(Log(t)); err != nil {
		t.Fatal(err)
	}
}

// Log is a writer of progress lines (network.Options.Progress) into t's
// log.
func Log(t testing.TB) io.Writer { return testLog{t} }

type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
