package network

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// FabricVersion is the Hyperledger Fabric release the network runs. The Go
// module proxy serves it only as a pseudo-version, pinned in
// network/fabric-tools/go.mod.
const FabricVersion = "v3.1.1"

// fabricTools are the Fabric commands the network needs.
// configtxlator computes the channel configuration update that adds a
// department (AddDepartment).
var fabricTools = []string{"peer", "orderer", "configtxgen", "osnadmin", "cryptogen", "configtxlator"}

// Fabric is a folder holding the built Fabric binaries and the default node
// configuration (core.yaml, orderer.yaml) of FabricVersion.
type Fabric struct {
	Dir string // <cache>/fabric-v3.1.1
}

// CacheDir is where built Fabric binaries are kept across runs:
// $CERTLEDGER_CACHE, else the user cache folder (XDG) + /certledger.
func CacheDir() string {
	if d := os.Getenv("CERTLEDGER_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "certledger")
	}
	return filepath.Join(os.TempDir(), "certledger-cache")
}

// LocateFabric returns the Fabric folder in the cache, built or not.
func LocateFabric() Fabric {
	return Fabric{Dir: filepath.Join(CacheDir(), "fabric-"+FabricVersion)}
}

// Bin is the path of a Fabric command.
func (f Fabric) Bin(name string) string { return filepath.Join(f.Dir, "bin", name) }

// ConfigDir holds Fabric's default core.yaml and orderer.yaml.
func (f Fabric) ConfigDir() string { return filepath.Join(f.Dir, "sampleconfig") }

func (f Fabric) stampPath() string { return filepath.Join(f.Dir, "bin", ".stamp") }

// Ready reports whether all binaries and default configs are present and
// were completed by a successful Build of FabricVersion.
func (f Fabric) Ready() bool {
	stamp, err := os.ReadFile(f.stampPath())
	if err != nil || strings.TrimSpace(string(stamp)) != FabricVersion {
		return false
	}
	for _, t := range fabricTools {
		if st, err := os.Stat(f.Bin(t)); err != nil || st.Mode()&0o111 == 0 {
			return false
		}
	}
	for _, c := range []string{"core.yaml", "orderer.yaml"} {
		if _, err := os.Stat(filepath.Join(f.ConfigDir(), c)); err != nil {
			return false
		}
	}
	return true
}

// Build compiles the Fabric binaries into the cache unless they are already
// there, writing progress lines to progress (may be nil). Concurrent Builds
// (parallel test packages, say) wait for each other through a lock file.
func Build(ctx context.Context, progress io.Writer) (Fabric, error) {
	if progress == nil {
		progress = io.Discard
	}
	f := LocateFabric()
	if f.Ready() {
		fmt.Fprintf(progress, "Fabric %s binaries: %s\n", FabricVersion, filepath.Dir(f.Bin("peer")))
		return f, nil
	}
	if err := os.MkdirAll(filepath.Join(f.Dir, "bin"), 0o755); err != nil {
		return f, err
	}
	unlock, err := lockFile(filepath.Join(f.Dir, ".lock"))
	if err != nil {
		return f, err
	}
	defer unlock()
	if f.Ready() { // built by whoever held the lock before us
		return f, nil
	}
	// A cache completed for this version before a tool joined the list keeps
	// its binaries: only the missing tools are built.
	stamp, _ := os.ReadFile(f.stampPath())
	sameVersion := strings.TrimSpace(string(stamp)) == FabricVersion
	src, err := sourceRoot()
	if err != nil {
		return f, fmt.Errorf("network: building Fabric needs the CertLedger source tree: %w", err)
	}
	mod := filepath.Join(src, "network", "fabric-tools")
	fmt.Fprintf(progress, "Building Fabric %s into %s (a cold build downloads modules and takes a few minutes)\n",
		FabricVersion, filepath.Dir(f.Bin("peer")))
	start := time.Now()
	for i, t := range fabricTools {
		if st, err := os.Stat(f.Bin(t)); sameVersion && err == nil && st.Mode()&0o111 != 0 {
			continue
		}
		step := time.Now()
		fmt.Fprintf(progress, "  [%d/%d] %s ...\n", i+1, len(fabricTools), t)
		tmp := f.Bin(t) + ".tmp"
		err := runWithTicker(ctx, progress, t, mod, "go", "build", "-trimpath", "-o", tmp,
			"github.com/hyperledger/fabric/cmd/"+t)
		if err != nil {
			return f, fmt.Errorf("network: building %s: %w", t, err)
		}
		if err := os.Rename(tmp, f.Bin(t)); err != nil {
			return f, err
		}
		fmt.Fprintf(progress, "  [%d/%d] %s built in %s\n", i+1, len(fabricTools), t, time.Since(step).Round(100*time.Millisecond))
	}
	if err := copySampleConfig(ctx, mod, f.ConfigDir()); err != nil {
		return f, err
	}
	if err := os.WriteFile(f.stampPath(), []byte(FabricVersion+"\n"), 0o644); err != nil {
		return f, err
	}
	fmt.Fprintf(progress, "Fabric %s built in %s\n", FabricVersion, time.Since(start).Round(time.Second))
	return f, nil
}

// runWithTicker runs a go command in dir, printing a heartbeat every 15s so
// a long module download does not look like a hang.
func runWithTicker(ctx context.Context, progress io.Writer, what, dir string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	// GOWORK=off: a go.work above the tree must not pull the tools module in.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	out := &tailBuffer{max: 4096}
	cmd.Stdout, cmd.Stderr = out, out
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		start := time.Now()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(progress, "        %s: still building (%s)\n", what, time.Since(start).Round(time.Second))
			}
		}
	}()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w\n%s", err, out.String())
	}
	return nil
}

// copySampleConfig copies Fabric's default core.yaml and orderer.yaml out of
// the module cache: the network derives its node configuration from them
// (environment variables override most keys; see nodeconfig.go).
func copySampleConfig(ctx context.Context, mod, dst string) error {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/hyperledger/fabric")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("network: locating the fabric module: %w", err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "sampleconfig")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"core.yaml", "orderer.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// lockFile takes an exclusive advisory lock, blocking until it is free.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// tailBuffer keeps the last max bytes written, for error messages.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(string(t.b)) }
