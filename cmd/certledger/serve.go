package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/certledger/certledger/cmd/certledger/internal/demosignin"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/gateway/provision"
)

func init() {
	commands["serve"] = command{run: runServe, summary: "run the gateway: REST API, verification pages, metrics"}
	ledgerBackends["embedded"] = ledgerBackend{
		summary: "in-process ledger in the data folder",
		open: func(ctx context.Context, o serveOptions, ks *keystore.Store, kek atrest.KEK) (credential.Ledger, error) {
			return embedded.Open(o.Data, kek)
		},
	}
}

// serveOptions is the configuration of `certledger serve`, from flags and
// environment variables (a flag wins over its variable).
type serveOptions struct {
	Addr   string
	Data   string
	Ledger string
	Demo   bool
	// KEK is where the key-encryption key of the data folder comes from;
	// with Demo and none given, the folder's demo KEK is used.
	KEK       kekSource
	PublicURL string
	// GatewayURLs are the other gateways' public URLs, comma-separated.
	GatewayURLs string
	// DepartmentGateways are dept=URL pairs, comma-separated.
	DepartmentGateways string
	LogFormat          string
	// CompromiseWindow is gateway.Config.CompromiseWindow.
	CompromiseWindow time.Duration
	// MemoryLimit is the Go runtime's soft memory limit in bytes (0: none).
	MemoryLimit int64
	MaxConns    int
	// BodyMemory and ImportLimit are gateway.Config's, in bytes (0: its
	// defaults): an import file larger than 16 MiB needs both raised.
	BodyMemory, ImportLimit int64
	MaxConnsPerIP           int
	// ImportAnchorSize and ImportAnchorings are gateway.Config's; 0
	// anchorings is the ledger backend's default.
	ImportAnchorSize, ImportAnchorings int
	// Rate limits, and the reverse proxies (comma-separated addresses or
	// CIDR prefixes) whose X-Forwarded-For names the client.
	PublicLimit, APIKeyLimit, AuthFailureLimit gateway.RateLimit
	TrustedProxies                             string
	// TLSCert and TLSKey make the gateway serve HTTPS itself.
	TLSCert, TLSKey string
	// TimeZone is gateway.Config.TimeZone: the same on every gateway of a
	// deployment, whichever ledger it serves.
	TimeZone *time.Location
	// Webhooks are the webhook switches.
	Webhooks webhookOptions
	// Citizen sign-in: the OpenID provider and the gateway's registration
	// with it (the secret from the environment or a file), the claims, the
	// sessions' expiries. Scopes are comma-separated.
	OIDCIssuer, OIDCClientID, OIDCClientSecret, OIDCClientSecretFile string
	OIDCRedirectURL, OIDCScopes                                      string
	OIDCClaimIDType, OIDCClaimIDNumber, OIDCClaimName                string
	OIDCClaimDept, OIDCClaimRoles                                    string
	SessionIdle, SessionLifetime                                     time.Duration
}

// apiKeyUseFile, in the data folder, keeps when this gateway last accepted
// each API key.
const apiKeyUseFile = "api-key-use.json"

// defaultMemoryLimit makes the collector work harder before the process
// outgrows a small host, instead of letting the heap double first.
const defaultMemoryLimit = 1 << 30

// ledgerBackend opens one kind of ledger for serve. Each backend registers
// itself in an init() of its own file; flags adds backend-specific flags
// (such as the Fabric network folder) before parsing.
type ledgerBackend struct {
	summary string
	flags   func(fs *flag.FlagSet)
	// importAnchorings is gateway.Config.ImportAnchorings unless given
	// (0: the gateway's default).
	importAnchorings int
	// open returns the ledger. ks is the gateway keystore in the data
	// folder: a backend whose departments' signing keys live elsewhere
	// (the Fabric connection profile) stores them there. kek encrypts what
	// the backend keeps in the data folder.
	open func(ctx context.Context, o serveOptions, ks *keystore.Store, kek atrest.KEK) (credential.Ledger, error)
}

var ledgerBackends = map[string]ledgerBackend{}

// Shutdown bounds.
const shutdownTimeout = 20 * time.Second

func runServe(args []string) error {
	o, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	log, err := newLogger(o.LogFormat)
	if err != nil {
		return usageError{err}
	}
	backend, ok := ledgerBackends[o.Ledger]
	if !ok {
		return usageError{fmt.Errorf("unknown ledger %q (known: %s)", o.Ledger, strings.Join(backendNames(), ", "))}
	}
	deptGateways, err := parsePairs(o.DepartmentGateways)
	if err != nil {
		return usageError{fmt.Errorf("--department-gateways: %w", err)}
	}
	oidcCfg, err := oidcConfig(o)
	if err != nil {
		return usageError{err}
	}
	cfg := gateway.Config{Addr: o.Addr, PublicURL: o.PublicURL, GatewayURLs: splitList(o.GatewayURLs), DepartmentGateways: deptGateways, Logger: log,
		CompromiseWindow: o.CompromiseWindow, MaxConns: o.MaxConns, MaxConnsPerIP: o.MaxConnsPerIP, BodyMemory: o.BodyMemory, ImportLimit: int(o.ImportLimit),
		PublicLimit: o.PublicLimit, APIKeyLimit: o.APIKeyLimit, AuthFailureLimit: o.AuthFailureLimit,
		TrustedProxies: splitList(o.TrustedProxies), TLSCert: o.TLSCert, TLSKey: o.TLSKey, TimeZone: o.TimeZone,
		APIKeyUseFile: filepath.Join(o.Data, apiKeyUseFile), Now: gatewayClock(),
		OIDC: oidcCfg, SessionIdle: o.SessionIdle, SessionLifetime: o.SessionLifetime, StateDir: o.Data,
		ImportAnchorSize: o.ImportAnchorSize, ImportAnchorings: cmp.Or(o.ImportAnchorings, backend.importAnchorings)}.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}

	if os.Getenv("GOMEMLIMIT") == "" && o.MemoryLimit > 0 {
		debug.SetMemoryLimit(o.MemoryLimit)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	kek, note, err := dataKEK(o.KEK, o.Data, o.Demo)
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Println(note)
		log.Warn("demo key-encryption key in the data folder", slog.String("kek", kek.ID()), slog.String("path", filepath.Join(o.Data, atrest.DemoFileName)))
	}
	if err := os.MkdirAll(o.Data, 0o700); err != nil {
		return err
	}
	ks, err := keystore.Open(o.Data, kek)
	if err != nil {
		return err
	}
	ledger, err := backend.open(ctx, o, ks, kek)
	if err != nil {
		return fmt.Errorf("open the %s ledger: %w", o.Ledger, err)
	}
	defer func() {
		if err := ledger.Close(); err != nil {
			log.Error("closing the ledger failed", slog.String("error", err.Error()))
		}
	}()

	// Before provisioning, so the demo keys a keystore of an earlier
	// release holds are found on the ledger and kept.
	if _, err := gateway.MigrateAPIKeys(ctx, ledger, ks, log); err != nil {
		return err
	}
	if o.Demo {
		res, err := provision.Demo(ctx, ledger, ks, o.Data, time.Now().UTC())
		if err != nil {
			return err
		}
		if len(res.Registered) > 0 {
			log.Info("demo provisioned", slog.Any("registered", res.Registered))
		}
		fmt.Printf("Demo API keys: %s\n", res.KeysPath)
		if err := demosignin.Wire(&cfg, res); err != nil {
			return fmt.Errorf("demo identity provider: %w", err)
		}
		cfg = cfg.WithDefaults()
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("demo identity provider: %w", err)
		}
	}

	cfg.Webhooks = webhookConfig(o, kek)
	cfg.KEK = kek // seals the rows of bulk imports in the data folder
	srv, err := gateway.New(cfg, ledger, ks)
	if err != nil {
		return err
	}
	if o.Demo {
		// The samples go through the gateway's own issuance API in-process,
		// as a department's requests would; on a later start they replay.
		n, err := provision.IssueSamples(ctx, func(r *http.Request) (*http.Response, error) { return srv.App().Test(r, -1) }, o.Data)
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("demo sample credentials issued", slog.Int("count", n))
		}
	}
	// Listen before announcing, so a taken port fails the command at once.
	ln, err := net.Listen("tcp", srv.Config().Addr)
	if err != nil {
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	fmt.Printf("CertLedger gateway on %s (ledger %s, data %s); verification links use %s\n",
		ln.Addr(), o.Ledger, o.Data, srv.Config().PublicURL)
	if o.Demo {
		fmt.Printf("Demo citizens sign in at %s/me with a username and password from %s (\"citizens\")\n",
			srv.Config().PublicURL, filepath.Join(o.Data, provision.DemoKeysFile))
		fmt.Printf("Demo staff sign in at %s/console (\"Sign in as staff\") with a username and password from the same file (\"staff\")\n",
			srv.Config().PublicURL)
	}

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	// A signal that arrives before Serve has taken the listener makes
	// Shutdown a no-op; closing the listener ends Serve in every case.
	_ = ln.Close()
	if err := <-serveErr; err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

func parseServeFlags(args []string) (serveOptions, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var o serveOptions
	demo, err := envBool("CERTLEDGER_DEMO")
	if err != nil {
		return o, usageError{err}
	}
	fs.StringVar(&o.Addr, "addr", envOr("CERTLEDGER_ADDR", gateway.DefaultAddr), "listen address (env CERTLEDGER_ADDR)")
	fs.StringVar(&o.Data, "data", envOr("CERTLEDGER_DATA", "./certledger-data"), "data folder: ledger, keystore, demo keys (env CERTLEDGER_DATA)")
	fs.StringVar(&o.Ledger, "ledger", envOr("CERTLEDGER_LEDGER", "embedded"), "ledger backend: "+strings.Join(backendNames(), ", ")+" (env CERTLEDGER_LEDGER)")
	fs.BoolVar(&o.Demo, "demo", demo, "provision the demo departments, types, citizens and sample credentials on an empty ledger, write <data>/demo-keys.json, and serve the demo identity provider at <public-url>/demo-idp; without a KEK, generate one in <data>/"+atrest.DemoFileName+" (env CERTLEDGER_DEMO)")
	addKEKFlag(fs, &o.KEK)
	fs.StringVar(&o.PublicURL, "public-url", os.Getenv("CERTLEDGER_PUBLIC_URL"), "base URL in verification links and QR codes (default http://<addr>; env CERTLEDGER_PUBLIC_URL)")
	fs.StringVar(&o.DepartmentGateways, "department-gateways", os.Getenv("CERTLEDGER_DEPARTMENT_GATEWAYS"), "where each department's own gateway is, as dept=URL pairs, comma-separated: a holder opens a credential there when this gateway does not act as its issuer (env CERTLEDGER_DEPARTMENT_GATEWAYS)")
	fs.StringVar(&o.GatewayURLs, "gateway-urls", os.Getenv("CERTLEDGER_GATEWAY_URLS"), "public URLs of the deployment's other gateways, comma-separated: QR codes pointing elsewhere are reported as foreign (env CERTLEDGER_GATEWAY_URLS)")
	fs.StringVar(&o.LogFormat, "log-format", envOr("CERTLEDGER_LOG_FORMAT", "text"), "log format: text or json (env CERTLEDGER_LOG_FORMAT)")
	window, err := envDuration("CERTLEDGER_COMPROMISE_WINDOW", gateway.DefaultCompromiseWindow)
	if err != nil {
		return o, usageError{err}
	}
	fs.DurationVar(&o.CompromiseWindow, "compromise-window", window, "how far back a department may date a compromise of its key without governance's confirmation (env CERTLEDGER_COMPROMISE_WINDOW)")
	if o.MemoryLimit, err = parseSize(envOr("CERTLEDGER_MEMORY_LIMIT", strconv.Itoa(defaultMemoryLimit))); err != nil {
		return o, usageError{fmt.Errorf("CERTLEDGER_MEMORY_LIMIT: %w", err)}
	}
	fs.Func("memory-limit", "soft memory limit of the Go runtime, bytes or with KiB, MiB, GiB; 0 for none (default 1GiB; GOMEMLIMIT wins; env CERTLEDGER_MEMORY_LIMIT)", func(v string) (err error) {
		o.MemoryLimit, err = parseSize(v)
		return err
	})
	for _, l := range []struct {
		flag, env, what string
		dst             *int64
	}{
		{"body-memory", "CERTLEDGER_BODY_MEMORY", fmt.Sprintf("bytes of request bodies over 64 KiB held at once (default %dMiB)", gateway.DefaultBodyMemory>>20), &o.BodyMemory},
		{"import-limit", "CERTLEDGER_IMPORT_LIMIT", fmt.Sprintf("largest import file, at most --body-memory (default %dMiB)", gateway.DefaultImportLimit>>20), &o.ImportLimit},
	} {
		if v := os.Getenv(l.env); v != "" {
			if *l.dst, err = parseSize(v); err != nil {
				return o, usageError{fmt.Errorf("%s: %w", l.env, err)}
			}
		}
		fs.Func(l.flag, l.what+", bytes or with KiB, MiB, GiB (env "+l.env+")", func(v string) (err error) {
			*l.dst, err = parseSize(v)
			return err
		})
	}
	if o.MaxConns, err = envInt("CERTLEDGER_MAX_CONNS", gateway.DefaultMaxConns); err != nil {
		return o, usageError{err}
	}
	fs.IntVar(&o.MaxConns, "max-conns", o.MaxConns, "most connections served at once; -1 for no cap (env CERTLEDGER_MAX_CONNS)")
	if o.MaxConnsPerIP, err = envInt("CERTLEDGER_MAX_CONNS_PER_IP", gateway.DefaultMaxConnsPerIP); err != nil {
		return o, usageError{err}
	}
	fs.IntVar(&o.MaxConnsPerIP, "max-conns-per-ip", o.MaxConnsPerIP, "most connections from one address; -1 for no cap, as behind a reverse proxy (env CERTLEDGER_MAX_CONNS_PER_IP)")
	if o.ImportAnchorSize, err = envInt("CERTLEDGER_IMPORT_ANCHOR_SIZE", gateway.DefaultImportAnchorSize); err != nil {
		return o, usageError{err}
	}
	fs.IntVar(&o.ImportAnchorSize, "import-anchor-size", o.ImportAnchorSize,
		fmt.Sprintf("rows of a bulk import per anchored batch, one ledger transaction, 1 to %d (env CERTLEDGER_IMPORT_ANCHOR_SIZE)", credential.MaxAnchorLeaves))
	if o.ImportAnchorings, err = envInt("CERTLEDGER_IMPORT_ANCHORINGS", 0); err != nil {
		return o, usageError{err}
	}
	fs.IntVar(&o.ImportAnchorings, "import-anchorings", o.ImportAnchorings,
		fmt.Sprintf("anchored batches of a bulk import built and recorded at once (default %d, 4 with --ledger fabric; env CERTLEDGER_IMPORT_ANCHORINGS)", gateway.DefaultImportAnchorings))
	for _, l := range []struct {
		flag, env, what string
		dst             *gateway.RateLimit
		def             gateway.RateLimit
	}{
		{"rate-public", "CERTLEDGER_RATE_PUBLIC", "requests of one client address to the public routes (verification, pages, uploads)", &o.PublicLimit, gateway.DefaultPublicLimit},
		{"rate-api-key", "CERTLEDGER_RATE_API_KEY", "requests with one API key", &o.APIKeyLimit, gateway.DefaultAPIKeyLimit},
		{"rate-auth-failure", "CERTLEDGER_RATE_AUTH_FAILURE", "wrong API keys from one client address", &o.AuthFailureLimit, gateway.DefaultAuthFailureLimit},
	} {
		if *l.dst, err = parseRateLimit(envOr(l.env, formatRateLimit(l.def))); err != nil {
			return o, usageError{fmt.Errorf("%s: %w", l.env, err)}
		}
		fs.Func(l.flag, fmt.Sprintf("%s: RATE,BURST (per second, at once) or off (default %s; env %s)", l.what, formatRateLimit(l.def), l.env),
			func(v string) (err error) {
				*l.dst, err = parseRateLimit(v)
				return err
			})
	}
	fs.StringVar(&o.TrustedProxies, "trusted-proxies", os.Getenv("CERTLEDGER_TRUSTED_PROXIES"),
		"comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For names the client (default none; env CERTLEDGER_TRUSTED_PROXIES)")
	fs.StringVar(&o.TLSCert, "tls-cert", os.Getenv("CERTLEDGER_TLS_CERT"), "PEM certificate (chain) to serve HTTPS with, and send HSTS; needs --tls-key (env CERTLEDGER_TLS_CERT)")
	fs.StringVar(&o.TLSKey, "tls-key", os.Getenv("CERTLEDGER_TLS_KEY"), "PEM private key of --tls-cert (env CERTLEDGER_TLS_KEY)")
	if err := timeZoneFlag(fs, &o.TimeZone, "a plain date in the API is a day there, and the pages and the console show times in it"); err != nil {
		return o, err
	}
	if err := webhookFlags(fs, &o); err != nil {
		return o, err
	}
	if err := citizenFlags(fs, &o); err != nil {
		return o, usageError{err}
	}
	for _, name := range backendNames() {
		if f := ledgerBackends[name].flags; f != nil {
			f(fs)
		}
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if o.CompromiseWindow <= 0 {
		return o, usageError{fmt.Errorf("the compromise window must be positive, got %s", o.CompromiseWindow)}
	}
	if o.ImportAnchorSize < 1 || o.ImportAnchorSize > credential.MaxAnchorLeaves || o.ImportAnchorings < 0 {
		return o, usageError{fmt.Errorf("the import anchor size must be 1 to %d and the anchorings not negative, got %d and %d",
			credential.MaxAnchorLeaves, o.ImportAnchorSize, o.ImportAnchorings)}
	}
	if err := checkCitizenFlags(o); err != nil {
		return o, usageError{err}
	}
	return o, nil
}

// splitList reads a comma-separated flag value, ignoring empty entries.
func newLogger(format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, nil)), nil
	}
	return nil, fmt.Errorf("log format %q is not text or json", format)
}

func backendNames() []string {
	names := make([]string, 0, len(ledgerBackends))
	for n := range ledgerBackends {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func envDuration(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a duration (such as 168h)", name, v)
	}
	return d, nil
}

func envInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a whole number", name, v)
	}
	return n, nil
}

// parseRateLimit reads "RATE,BURST" (RATE per second, a decimal) or "off".
func parseRateLimit(v string) (gateway.RateLimit, error) {
	if strings.TrimSpace(v) == "off" {
		return gateway.Off, nil
	}
	r, b, ok := strings.Cut(v, ",")
	rate, err1 := strconv.ParseFloat(strings.TrimSpace(r), 64)
	burst, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || rate <= 0 || burst < 1 {
		return gateway.RateLimit{}, fmt.Errorf("rate limit %q is not RATE,BURST (such as 20,100) or off", v)
	}
	return gateway.RateLimit{Rate: rate, Burst: burst}, nil
}

func formatRateLimit(l gateway.RateLimit) string {
	return strconv.FormatFloat(l.Rate, 'f', -1, 64) + "," + strconv.Itoa(l.Burst)
}

func splitList(v string) []string {
	var out []string
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parsePairs reads comma-separated key=value pairs; nil for "".
func parsePairs(v string) (map[string]string, error) {
	var out map[string]string
	for _, p := range splitList(v) {
		k, val, ok := strings.Cut(p, "=")
		if k, val = strings.TrimSpace(k), strings.TrimSpace(val); !ok || k == "" || val == "" {
			return nil, fmt.Errorf("%q is not key=value", p)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%s is given twice", k)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = val
	}
	return out, nil
}

// parseSize reads a byte count: a whole number, optionally with KiB, MiB
// or GiB.
func parseSize(v string) (int64, error) {
	num, mult := strings.TrimSpace(v), int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q is not a byte count such as 1073741824, 1024MiB or 1GiB", v)
	}
	return n * mult, nil
}

func envBool(name string) (bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not a boolean (true, false, 1, 0)", name, v)
	}
	return b, nil
}
