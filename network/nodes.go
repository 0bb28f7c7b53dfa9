package network

import (
	"context"
	"fmt"
	"net"
	"time"
)

// startTimeout bounds how long a node may take to report healthy.
const startTimeout = 60 * time.Second

// ensureRunning starts a node unless its recorded process still runs.
// It reports whether it started it.
func ensureRunning(l layout, n node, bin string, env []string, args ...string) (bool, error) {
	if _, ok := readPID(l.pidFile(n.Name)); ok {
		return false, nil
	}
	for _, p := range []int{n.Port, n.AuxPort, n.OpsPort} {
		if err := waitPortFree(p, portFreeWithin); err != nil {
			return false, fmt.Errorf("network: cannot start %s: %w", n.Name, err)
		}
	}
	_, err := startProcess(bin, env, l.logFile(n.Name), l.pidFile(n.Name), args...)
	return err == nil, err
}

// portFreeWithin bounds the wait for a port a node just stopped still holds:
// on a loaded machine a killed process can take seconds to be torn down.
const portFreeWithin = 10 * time.Second

// waitPortFree polls portFree until the port is free or within has passed.
func waitPortFree(port int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		err := portFree(port)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// portFree fails when something already listens on a port the node needs,
// which would otherwise surface as an obscure bind error in the node's log.
func portFree(port int) error {
	if port == 0 {
		return nil
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("port %d is in use", port)
	}
	return ln.Close()
}

// waitHealthy waits for a node's health check to pass, failing early if
// its process died (the node's log says why).
func waitHealthy(ctx context.Context, l layout, n node) error {
	return waitFor(ctx, startTimeout, n.Name, func() error {
		if _, ok := readPID(l.pidFile(n.Name)); !ok {
			return permanentError{fmt.Errorf("process exited; see %s", l.logFile(n.Name))}
		}
		return nodeHealth(ctx, n)
	})
}

// nodeHealth is /healthz for orderers and peers, a TCP dial for chaincode
// servers.
func nodeHealth(ctx context.Context, n node) error {
	if n.Kind == kindChaincode {
		return dialable(n.address())
	}
	return healthz(ctx, n.opsAddress())
}
