package network

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// runTool runs a Fabric command and returns its combined output; a failure
// is a *toolError carrying the output, which is where Fabric explains itself.
func runTool(ctx context.Context, env []string, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(cleanEnv(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), newToolError(bin, args, err, out.String())
	}
	return out.String(), nil
}

// toolError is a Fabric command that failed: why it stopped (an
// *exec.ExitError, or why it could not start) and what it printed.
type toolError struct {
	cmd    string
	err    error
	output string
}

func newToolError(bin string, args []string, err error, output string) *toolError {
	return &toolError{cmd: filepath.Base(bin) + " " + strings.Join(args, " "), err: err, output: strings.TrimSpace(output)}
}

func (e *toolError) Error() string { return e.cmd + ": " + e.err.Error() + "\n" + e.output }
func (e *toolError) Unwrap() error { return e.err }

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

// transient reports failures that go away by waiting: a node that is not
// listening yet, or a Fabric command that printed one of transientMessages.
func transient(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var te *toolError
	if !errors.As(err, &te) {
		return false
	}
	// Unavoidable text match: the Fabric CLIs exit 1 for every failure and say why only in their output.
	for _, m := range transientMessages {
		if strings.Contains(te.output, m) {
			return true
		}
	}
	return false
}
