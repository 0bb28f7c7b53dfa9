package main

import (
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/demoidp"
	"github.com/certledger/certledger/gateway/provision"
)

// demoClientID is the gateway's client ID at the demo identity provider.
const demoClientID = "certledger-gateway"

// citizenFlags adds the flags of citizen sign-in: the identity provider,
// the gateway's registration with it, the claims, and the sessions.
func citizenFlags(fs *flag.FlagSet, o *serveOptions) error {
	fs.StringVar(&o.OIDCIssuer, "oidc-issuer", os.Getenv("CERTLEDGER_OIDC_ISSUER"), "issuer URL of the OpenID provider citizens sign in with; none: no sign-in (env CERTLEDGER_OIDC_ISSUER)")
	fs.StringVar(&o.OIDCClientID, "oidc-client-id", os.Getenv("CERTLEDGER_OIDC_CLIENT_ID"), "the gateway's client ID at the provider (env CERTLEDGER_OIDC_CLIENT_ID)")
	o.OIDCClientSecret = os.Getenv("CERTLEDGER_OIDC_CLIENT_SECRET")
	fs.StringVar(&o.OIDCClientSecretFile, "oidc-client-secret-file", os.Getenv("CERTLEDGER_OIDC_CLIENT_SECRET_FILE"), "file holding the gateway's client secret at the provider; or set CERTLEDGER_OIDC_CLIENT_SECRET (env CERTLEDGER_OIDC_CLIENT_SECRET_FILE)")
	fs.StringVar(&o.OIDCRedirectURL, "oidc-redirect-url", os.Getenv("CERTLEDGER_OIDC_REDIRECT_URL"), "redirect URL registered with the provider (default <public-url>/me/callback; env CERTLEDGER_OIDC_REDIRECT_URL)")
	fs.StringVar(&o.OIDCScopes, "oidc-scopes", envOr("CERTLEDGER_OIDC_SCOPES", "profile"), "scopes asked for besides openid, comma-separated (env CERTLEDGER_OIDC_SCOPES)")
	fs.StringVar(&o.OIDCClaimIDType, "oidc-claim-id-type", envOr("CERTLEDGER_OIDC_CLAIM_ID_TYPE", gateway.DefaultClaimIDType), "ID token claim with the holder's ID type: resident_id, uscc, passport or other (env CERTLEDGER_OIDC_CLAIM_ID_TYPE)")
	fs.StringVar(&o.OIDCClaimIDNumber, "oidc-claim-id-number", envOr("CERTLEDGER_OIDC_CLAIM_ID_NUMBER", gateway.DefaultClaimIDNumber), "ID token claim with the holder's ID number (env CERTLEDGER_OIDC_CLAIM_ID_NUMBER)")
	fs.StringVar(&o.OIDCClaimName, "oidc-claim-name", envOr("CERTLEDGER_OIDC_CLAIM_NAME", gateway.DefaultClaimName), "ID token claim with the holder's name (env CERTLEDGER_OIDC_CLAIM_NAME)")
	var err error
	if o.SessionIdle, err = envDuration("CERTLEDGER_SESSION_IDLE", gateway.DefaultSessionIdle); err != nil {
		return err
	}
	fs.DurationVar(&o.SessionIdle, "session-idle", o.SessionIdle, "a citizen's session ends after this long without use (env CERTLEDGER_SESSION_IDLE)")
	if o.SessionLifetime, err = envDuration("CERTLEDGER_SESSION_LIFETIME", gateway.DefaultSessionLifetime); err != nil {
		return err
	}
	fs.DurationVar(&o.SessionLifetime, "session-lifetime", o.SessionLifetime, "a citizen's session ends this long after sign-in, however much it is used (env CERTLEDGER_SESSION_LIFETIME)")
	return nil
}

// checkCitizenFlags refuses combinations that cannot work.
func checkCitizenFlags(o serveOptions) error {
	if o.SessionIdle <= 0 || o.SessionLifetime <= 0 {
		return fmt.Errorf("session durations must be positive, got idle %s and lifetime %s", o.SessionIdle, o.SessionLifetime)
	}
	if o.Demo && o.OIDCIssuer != "" {
		return fmt.Errorf("--demo runs its own identity provider; drop --oidc-issuer, or --demo")
	}
	if o.OIDCClientSecret != "" && o.OIDCClientSecretFile != "" {
		return fmt.Errorf("give the client secret once: CERTLEDGER_OIDC_CLIENT_SECRET or --oidc-client-secret-file")
	}
	return nil
}

// oidcConfig is the gateway's sign-in configuration from the options.
func oidcConfig(o serveOptions) (gateway.OIDCConfig, error) {
	if o.OIDCIssuer == "" {
		return gateway.OIDCConfig{}, nil
	}
	secret := o.OIDCClientSecret
	if o.OIDCClientSecretFile != "" {
		b, err := os.ReadFile(o.OIDCClientSecretFile)
		if err != nil {
			return gateway.OIDCConfig{}, fmt.Errorf("OIDC client secret: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	return gateway.OIDCConfig{Issuer: o.OIDCIssuer, ClientID: o.OIDCClientID, ClientSecret: secret, RedirectURL: o.OIDCRedirectURL,
		Scopes: splitList(o.OIDCScopes), ClaimIDType: o.OIDCClaimIDType, ClaimIDNumber: o.OIDCClaimIDNumber, ClaimName: o.OIDCClaimName}, nil
}

// startDemoProvider builds the demo identity provider for the demo
// citizens, served by the gateway under <public URL>/demo-idp, and points
// the gateway's sign-in at it. The client secret is new on every start and
// never leaves the process; the gateway reaches the provider in-process.
func startDemoProvider(cfg *gateway.Config, res provision.Result) error {
	var accounts []demoidp.Account
	for _, c := range res.Citizens {
		h, err := demoidp.HashPassword(c.Password)
		if err != nil {
			return err
		}
		accounts = append(accounts, demoidp.Account{Username: c.Username, PasswordHash: h, Name: c.Name, IDType: c.IDType, IDNumber: c.IDNumber})
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	secret := base64.RawURLEncoding.EncodeToString(b[:])
	redirect := cfg.PublicURL + "/me/callback"
	idp, err := demoidp.New(demoidp.Config{Issuer: cfg.PublicURL + "/demo-idp", ClientID: demoClientID, ClientSecret: secret,
		RedirectURIs: []string{redirect}, Accounts: accounts, PasswordsFile: res.KeysPath, Now: time.Now})
	if err != nil {
		return err
	}
	cfg.OIDC = gateway.OIDCConfig{Issuer: idp.Issuer(), ClientID: demoClientID, ClientSecret: secret, RedirectURL: redirect,
		ClaimIDType: demoidp.ClaimIDType, ClaimIDNumber: demoidp.ClaimIDNumber, ClaimName: demoidp.ClaimName, HTTPClient: idp.Client()}
	cfg.Handlers = map[string]http.Handler{idp.PathPrefix(): idp}
	return nil
}
