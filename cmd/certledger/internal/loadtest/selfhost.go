package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/certledger/certledger/cmd/certledger/internal/demosignin"
	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/gateway/provision"
)

// selfHosted is a gateway this process started on a data folder of its
// own: the embedded ledger with the demo registry, as `certledger serve
// --demo` would run it, listening on a free loopback port.
type selfHosted struct {
	Dir       string
	URL       string
	Keys      map[string]provision.DemoKey
	Citizens  []provision.DemoCitizen // who signs in at the demo identity provider
	kek       atrest.KEK
	ledger    *embedded.Ledger
	srv       *gateway.Server
	served    chan error
	logFile   *os.File
	stopped   bool
	temporary bool
}

// startSelfHosted starts the gateway. dir empty: a temporary folder that
// cleanup removes. logw empty: the access log goes to gateway.log in the
// folder, so the load test pays for logging as a real server does.
func startSelfHosted(ctx context.Context, dir string, logw io.Writer) (*selfHosted, error) {
	return startSelfHostedWith(ctx, dir, logw, nil, nil)
}

// startSelfHostedWith is startSelfHosted with extra accounts at the demo
// identity provider, besides the demo citizens, and tune, when not nil,
// changing the gateway's configuration before it starts.
func startSelfHostedWith(ctx context.Context, dir string, logw io.Writer, extra []provision.DemoCitizen, tune func(*gateway.Config)) (*selfHosted, error) {
	s := &selfHosted{Dir: dir}
	if dir == "" {
		d, err := os.MkdirTemp("", "certledger-bench-")
		if err != nil {
			return nil, err
		}
		s.Dir, s.temporary = d, true
	}
	ok := false
	defer func() {
		if !ok {
			s.stop()
			s.cleanup()
		}
	}()
	if logw == nil {
		f, err := os.OpenFile(filepath.Join(s.Dir, "gateway.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, err
		}
		s.logFile, logw = f, f
	}
	// As `serve --demo` does: the folder's own demo KEK seals its data.
	kek, _, err := atrest.LoadOrCreateDemo(s.Dir)
	if err != nil {
		return nil, err
	}
	s.kek = kek
	ks, err := keystore.Open(s.Dir, kek)
	if err != nil {
		return nil, err
	}
	if s.ledger, err = embedded.Open(s.Dir, s.kek); err != nil {
		return nil, err
	}
	demo, err := provision.Demo(ctx, s.ledger, ks, s.Dir, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	demo.Citizens = append(demo.Citizens, extra...)
	s.Citizens = demo.Citizens
	if s.Keys, err = provision.ReadDemoKeys(s.Dir); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// Every client of the load comes from loopback with one API key: the
	// connection caps and rate limits, meant for many clients, are off so
	// the load measures the gateway instead.
	cfg := gateway.Config{Addr: ln.Addr().String(), PublicURL: "http://" + ln.Addr().String(), Logger: slog.New(slog.NewTextHandler(logw, nil)),
		MaxConns: -1, MaxConnsPerIP: -1, PublicLimit: gateway.Off, APIKeyLimit: gateway.Off, AuthFailureLimit: gateway.Off, StateDir: s.Dir, KEK: s.kek}
	// Citizens sign in at the demo identity provider as with `serve --demo`.
	if tune != nil {
		tune(&cfg)
	}
	if err := demosignin.Wire(&cfg, demo); err != nil {
		ln.Close()
		return nil, err
	}
	s.srv, err = gateway.New(cfg, s.ledger, ks)
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.served = make(chan error, 1)
	go func() { s.served <- s.srv.Serve(ln) }()
	s.URL = "http://" + ln.Addr().String()
	ok = true
	return s, nil
}

// stop shuts the gateway down and closes the ledger.
func (s *selfHosted) stop() error {
	if s.stopped {
		return nil
	}
	s.stopped = true
	var errs []error
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		errs = append(errs, s.srv.Shutdown(ctx))
		cancel()
		if err := <-s.served; err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if s.ledger != nil {
		errs = append(errs, s.ledger.Close())
	}
	if s.logFile != nil {
		errs = append(errs, s.logFile.Close())
	}
	return errors.Join(errs...)
}

// reopenCheck stops the gateway, opens the ledger file again (which
// verifies its hash chain) and counts the identifiers it holds a record of.
func (s *selfHosted) reopenCheck(ctx context.Context, ids []string) (found int, missing []string, err error) {
	if err := s.stop(); err != nil {
		return 0, nil, fmt.Errorf("stop the gateway: %w", err)
	}
	l, err := embedded.Open(s.Dir, s.kek)
	if err != nil {
		return 0, nil, fmt.Errorf("reopen the ledger: %w", err)
	}
	defer l.Close()
	for _, id := range ids {
		if _, err := l.Record(ctx, id); err != nil {
			missing = append(missing, id)
			continue
		}
		found++
	}
	return found, missing, nil
}

// cleanup removes a temporary data folder.
func (s *selfHosted) cleanup() {
	if s.temporary {
		os.RemoveAll(s.Dir)
	}
}

// citizenTarget is the gateway a citizens' benchmark runs against: the one
// at cfg.URL, with the demo keys and citizens of cfg.KeysFile, or one the
// tool starts on the embedded ledger, whose identity provider also knows
// the extra citizens. stop ends and removes a gateway the tool started.
func citizenTarget(ctx context.Context, cfg Config, rep *Report, extra []provision.DemoCitizen) (base string, keys map[string]provision.DemoKey, citizens []provision.DemoCitizen, stop func(), err error) {
	stop = func() {}
	if cfg.URL != "" {
		keys, citizens, err = readDemoFile(cfg.KeysFile)
		rep.URL = cfg.URL
		return cfg.URL, keys, citizens, stop, err
	}
	fmt.Fprintln(cfg.Progress, "starting a gateway on the embedded ledger with the demo registry and identity provider...")
	h, err := startSelfHostedWith(ctx, "", cfg.Log, extra, nil)
	if err != nil {
		return "", nil, nil, stop, fmt.Errorf("start a gateway: %w", err)
	}
	rep.URL, rep.SelfHosted = h.URL, true
	return h.URL, h.Keys, h.Citizens, func() { h.stop(); h.cleanup() }, nil
}
