package scenario

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/provision"
)

// DemoKey is one department's entry in <data>/demo-keys.json.
type DemoKey struct {
	APIKey string   `json:"apiKey"`
	MSPID  string   `json:"mspId"`
	Types  []string `json:"types"`
}

// Target is a running gateway the suite drives. Backends differ only in how
// the server is started, so the same suite runs on the embedded ledger and on
// a real Fabric network.
type Target interface {
	URL() string
	Keys() map[string]DemoKey
	// Citizens returns the demo citizens and their passwords at the demo
	// identity provider.
	Citizens() []provision.DemoCitizen
	// Staff returns the demo departments' staff and their passwords at
	// the demo identity provider.
	Staff() []provision.DemoStaff
	// Restart stops the gateway gracefully and starts it again on the same
	// data.
	Restart(t testing.TB)
	// Crash kills the gateway with SIGKILL and starts it again on the same
	// data.
	Crash(t testing.TB)
	// MoveClock sets the gateway's clock to the wall clock plus offset
	// (0 puts it back), at once and without a restart.
	MoveClock(t testing.TB, offset time.Duration)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds the certledger command once per test process and returns its
// path. It is built with the scenarioclock tag, which lets the suite move
// the gateway's clock (Target.MoveClock); release builds lack that hook.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "certledger-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "certledger")
		out, err := exec.Command("go", "build", "-tags", "scenarioclock", "-o", binPath, "github.com/certledger/certledger/cmd/certledger").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Server is a `certledger serve --demo` process.
type Server struct {
	Bin     string
	DataDir string
	Args    []string // extra flags, e.g. --ledger fabric --network DIR
	// KEKFile is the key-encryption key passed with --kek-file; empty, Start
	// makes one beside the data folder, as an operator keeps it outside.
	KEKFile string
	LogPath string
	// StartTimeout bounds the wait for /healthz.
	StartTimeout time.Duration

	addr     string
	cmd      *exec.Cmd
	done     chan struct{}
	keys     map[string]DemoKey
	citizens []provision.DemoCitizen
	staff    []provision.DemoStaff
}

// Start launches the server on a free loopback port and waits until it is
// healthy.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if s.StartTimeout == 0 {
		s.StartTimeout = 60 * time.Second
	}
	if s.addr == "" {
		s.addr = freeAddr(t)
	}
	if s.LogPath == "" {
		s.LogPath = filepath.Join(s.DataDir, "..", filepath.Base(s.DataDir)+"-gateway.log")
	}
	if s.KEKFile == "" {
		s.KEKFile = filepath.Join(s.DataDir, "..", filepath.Base(s.DataDir)+".kek")
		if err := atrest.WriteFile(s.KEKFile, atrest.Generate()); err != nil {
			t.Fatal(err)
		}
	}
	logf, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	// The suites drive one gateway hard from one address: its abuse limits are off (s.Args may turn them on).
	args := append([]string{"serve", "--demo", "--data", s.DataDir, "--kek-file", s.KEKFile, "--addr", s.addr,
		"--rate-public", "off", "--rate-api-key", "off", "--rate-auth-failure", "off", "--max-conns-per-ip", "-1"}, s.Args...)
	cmd := exec.Command(s.Bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "CERTLEDGER_SCENARIO_CLOCK="+s.clockFile())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd = cmd
	s.done = make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(s.done) }()

	deadline := time.Now().Add(s.StartTimeout)
	for {
		select {
		case <-s.done:
			t.Fatalf("certledger serve exited during start-up; log %s:\n%s", s.LogPath, tail(s.LogPath))
		default:
		}
		resp, err := http.Get(s.URL() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			s.kill()
			t.Fatalf("certledger serve not healthy after %s; log %s:\n%s", s.StartTimeout, s.LogPath, tail(s.LogPath))
		}
		time.Sleep(100 * time.Millisecond)
	}
	raw, err := os.ReadFile(filepath.Join(s.DataDir, "demo-keys.json"))
	if err != nil {
		t.Fatalf("demo keys: %v", err)
	}
	keys, citizens, err := provision.ParseDemoKeys(raw)
	if err != nil {
		t.Fatalf("demo-keys.json: %v", err)
	}
	s.keys = map[string]DemoKey{}
	for name, k := range keys {
		s.keys[name] = DemoKey{APIKey: k.APIKey, MSPID: k.MSPID, Types: k.Types}
	}
	s.citizens = citizens
	if s.staff, err = provision.ParseDemoStaff(raw); err != nil {
		t.Fatalf("demo-keys.json: %v", err)
	}
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.addr }

// Keys returns the demo departments' API keys.
func (s *Server) Keys() map[string]DemoKey { return s.keys }

// Citizens implements Target.
func (s *Server) Citizens() []provision.DemoCitizen { return s.citizens }

// Staff implements Target.
func (s *Server) Staff() []provision.DemoStaff { return s.staff }

// Stop asks the server to shut down and waits for it.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.kill()
		t.Fatalf("certledger serve did not stop within 30s after SIGTERM")
	}
	s.cmd = nil
}

func (s *Server) kill() {
	if s.cmd != nil {
		_ = s.cmd.Process.Kill()
		<-s.done
		s.cmd = nil
	}
}

// Restart implements Target.
func (s *Server) Restart(t testing.TB) { s.Stop(t); s.Start(t) }

// Crash implements Target.
func (s *Server) Crash(t testing.TB) { s.kill(); s.Start(t) }

// MoveClock implements Target: the gateway's clock reads the offset from
// a file at every call (cmd/certledger/clock_scenario.go).
func (s *Server) MoveClock(t testing.TB, offset time.Duration) {
	t.Helper()
	if err := os.WriteFile(s.clockFile(), []byte(offset.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (s *Server) clockFile() string {
	return filepath.Join(filepath.Dir(s.DataDir), filepath.Base(s.DataDir)+"-clock")
}

// Close stops the server, for t.Cleanup.
func (s *Server) Close() {
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			s.kill()
		}
		s.cmd = nil
	}
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func tail(path string) string {
	raw, _ := os.ReadFile(path)
	lines := strings.Split(string(raw), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}
