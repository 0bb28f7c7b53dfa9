package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	"github.com/certledger/certledger/credential"
)

// TokenLength is the length of a verification URL's access token: 22
// base64url characters, 132 bits of an HMAC-SHA256, short enough to keep
// the QR code small and far too long to guess.
const TokenLength = 22

// tokenFor returns the access token for a credential: whoever holds it (the
// QR code on the credential) may see the credential's fields.
func (s *Server) tokenFor(id string) string {
	m := hmac.New(sha256.New, s.secrets.TokenKey)
	m.Write([]byte("certledger.verify-token.v1\x00"))
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:TokenLength]
}

// tokenValid reports whether token grants access to credential id, in
// constant time.
func (s *Server) tokenValid(id, token string) bool {
	if len(token) != TokenLength {
		return false
	}
	return hmac.Equal([]byte(s.tokenFor(id)), []byte(token))
}

// verifyURL is the link a QR code carries; withToken adds the access token.
func (s *Server) verifyURL(id string, withToken bool) string {
	tok := ""
	if withToken {
		tok = s.tokenFor(id)
	}
	return credential.VerifyURL(s.cfg.PublicURL, id, tok)
}

// qrURL is where the issuing department fetches the QR code PNG.
func (s *Server) qrURL(id string) string {
	return s.cfg.PublicURL + "/api/v1/credentials/" + id + "/qr.png"
}
