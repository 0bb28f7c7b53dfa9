package gateway

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// discoveryRetry spaces out attempts to read a provider that failed, so
// a provider that is down is not asked again on every click.
const discoveryRetry = 5 * time.Second

// relyingParty is the gateway as a client of the identity provider. The
// provider's discovery document is read on first use, not at start: the
// gateway serves everything else while the provider is down, and the demo
// provider is served by the very listener the gateway has yet to open.
type relyingParty struct {
	cfg OIDCConfig
	now func() time.Time

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
	lastErr  error
	failedAt time.Time
}

func newRelyingParty(cfg OIDCConfig, now func() time.Time) *relyingParty {
	return &relyingParty{cfg: cfg, now: now}
}

// clientContext makes the oidc and oauth2 libraries use the configured
// HTTP client for discovery, keys and the code exchange.
func (rp *relyingParty) clientContext(ctx context.Context) context.Context {
	ctx = oidc.ClientContext(ctx, rp.cfg.HTTPClient)
	return context.WithValue(ctx, oauth2.HTTPClient, rp.cfg.HTTPClient)
}

// endpoints returns the OAuth 2.0 client and the ID token verifier,
// reading the provider's discovery document the first time. go-oidc
// checks that the document names the configured issuer, and the verifier
// fetches the provider's JWKS (and again when a token names a new key).
func (rp *relyingParty) endpoints(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.oauth != nil {
		return rp.oauth, rp.verifier, nil
	}
	if rp.lastErr != nil && time.Since(rp.failedAt) < discoveryRetry {
		return nil, nil, rp.lastErr
	}
	p, err := oidc.NewProvider(rp.clientContext(ctx), rp.cfg.Issuer)
	if err != nil {
		rp.lastErr, rp.failedAt = fmt.Errorf("reading the identity provider %s: %w", rp.cfg.Issuer, err), time.Now()
		return nil, nil, rp.lastErr
	}
	rp.oauth = &oauth2.Config{
		ClientID:     rp.cfg.ClientID,
		ClientSecret: rp.cfg.ClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  rp.cfg.RedirectURL,
		Scopes:       append([]string{oidc.ScopeOpenID}, rp.cfg.Scopes...),
	}
	rp.verifier = p.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID, Now: rp.now})
	return rp.oauth, rp.verifier, nil
}
