package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/certledger/certledger/gateway"
)

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
	fs.StringVar(&o.OIDCClaimDept, "oidc-claim-dept", envOr("CERTLEDGER_OIDC_CLAIM_DEPT", gateway.DefaultClaimDept), "ID token claim with a member of staff's department ID, read at the console's sign-in (env CERTLEDGER_OIDC_CLAIM_DEPT)")
	fs.StringVar(&o.OIDCClaimRoles, "oidc-claim-roles", envOr("CERTLEDGER_OIDC_CLAIM_ROLES", gateway.DefaultClaimRoles), "ID token claim with a member of staff's roles: a list of clerk, approver, admin (env CERTLEDGER_OIDC_CLAIM_ROLES)")
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
		Scopes: splitList(o.OIDCScopes), ClaimIDType: o.OIDCClaimIDType, ClaimIDNumber: o.OIDCClaimIDNumber, ClaimName: o.OIDCClaimName,
		ClaimDept: o.OIDCClaimDept, ClaimRoles: o.OIDCClaimRoles}, nil
}
