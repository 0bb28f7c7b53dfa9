package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/certledger/certledger/gateway/atrest"
)

// gatewayProcess is `certledger serve --ledger fabric --demo` run by the
// benchmark as a process of its own, so its memory is its own.
type gatewayProcess struct {
	cmd     *exec.Cmd
	url     string
	data    string
	startup time.Duration
	done    chan struct{}
	argv    []string // to start it again the same way
	logPath string
	kekFile string // the KEK its keystore is sealed under
}

// plainGatewayArgs start the reference gateway without the measures of
// docs/decisions/0006: one transaction per issuance, as many under way as
// there are clients (as before batching), and no record cache.
var plainGatewayArgs = []string{"--issue-batch", "1", "--issue-batches-in-flight", "256", "--record-cache", "0"}

// unlimitedArgs turn off the gateway's abuse limits: the load comes from
// one address with one API key per department, and it measures the ledger
// path, not the limiter.
var unlimitedArgs = []string{"--rate-public", "off", "--rate-api-key", "off", "--rate-auth-failure", "off", "--max-conns-per-ip", "-1"}

// startGatewayProcess starts `certledger serve --ledger fabric --demo` (exe
// is the certledger binary) on the network with its data folder and log
// named after name.
func startGatewayProcess(ctx context.Context, exe, netDir, name string, args ...string) (*gatewayProcess, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	data := filepath.Join(netDir, name)
	// The keystore is sealed under a KEK kept outside the data folder, as
	// an operator keeps it; a second start of the same gateway reuses it.
	kekFile := filepath.Join(netDir, name+".kek")
	if _, err := os.Stat(kekFile); errors.Is(err, fs.ErrNotExist) {
		if err := atrest.WriteFile(kekFile, atrest.Generate()); err != nil {
			return nil, err
		}
	}
	g := &gatewayProcess{url: "http://" + addr, data: data, logPath: filepath.Join(netDir, name+".log"), kekFile: kekFile,
		argv: append(append([]string{exe, "serve", "--ledger", "fabric", "--network", netDir, "--demo", "--data", data, "--kek-file", kekFile, "--addr", addr}, unlimitedArgs...), args...)}
	if err := g.start(ctx); err != nil {
		return nil, err
	}
	return g, nil
}

// start runs the gateway and waits until it is healthy and has written
// its demo keys.
func (g *gatewayProcess) start(ctx context.Context) error {
	logf, err := os.OpenFile(g.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd, done := exec.Command(g.argv[0], g.argv[1:]...), make(chan struct{})
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	g.cmd, g.done = cmd, done
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	for {
		select {
		case <-done:
			return fmt.Errorf("the gateway exited during start-up; see %s", g.logPath)
		case <-ctx.Done():
			g.stop()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(g.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if _, err := os.Stat(filepath.Join(g.data, "demo-keys.json")); err == nil {
					g.startup = time.Since(start)
					return nil
				}
			}
		}
		if time.Since(start) > 3*time.Minute {
			g.stop()
			return fmt.Errorf("the gateway was not healthy after 3 minutes; see %s", g.logPath)
		}
	}
}

func (g *gatewayProcess) stop() {
	select {
	case <-g.done:
		return
	default:
	}
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(30 * time.Second):
		g.cmd.Process.Kill()
		<-g.done
	}
}

// kill ends the gateway with SIGKILL, as a crash would, and waits for it.
func (g *gatewayProcess) kill() {
	select {
	case <-g.done:
		return
	default:
	}
	g.cmd.Process.Kill()
	<-g.done
}
