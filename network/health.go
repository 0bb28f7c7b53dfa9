package network

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var opsClient = &http.Client{Timeout: 2 * time.Second}

// healthz asks a node's operations endpoint whether the node is healthy:
// nil on 200, else an error carrying the failed checks Fabric reports.
func healthz(ctx context.Context, opsAddr string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+opsAddr+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := opsClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// dialable reports whether a TCP listener accepts connections: the health
// check of a chaincode server, which has no operations endpoint.
func dialable(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

// metric reads the sum of a Prometheus gauge over the series whose labels
// contain labelMatch (e.g. `channel="certledger"`) from a node's /metrics.
func metric(ctx context.Context, opsAddr, name, labelMatch string) (float64, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+opsAddr+"/metrics", nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := opsClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	var sum float64
	found := false
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 64*1024), 1024*1024)
	for s.Scan() {
		line := s.Text()
		if !strings.HasPrefix(line, name) || !strings.Contains(line, labelMatch) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue // a longer metric name sharing the prefix
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
			found = true
		}
	}
	return sum, found, s.Err()
}

// waitFor polls check until it returns nil or the timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, what string, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		var stop permanentError
		if errors.As(err, &stop) {
			return fmt.Errorf("network: %s: %w", what, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("network: %s: not ready after %s: %w", what, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// permanentError stops waitFor at once: waiting cannot fix it.
type permanentError struct{ error }
