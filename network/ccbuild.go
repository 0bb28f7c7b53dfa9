package network

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// chaincodeBinary returns the server binary of a chaincode: the one given
// in Options, else one compiled from the CertLedger source tree into
// <dir>/bin (incremental, so quick after the first time), else one lying
// next to the running executable (a release install without sources).
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
	out := filepath.Join(l.binDir(), name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, cc.Command)
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("network: building %s: %w\n%s", cc.Command, err, b)
	}
	return out, nil
}
