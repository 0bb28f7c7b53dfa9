package network

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// runTool runs a Fabric command and returns its combined output; a failure
// carries the output, which is where Fabric explains itself.
func runTool(ctx context.Context, env []string, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(cleanEnv(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err,
			strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// cleanEnv is the caller's environment without Fabric settings, so that a
// CORE_ or ORDERER_ variable in the user's shell cannot reconfigure a node.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CORE_") || strings.HasPrefix(kv, "ORDERER_") ||
			strings.HasPrefix(kv, "FABRIC_") || strings.HasPrefix(kv, "CHAINCODE_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// retry calls fn until it succeeds, returns a non-transient error, or the
// deadline passes. Fabric answers "no Raft leader" or "unavailable" for a
// few seconds after orderers start, and lifecycle transactions hit that.
func retry(ctx context.Context, timeout time.Duration, fn func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil || !transient(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// transientMessages are Fabric failures that go away by waiting.
var transientMessages = []string{
	"no Raft leader",
	"SERVICE_UNAVAILABLE",
	"service unavailable",
	"connection refused",
	"Unavailable",
	"failed to connect",
	"context deadline exceeded",
	"no leader",
}

func transient(err error) bool {
	for _, m := range transientMessages {
		if strings.Contains(err.Error(), m) {
			return true
		}
	}
	return false
}
