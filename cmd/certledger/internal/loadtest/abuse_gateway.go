package loadtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// abuseGateway is a fresh `certledger serve --demo` started for one abuse
// case, as a process of its own so that its peak memory is the case's.
type abuseGateway struct {
	cmd  *exec.Cmd
	url  string
	dir  string // data folder and log, removed by stop
	log  string
	done chan struct{}
}

// startAbuseGateway starts exe's `serve --demo` on a temporary data folder
// and a free loopback port, with the default limits but for args, and
// waits until /healthz answers.
func startAbuseGateway(ctx context.Context, exe string, args []string) (*abuseGateway, error) {
	dir, err := os.MkdirTemp("", "certledger-bench-abuse-")
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	g := &abuseGateway{url: "http://" + addr, dir: dir, log: filepath.Join(dir, "gateway.log"), done: make(chan struct{})}
	logf, err := os.Create(g.log)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	g.cmd = exec.Command(exe, append([]string{"serve", "--demo", "--data", filepath.Join(dir, "data"), "--addr", addr}, args...)...)
	g.cmd.Stdout, g.cmd.Stderr = logf, logf
	g.cmd.Env = defaultLimitsEnv(os.Environ())
	if err := g.cmd.Start(); err != nil {
		logf.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { g.cmd.Wait(); logf.Close(); close(g.done) }()
	start := time.Now()
	for {
		select {
		case <-g.done:
			err := fmt.Errorf("the gateway exited during start-up: %s", g.logTail())
			g.stop()
			return nil, err
		case <-ctx.Done():
			g.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if resp, err := http.Get(g.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return g, nil
			}
		}
		if time.Since(start) > time.Minute {
			err := fmt.Errorf("the gateway was not healthy after a minute: %s", g.logTail())
			g.stop()
			return nil, err
		}
	}
}

// defaultLimitsEnv drops the variables that would change the gateway's
// limits or runtime from their defaults: every CERTLEDGER_ setting, and
// the Go runtime's own memory and GC settings.
func defaultLimitsEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CERTLEDGER_") || k == "GOMEMLIMIT" || k == "GOGC" || k == "GODEBUG" {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// alive reports whether the gateway still runs.
func (g *abuseGateway) alive() bool {
	select {
	case <-g.done:
		return false
	default:
		return true
	}
}

// healthy reports whether the gateway still answers /healthz.
func (g *abuseGateway) healthy() bool {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(g.url + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// peakRSS is the gateway's peak resident memory so far, in bytes (0 when
// the process has gone).
func (g *abuseGateway) peakRSS() int64 {
	if !g.alive() {
		return 0
	}
	_, peak := procMemory(g.cmd.Process.Pid)
	return peak * 1024
}

// stop ends the gateway and removes its folder.
func (g *abuseGateway) stop() {
	if g.alive() {
		g.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-g.done:
		case <-time.After(15 * time.Second):
			g.cmd.Process.Kill()
			<-g.done
		}
	}
	os.RemoveAll(g.dir)
}

// logTail is the end of the gateway's log, for an error message.
func (g *abuseGateway) logTail() string {
	b, _ := os.ReadFile(g.log)
	s := strings.TrimSpace(string(b))
	if len(s) > 1500 {
		s = "..." + s[len(s)-1500:]
	}
	if s == "" {
		return "(no output)"
	}
	return s
}
