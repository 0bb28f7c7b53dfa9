// Package gateway is CertLedger's HTTP front: the REST API departments issue
// and manage credentials with, the public verification API, the pages a
// phone opens from a QR code, metrics and the OpenAPI description. It talks
// to any ledger backend through credential.Ledger.
package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// Secrets is what the gateway needs from its keystore: its HMAC keys and
// the departments' signing keys. API keys live on the ledger.
// *keystore.Store implements it; a backend with signing keys elsewhere
// (the Fabric connection profile) wraps a Store and overrides SigningKeys.
type Secrets interface {
	Secrets() keystore.Secrets
	// SigningKeys returns the private keys held for a department.
	SigningKeys(deptID string) []keystore.SigningKey
}

// Server is one gateway: a Fiber app bound to a ledger and a keystore.
type Server struct {
	cfg     Config
	ledger  credential.Ledger
	keys    Secrets
	secrets keystore.Secrets
	// idemMAC is an HMAC keyed with secrets.IdempotencyKey, never
	// written: keyedHash clones it.
	idemMAC  hash.Hash
	app      *fiber.App
	log      *slog.Logger
	metrics  *metrics
	registry *registryCache
	apiKeys  *apiKeyCache
	// keyMu serializes this gateway's key operations and registry writes,
	// each a read-modify-write of a whole registry entry.
	keyMu       sync.Mutex
	statusLists statusListCache
	statusAlloc statusAllocator
	// anchorStatus is where each department's next anchored batch's status
	// positions start.
	anchorStatus anchorCursors

	tls                                     *tls.Config // nil: plain HTTP
	trustedProxies                          []netip.Prefix
	publicLimit, apiKeyLimit, authFailLimit *keyedLimiter
	bodies                                  *bodyGate

	origin   origin         // the public URL's: the only one a session's state-changing request may come from
	sessions *sessionKeeper // citizens' session cookies
	rp       *relyingParty  // nil: citizen sign-in is not configured
	pages    *pages
	webhooks *webhooks    // nil: webhooks are off
	batches  *batchRunner // nil: imports need StateDir and KEK
}

// New builds a gateway. It does not read the ledger yet: the registry is
// loaded by the first request that needs it.
func New(cfg Config, ledger credential.Ledger, keys Secrets) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	if ledger == nil || keys == nil {
		return nil, errors.New("gateway: a ledger and a keystore are required")
	}
	sec := keys.Secrets()
	if len(sec.HolderKey) < keystore.SecretSize || len(sec.TokenKey) < keystore.SecretSize || len(sec.IdempotencyKey) < keystore.SecretSize ||
		len(sec.SessionKey) < keystore.SecretSize {
		return nil, fmt.Errorf("gateway: the holder, token, idempotency and session keys must have at least %d bytes", keystore.SecretSize)
	}
	s := &Server{
		cfg:     cfg,
		ledger:  ledger,
		keys:    keys,
		secrets: sec,
		idemMAC: hmac.New(sha256.New, sec.IdempotencyKey),
		log:     cfg.Logger,
		metrics: newMetrics(ledger),
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("gateway: TLS: %w", err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s.trustedProxies, _ = parseTrustedProxies(cfg.TrustedProxies) // checked by Validate
	s.origin, _ = parseOrigin(cfg.PublicURL)                      // checked by Validate
	var err error
	if s.sessions, err = newSessionKeeper(cfg, sec.SessionKey, s.tls != nil); err != nil {
		return nil, fmt.Errorf("gateway: sessions: %w", err)
	}
	if s.webhooks, err = newWebhooks(cfg, ledger); err != nil {
		return nil, fmt.Errorf("gateway: webhooks: %w", err)
	}
	if cfg.OIDC.Enabled() {
		s.rp = newRelyingParty(cfg.OIDC, func() time.Time { return s.now() })
	}
	s.publicLimit = newKeyedLimiter(cfg.PublicLimit, cfg.LimiterClock)
	s.apiKeyLimit = newKeyedLimiter(cfg.APIKeyLimit, cfg.LimiterClock)
	s.authFailLimit = newKeyedLimiter(cfg.AuthFailureLimit, cfg.LimiterClock)
	s.bodies = newBodyGate(cfg.BodyMemory, bodyWait, cfg.ReadTimeout+cfg.RequestTimeout+cfg.WriteTimeout)
	s.registry = &registryCache{ledger: ledger, ttl: cfg.RegistryTTL, now: cfg.Now, log: cfg.Logger}
	s.apiKeys = &apiKeyCache{ledger: ledger, ttl: cfg.APIKeyTTL, now: cfg.Now, log: cfg.Logger,
		use: openKeyUse(cfg.APIKeyUseFile, cfg.Now(), cfg.Logger)}
	if n, ok := ledger.(credential.ChangeNotifier); ok {
		n.NotifyChanges(s.recordChanged)
	}
	if n, ok := ledger.(credential.APIKeyNotifier); ok {
		n.NotifyAPIKeyChanges(s.apiKeys.apply)
	}
	s.app = fiber.New(fiber.Config{
		AppName: "certledger",
		// headerReceived lowers this to each route's own limit.
		BodyLimit:             max(cfg.BodyLimit, cfg.WriteLimit, cfg.UploadLimit, cfg.OtherBodyLimit, cfg.ImportLimit),
		Concurrency:           max(cfg.MaxConns, 0),
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		DisableStartupMessage: true,
		// Handlers keep parameter and header values beyond the request
		// (ledger calls, logs), so they must not alias Fiber's buffers.
		Immutable:    true,
		ErrorHandler: s.handleUncaught,
	})
	// Answers sent while shutting down close their keep-alive connection,
	// so Shutdown is not left waiting for clients to hang up.
	s.app.Server().CloseOnShutdown = true
	s.app.Server().HeaderReceived = s.headerReceived
	s.app.Server().MaxConnsPerIP = max(cfg.MaxConnsPerIP, 0)
	s.routes()
	if err := s.startBatches(); err != nil {
		s.sessions.ended.close()
		return nil, fmt.Errorf("gateway: imports: %w", err)
	}
	return s, nil
}

// App returns the Fiber app, for app.Test in tests or for mounting.
func (s *Server) App() *fiber.App { return s.app }

// Config returns the configuration in effect, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Listen serves on the configured address until Shutdown.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	return s.Serve(ln)
}

// Serve serves on ln until Shutdown, over TLS when the configuration
// names a certificate.
func (s *Server) Serve(ln net.Listener) error {
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	s.log.Info("gateway listening", slog.String("addr", ln.Addr().String()), slog.String("publicUrl", s.cfg.PublicURL),
		slog.Bool("tls", s.tls != nil))
	return s.app.Listener(ln)
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends, then writes the API keys' last-used times, stops the
// imports where they are and closes the gateway's own state (the ended
// sessions, the imports). It does not close the ledger,
// which the caller owns.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.app.ShutdownWithContext(ctx)
	if uerr := s.apiKeys.use.save(); uerr != nil {
		s.log.Warn("writing the API key use file failed", slog.String("path", s.cfg.APIKeyUseFile), slog.String("error", uerr.Error()))
	}
	return errors.Join(err, s.stopBatches(), s.sessions.ended.close(), s.webhooks.stop())
}

// routes registers every route: the API first, then the pages. Unknown
// paths fall through to Fiber's 404 (or 405), which observe turns into a
// problem. The two middlewares share the "/" prefix, so Fiber merges them
// into one route; observe relies on that to tell an unmatched request
// (TestMetrics checks the "unmatched" label).
func (s *Server) routes() {
	app := s.app
	app.Use(s.observe)
	// A panic in a handler becomes a logged 500 problem instead of a dead
	// process; the stack goes to the log with the request ID.
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	app.Use(s.limitPublicRoutes)
	app.Use(refuseContentEncoding)
	app.Use(s.limitBody)
	app.Use(s.checkOrigin)
	s.mountHandlers()

	app.Get("/healthz", s.handleHealth)
	app.Get("/metrics", s.metrics.handler())

	api := app.Group("/api/v1")
	api.Get("/openapi.json", s.handleOpenAPI)
	api.Get("/types", s.handleTypes)
	api.Get("/departments", s.handleDepartments)
	api.Put("/departments/:dept", s.handlePutDepartment)
	api.Get("/departments/:dept/api-keys", s.handleListAPIKeys)
	api.Post("/departments/:dept/api-keys", s.handleNewAPIKey)
	api.Delete("/departments/:dept/api-keys/:id", s.handleRevokeAPIKey)
	api.Put("/types/:type", s.handlePutType)
	api.Post("/subscriptions", s.handleCreateSubscription)
	api.Get("/subscriptions", s.handleListSubscriptions)
	api.Get("/subscriptions/:id", s.handleGetSubscription)
	api.Delete("/subscriptions/:id", s.handleDeleteSubscription)
	api.Get("/subscriptions/:id/deliveries", s.handleListDeliveries)
	api.Post("/subscriptions/:id/deliveries/:deliveryId/redeliver", s.handleRedeliver)
	api.Get("/services", s.handleServices)
	api.Get("/services/:code", s.handleService)
	api.Put("/services/:code", s.handlePutService)
	api.Post("/departments/:dept/keys", s.handleAddKey)
	api.Post("/departments/:dept/keys/:kid/retire", s.handleRetireKey)
	api.Post("/departments/:dept/keys/:kid/compromise", s.handleCompromiseKey)
	api.Post("/departments/:dept/keys/:kid/compromise/confirm", s.handleConfirmCompromise)
	api.Get("/me", s.handleMe)
	api.Get("/me/credentials", s.handleMyCredentials)
	api.Get("/me/credentials/:id", s.handleMyCredential)
	api.Get("/me/activity", s.handleMyActivity)
	api.Post("/me/shares", s.handleCreateShare)
	api.Get("/me/shares", s.handleMyShares)
	api.Delete("/me/shares/:id", s.handleWithdrawShare)
	api.Get("/me/shares/:id/offline-qr.png", s.handleShareOfflineQR)
	app.Get("/s/:id", s.handleShared)
	app.Get("/s/:id/qr.png", s.handleShareQR)
	api.Post("/verify", s.handleVerify)
	api.Get("/trust-list", s.handleTrustList)
	api.Get("/credentials", s.handleRegister)
	api.Post("/credentials", s.handleIssue)
	api.Post("/batches", s.handleCreateBatch)
	api.Get("/batches/:id", s.handleGetBatch)
	api.Get("/batches/:id/results", s.handleBatchResults)
	api.Get("/credentials/:id", s.handleGetCredential)
	api.Get("/credentials/:id/history", s.handleHistory)
	api.Get("/credentials/:id/qr.png", s.handleQR)
	api.Post("/credentials/:id/presentations", s.handlePresentation)
	api.Post("/credentials/:id/reissue", s.handleReissue)
	api.Post("/credentials/:id/renew", s.handleRenew)
	api.Post("/credentials/:id/change", s.handleChange)
	api.Get("/credentials/:id/vc", s.handleCredentialVC)
	api.Post("/vc", s.handlePresentationVC)
	app.Get("/issuers/:dept", s.handleIssuerDocument)
	app.Get("/status/:dept/:purpose/:list", s.handleStatusList)
	api.Post("/credentials/:id/suspend", s.handleStatusChange(credential.ActionSuspend))
	api.Post("/credentials/:id/reinstate", s.handleStatusChange(credential.ActionReinstate))
	api.Post("/credentials/:id/revoke", s.handleStatusChange(credential.ActionRevoke))
	api.Post("/credentials/:id/token/rotate", s.handleRotateToken)
	s.requestRoutes(api)

	// The verification page and the department console are in pages*.go and web/.
	s.registerPages()
	s.signInRoutes()
	s.staffRoutes()
}

// requestContext is the context for the ledger work of one request.
func (s *Server) requestContext(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), s.cfg.RequestTimeout)
}

// now is the gateway's clock.
func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

func (s *Server) handleHealth(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	if _, err := s.ledger.Registry(ctx); err != nil {
		s.logError(c, "health check: ledger unavailable", err)
		return newAPIError(kindUnavailable, "the ledger is not reachable")
	}
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	rid, _ := c.Locals(localRequestID).(string)
	s.log.Error("handler panicked", slog.String("requestId", rid), slog.String("path", c.Path()),
		slog.Any("panic", e), slog.String("stack", string(debug.Stack())))
}
