package network

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// chaincodeBinary returns the server binary of a chaincode for the network
// in l: the one given in Options; else one compiled from the CertLedger
// source tree; else one lying next to the running executable (a release
// install without sources).
func chaincodeBinary(ctx context.Context, o Options, l layout, cc chaincode) (string, error) {
	explicit := o.ChaincodeBinary
	if cc.Name == KVChaincodeName {
		explicit = o.KVChaincodeBinary
	}
	if explicit != "" {
		return explicit, nil
	}
	name := filepath.Base(cc.Command)
	src, err := sourceRoot()
	if err != nil {
		if exe, e := os.Executable(); e == nil {
			if p := filepath.Join(filepath.Dir(exe), name); exists(p) {
				return p, nil
			}
		}
		return "", fmt.Errorf("network: no %s binary: %w", name, err)
	}
	built, err := compileChaincode(ctx, src, cc)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(l.binDir(), name)
	return dst, installCopy(built, dst)
}

// compileChaincode builds a chaincode server into a fixed place in the
// cache. go build leaves an up-to-date output alone, so networks after the
// first (every test makes one) pay neither compile nor link.
func compileChaincode(ctx context.Context, src string, cc chaincode) (string, error) {
	dir := filepath.Join(CacheDir(), "chaincode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(dir, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	out := filepath.Join(dir, filepath.Base(cc.Command))
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, cc.Command)
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("network: building %s: %w\n%s", cc.Command, err, b)
	}
	return out, nil
}

// installCopy copies a binary into the network's own bin folder, unless an
// identical copy is there. The network runs its copy, so a later rebuild
// in the cache never rewrites a running executable.
func installCopy(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, b) {
		return nil
	}
	return writeFileAtomic(dst, b, 0o755)
}
