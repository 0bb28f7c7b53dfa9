// Package demosignin wires the demo identity provider into a gateway's
// configuration, for `serve --demo` and for the load tool's self-hosted
// gateway alike, so both sign citizens in the same way. The provider and
// the gateway do not know each other (docs/decisions/0011).
package demosignin

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/demoidp"
	"github.com/certledger/certledger/gateway/provision"
)

// ClientID is the gateway's client ID at the demo identity provider.
const ClientID = "certledger-gateway"

// Wire builds the demo identity provider for the demo citizens, served by
// the gateway under <public URL>/demo-idp, and points the gateway's sign-in
// at it. cfg.PublicURL must be set. The client secret is new on every
// start and never leaves the process; the gateway reaches the provider
// in-process.
func Wire(cfg *gateway.Config, res provision.Result) error {
	var accounts []demoidp.Account
	for _, c := range res.Citizens {
		h, err := demoidp.HashPassword(c.Password)
		if err != nil {
			return err
		}
		accounts = append(accounts, demoidp.Account{Username: c.Username, PasswordHash: h, Name: c.Name, IDType: c.IDType, IDNumber: c.IDNumber})
	}
	for _, m := range res.Staff {
		h, err := demoidp.HashPassword(m.Password)
		if err != nil {
			return err
		}
		accounts = append(accounts, demoidp.Account{Username: m.Username, PasswordHash: h, Dept: m.Department, Roles: m.Roles})
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	secret := base64.RawURLEncoding.EncodeToString(b[:])
	redirect := cfg.PublicURL + "/me/callback"
	idp, err := demoidp.New(demoidp.Config{Issuer: cfg.PublicURL + "/demo-idp", ClientID: ClientID, ClientSecret: secret,
		RedirectURIs: []string{redirect}, Accounts: accounts, PasswordsFile: res.KeysPath, Now: time.Now})
	if err != nil {
		return err
	}
	cfg.OIDC = gateway.OIDCConfig{Issuer: idp.Issuer(), ClientID: ClientID, ClientSecret: secret, RedirectURL: redirect,
		ClaimIDType: demoidp.ClaimIDType, ClaimIDNumber: demoidp.ClaimIDNumber, ClaimName: demoidp.ClaimName,
		ClaimDept: demoidp.ClaimDept, ClaimRoles: demoidp.ClaimRoles, HTTPClient: idp.Client()}
	cfg.Handlers = map[string]http.Handler{idp.PathPrefix(): idp}
	return nil
}
