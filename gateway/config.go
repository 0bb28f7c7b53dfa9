package gateway

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/atrest"
)

// Config is the gateway's configuration. The zero value of every field
// means "use the default"; WithDefaults fills them in.
type Config struct {
	// Addr is the listen address (default 127.0.0.1:8080).
	Addr string
	// PublicURL is the base URL verification links and QR codes point at:
	// what a phone must reach. Default: http://<Addr>.
	PublicURL string
	// GatewayURLs are the public URLs of the deployment's other gateways:
	// a QR code pointing at one of them is genuine, one pointing anywhere
	// else but PublicURL is reported as a foreign host.
	GatewayURLs []string
	// DepartmentGateways maps a department ID to the public URL of the
	// gateway that acts as that department, where its holders open their
	// documents when this gateway cannot read them (docs/decisions/0012).
	// Its URLs count as the deployment's own, like GatewayURLs.
	DepartmentGateways map[string]string
	// Each route reads at most its own body limit, in bytes; a larger body
	// gets 413, refused from its Content-Length before it is read.
	//
	// BodyLimit is the verification API's (POST /api/v1/verify and
	// /api/v1/vc, default 256 KiB: a document with its proof).
	BodyLimit int
	// WriteLimit is the rest of the API's: issuance, status, key and
	// registry changes (default 64 KiB), at most BodyLimit.
	WriteLimit int
	// UploadLimit is the largest picture of a QR code the verification
	// page accepts (POST /v), in bytes (default 4 MiB: a phone photo).
	UploadLimit int
	// UploadPixels is the most pixels an uploaded picture may have, read
	// from its header before decoding (default 8 megapixels).
	UploadPixels int
	// UploadDecodes is how many uploaded pictures are decoded at once
	// (default: the number of CPUs), which bounds their memory; a picture
	// that waits more than a moment for its turn gets 503.
	UploadDecodes int
	// BodyMemory is how many bytes of request bodies over 64 KiB are
	// received at once (default 16 MiB: four 4 MiB uploads, or 64 full
	// verification bodies). A body is held in memory from its headers on,
	// so this bounds what large bodies hold; one that waits more than a
	// moment for room gets 503 before it is read.
	BodyMemory int64
	// OtherBodyLimit is every other route's: pages, the console, GETs
	// (default 16 KiB).
	OtherBodyLimit int
	// MaxConns caps the connections served at once (default 1024); with
	// the route limits it bounds the memory request bodies can hold.
	// MaxConnsPerIP caps one client address's (default 256; behind a
	// reverse proxy every connection comes from the proxy). A negative
	// value turns a cap off.
	MaxConns      int
	MaxConnsPerIP int
	// PublicLimit limits each client address on the public routes
	// (verification, pages, uploads; default 20/s, burst 100),
	// APIKeyLimit each API key on the authenticated API (default 200/s,
	// burst 1000), and AuthFailureLimit the wrong API keys each client
	// address may send (default one per 5s, burst 10): past it the address
	// gets 429 before its key is even checked. Off turns a limit off.
	PublicLimit      RateLimit
	APIKeyLimit      RateLimit
	AuthFailureLimit RateLimit
	// TrustedProxies are the addresses or CIDR prefixes of reverse
	// proxies whose X-Forwarded-For names the client (default none: the
	// peer's address is the client's).
	TrustedProxies []string
	// TLSCert and TLSKey are the PEM files of the certificate (chain) and
	// key the gateway serves HTTPS with, sending HSTS too (default none:
	// plain HTTP, as behind a reverse proxy that terminates TLS).
	TLSCert, TLSKey string
	// LimiterClock is the rate limits' clock (default time.Now), apart
	// from Now, which tests pin to a date.
	LimiterClock func() time.Time
	// RegistryTTL is how long the gateway serves its cached copy of the
	// registry before reading it from the ledger again (default 5s).
	RegistryTTL time.Duration
	// APIKeyTTL is how long the gateway authenticates against its copy of
	// the ledger's API key list before reading it again (default 2s): a
	// key revoked through another gateway of the ledger is refused here at
	// most this long after, sooner on Fabric when the channel's event
	// arrives.
	APIKeyTTL time.Duration
	// APIKeyUseFile is where the gateway keeps when it last accepted each
	// API key, written at most once a minute and at shutdown (default
	// none: in memory only).
	APIKeyUseFile string
	// RequestTimeout bounds the ledger work of one request (default 30s).
	RequestTimeout time.Duration
	// ReadTimeout, WriteTimeout and IdleTimeout bound connections
	// (defaults 15s, 30s, 120s).
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
	// IssueAttempts is how often an issuance is tried with a fresh serial
	// when the ledger already holds the identifier (default 3).
	IssueAttempts int
	// TrustListValidity is how long a served trust list stays current
	// (its nextUpdate), after which offline verifiers should fetch a new
	// one (default 24h).
	TrustListValidity time.Duration
	// CompromiseWindow is how far back a department may date a compromise
	// of its own key on its word alone; one reaching further back waits
	// for the governance department's confirmation (default 7 days).
	CompromiseWindow time.Duration
	// QRSize is the default side of QR code PNGs in pixels (default 320).
	QRSize int
	// TimeZone is the deployment's time zone (default Asia/Shanghai): a
	// plain date in the API is a day there, and the pages and the console
	// show times in it. Every gateway of one deployment needs the same.
	TimeZone *time.Location
	// OIDC configures citizens' sign-in with an OpenID Connect provider
	// (GET /me/login); without an issuer, sign-in is off.
	OIDC OIDCConfig
	// SessionIdle ends a citizen's session after this long without a
	// request (default 30 min); SessionLifetime ends it this long after
	// sign-in however much it is used (default 12 h).
	SessionIdle     time.Duration
	SessionLifetime time.Duration
	// StateDir is the folder of the gateway's own small state: the
	// sessions ended by signing out, in sessions.db, so a replayed cookie
	// stays refused across restarts. Empty keeps them in memory only.
	StateDir string
	// Webhooks configures supervision events by webhook (decision 0016).
	Webhooks WebhookConfig
	// KEK seals the rows of bulk imports (personal data) in StateDir's
	// imports.db. Without a StateDir and a KEK, imports are refused (503).
	KEK atrest.KEK
	// ImportLimit is the body limit of POST /api/v1/batches (default 64
	// MiB), at most BodyMemory: an import body is held in memory like any
	// large body, inside the same budget.
	ImportLimit int
	// ImportRows is the most rows one import file may hold (default
	// 200,000).
	ImportRows int
	// ImportAnchorSize is how many valid rows of an import go into one
	// anchored batch, one ledger transaction (default 8192, at most
	// credential.MaxAnchorLeaves; decision 0021).
	ImportAnchorSize int
	// ImportAnchorings is how many anchored batches of an import are being
	// recorded at once while the next is built (default 2): more lets
	// ordering and commit overlap on Fabric, where each waits for blocks.
	ImportAnchorings int
	// Handlers are further HTTP handlers served on the gateway's listener,
	// each under its path prefix ("/demo-idp"), with the whole request path.
	Handlers map[string]http.Handler
	// Logger receives the access log and errors (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now); tests pin it.
	Now func() time.Time
}

// OIDCConfig is the gateway's registration as a relying party of the
// identity provider citizens sign in with.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document and
	// keys are read from it on first use.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is where the provider sends the browser back to
	// (default <PublicURL>/me/callback); it must be registered with the
	// provider.
	RedirectURL string
	// Scopes asked for besides openid (default profile).
	Scopes []string
	// The ID token claims carrying the holder's ID type (resident_id,
	// uscc, passport, other), ID number and name. Defaults: id_type,
	// id_number, name.
	ClaimIDType, ClaimIDNumber, ClaimName string
	// The claims naming a member of staff's department (a registry ID) and
	// staff roles (a list of clerk, approver, admin), read only at the
	// console's sign-in. Defaults: dept, certledger_roles.
	ClaimDept, ClaimRoles string
	// HTTPClient makes the gateway's own requests to the provider
	// (discovery, keys, code exchange); default a client with a 10 s
	// timeout.
	HTTPClient *http.Client
}

// Enabled reports whether citizen sign-in is configured.
func (o OIDCConfig) Enabled() bool { return o.Issuer != "" }

// Default claim names of OIDCConfig.
const (
	DefaultClaimIDType   = "id_type"
	DefaultClaimIDNumber = "id_number"
	DefaultClaimName     = "name"
	DefaultClaimDept     = "dept"
	DefaultClaimRoles    = "certledger_roles"
)

// Defaults used by WithDefaults.
const (
	DefaultAddr           = "127.0.0.1:8080"
	DefaultBodyLimit      = 256 << 10
	DefaultUploadLimit    = 4 << 20
	DefaultWriteLimit     = 64 << 10
	DefaultOtherBodyLimit = 16 << 10
	DefaultMaxConns       = 1024
	DefaultMaxConnsPerIP  = 256
	// DefaultUploadPixels fits any phone screenshot (1440×3200 is 4.6 MP)
	// and an 8 MP photo, far more than a QR code needs, while one decode
	// stays near 5 bytes a pixel: 42 MiB as an RGBA PNG, 14 MiB as a JPEG.
	DefaultUploadPixels     = 8 << 20
	DefaultBodyMemory       = 16 << 20
	DefaultImportLimit      = 64 << 20
	DefaultImportRows       = 200_000
	DefaultImportAnchorSize = 8192
	DefaultImportAnchorings = 2
	DefaultRegistryTTL      = 5 * time.Second
	DefaultAPIKeyTTL        = 2 * time.Second
	DefaultRequestTimeout   = 30 * time.Second
	DefaultIssueAttempts    = 3
	DefaultQRSize           = 320
	DefaultTrustListTTL     = 24 * time.Hour
	// DefaultCompromiseWindow is Config.CompromiseWindow's default.
	DefaultCompromiseWindow = 7 * 24 * time.Hour
	// DefaultTimeZone names Config.TimeZone's default, China Standard Time.
	DefaultTimeZone        = "Asia/Shanghai"
	MinQRSize              = 128
	MaxQRSize              = 1024
	DefaultSessionIdle     = 30 * time.Minute
	DefaultSessionLifetime = 12 * time.Hour
)

// Default rate limits.
var (
	DefaultPublicLimit      = RateLimit{Rate: 20, Burst: 100}
	DefaultAPIKeyLimit      = RateLimit{Rate: 200, Burst: 1000}
	DefaultAuthFailureLimit = RateLimit{Rate: 0.2, Burst: 10}
)

// WithDefaults returns c with every unset field given its default.
func (c Config) WithDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.PublicURL == "" {
		scheme := "http://"
		if c.TLSCert != "" {
			scheme = "https://"
		}
		c.PublicURL = scheme + publicHost(c.Addr)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.BodyLimit <= 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.UploadLimit <= 0 {
		c.UploadLimit = DefaultUploadLimit
	}
	if c.UploadPixels <= 0 {
		c.UploadPixels = DefaultUploadPixels
	}
	if c.BodyMemory <= 0 {
		c.BodyMemory = DefaultBodyMemory
	}
	if c.UploadDecodes <= 0 {
		c.UploadDecodes = runtime.NumCPU()
	}
	if c.WriteLimit <= 0 {
		c.WriteLimit = DefaultWriteLimit
	}
	c.WriteLimit = min(c.WriteLimit, c.BodyLimit)
	if c.OtherBodyLimit <= 0 {
		c.OtherBodyLimit = DefaultOtherBodyLimit
	}
	if c.ImportLimit <= 0 {
		c.ImportLimit = DefaultImportLimit
	}
	c.ImportLimit = int(min(int64(c.ImportLimit), c.BodyMemory))
	if c.ImportRows <= 0 {
		c.ImportRows = DefaultImportRows
	}
	if c.ImportAnchorSize <= 0 {
		c.ImportAnchorSize = DefaultImportAnchorSize
	}
	c.ImportAnchorSize = min(c.ImportAnchorSize, credential.MaxAnchorLeaves)
	if c.ImportAnchorings <= 0 {
		c.ImportAnchorings = DefaultImportAnchorings
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxConnsPerIP == 0 {
		c.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if c.RegistryTTL <= 0 {
		c.RegistryTTL = DefaultRegistryTTL
	}
	if c.APIKeyTTL <= 0 {
		c.APIKeyTTL = DefaultAPIKeyTTL
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 15 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 120 * time.Second
	}
	if c.IssueAttempts <= 0 {
		c.IssueAttempts = DefaultIssueAttempts
	}
	if c.TrustListValidity <= 0 {
		c.TrustListValidity = DefaultTrustListTTL
	}
	if c.CompromiseWindow <= 0 {
		c.CompromiseWindow = DefaultCompromiseWindow
	}
	if c.QRSize <= 0 {
		c.QRSize = DefaultQRSize
	}
	if c.TimeZone == nil {
		// A failure leaves it nil, and Validate says why.
		c.TimeZone, _ = LoadTimeZone(DefaultTimeZone)
	}
	c.OIDC = c.OIDC.withDefaults(c.PublicURL)
	if c.SessionIdle <= 0 {
		c.SessionIdle = DefaultSessionIdle
	}
	if c.SessionLifetime <= 0 {
		c.SessionLifetime = DefaultSessionLifetime
	}
	c.PublicLimit = c.PublicLimit.withDefault(DefaultPublicLimit)
	c.APIKeyLimit = c.APIKeyLimit.withDefault(DefaultAPIKeyLimit)
	c.AuthFailureLimit = c.AuthFailureLimit.withDefault(DefaultAuthFailureLimit)
	if c.LimiterClock == nil {
		c.LimiterClock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate checks a configuration after WithDefaults.
func (c Config) Validate() error {
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("public URL %q must be an http(s) URL without query or fragment", c.PublicURL)
	}
	for _, g := range c.GatewayURLs {
		if _, ok := parseOrigin(g); !ok {
			return fmt.Errorf("gateway URL %q must be an http(s) URL", g)
		}
	}
	for dept, g := range c.DepartmentGateways {
		if !credential.ValidRegistryID(dept) {
			return fmt.Errorf("department gateway: %q is not a department ID", dept)
		}
		if _, ok := parseOrigin(g); !ok {
			return fmt.Errorf("gateway URL %q of department %s must be an http(s) URL", g, dept)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("TLS needs both a certificate and a key file")
	}
	if _, err := parseTrustedProxies(c.TrustedProxies); err != nil {
		return err
	}
	if c.QRSize < MinQRSize || c.QRSize > MaxQRSize {
		return fmt.Errorf("QR size %d is outside %d-%d", c.QRSize, MinQRSize, MaxQRSize)
	}
	if c.TimeZone == nil {
		_, err := LoadTimeZone(DefaultTimeZone)
		return fmt.Errorf("no time zone given, and the default: %w", err)
	}
	if c.SessionIdle > c.SessionLifetime {
		return fmt.Errorf("the session idle timeout %s is longer than the session lifetime %s", c.SessionIdle, c.SessionLifetime)
	}
	if err := c.OIDC.validate(c.PublicURL); err != nil {
		return err
	}
	for prefix, h := range c.Handlers {
		if h == nil || !strings.HasPrefix(prefix, "/") || len(prefix) < 2 || strings.HasSuffix(prefix, "/") || strings.ContainsAny(prefix, ":*+?") {
			return fmt.Errorf("handler prefix %q must be a path such as /demo-idp, with a handler", prefix)
		}
	}
	return nil
}

// LoadTimeZone loads an IANA time zone such as Asia/Shanghai. "Local"
// and "" are refused: the deployment's zone must not depend on the host's
// settings. The certledger binary embeds the tz database (time/tzdata); a
// program without it needs the system's.
func LoadTimeZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time zone %q: name an IANA zone such as %s or UTC", name, DefaultTimeZone)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q is not in the tz database (%v): name an IANA zone such as %s; "+
			"a program built without time/tzdata also needs the system's zoneinfo", name, err, DefaultTimeZone)
	}
	return loc, nil
}

func (o OIDCConfig) withDefaults(publicURL string) OIDCConfig {
	if !o.Enabled() {
		return o
	}
	o.Issuer = strings.TrimRight(o.Issuer, "/")
	if o.RedirectURL == "" {
		o.RedirectURL = publicURL + "/me/callback"
	}
	if o.Scopes == nil {
		o.Scopes = []string{"profile"}
	}
	if o.ClaimIDType == "" {
		o.ClaimIDType = DefaultClaimIDType
	}
	if o.ClaimIDNumber == "" {
		o.ClaimIDNumber = DefaultClaimIDNumber
	}
	if o.ClaimName == "" {
		o.ClaimName = DefaultClaimName
	}
	if o.ClaimDept == "" {
		o.ClaimDept = DefaultClaimDept
	}
	if o.ClaimRoles == "" {
		o.ClaimRoles = DefaultClaimRoles
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return o
}

// validate checks a sign-in configuration. The provider is reached over
// HTTPS, except on this machine or at the gateway's own origin (the demo
// provider served by the same process), where nothing travels in between.
func (o OIDCConfig) validate(publicURL string) error {
	if !o.Enabled() {
		return nil
	}
	iss, ok := parseOrigin(o.Issuer)
	u, err := url.Parse(o.Issuer)
	if !ok || err != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("OIDC issuer %q must be an http(s) URL without query or fragment", o.Issuer)
	}
	own, _ := parseOrigin(publicURL)
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) && iss != own {
		return fmt.Errorf("OIDC issuer %q must use https (http only on this machine or at the gateway's own origin)", o.Issuer)
	}
	if o.ClientID == "" {
		return fmt.Errorf("OIDC sign-in needs a client ID")
	}
	r, err := url.Parse(o.RedirectURL)
	if err != nil || (r.Scheme != "http" && r.Scheme != "https") || r.Host == "" || r.RawQuery != "" || r.Fragment != "" {
		return fmt.Errorf("OIDC redirect URL %q must be an http(s) URL without query or fragment", o.RedirectURL)
	}
	for name, claim := range map[string]string{"ID type": o.ClaimIDType, "ID number": o.ClaimIDNumber, "name": o.ClaimName,
		"department": o.ClaimDept, "roles": o.ClaimRoles} {
		if strings.TrimSpace(claim) == "" {
			return fmt.Errorf("OIDC %s claim name is empty", name)
		}
	}
	return nil
}

// loopbackHost tells localhost and loopback addresses.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// publicHost turns a listen address into a host a browser can reach: an
// unspecified host (":8080", "0.0.0.0:8080") becomes localhost.
func publicHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
