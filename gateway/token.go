package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"

	"github.com/certledger/certledger/credential"
)

// TokenLength is the length of a verification URL's access token: 22
// base64url characters, 132 bits of an HMAC-SHA256, short enough to keep
// the QR code small and far too long to guess.
const TokenLength = 22

// tokenFor returns the access token of generation gen of a credential:
// whoever holds it (the QR code on the credential) may see the credential's
// fields. Generation 0 hashes the identifier alone, as before rotation
// existed, so tokens already printed stay valid until the issuer rotates.
func (s *Server) tokenFor(id string, gen int) string {
	m := hmac.New(sha256.New, s.secrets.TokenKey)
	m.Write([]byte("certledger.verify-token.v1\x00"))
	m.Write([]byte(id))
	if gen > 0 {
		m.Write([]byte("\x00" + strconv.Itoa(gen)))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:TokenLength]
}

// tokenValid reports whether token is the current access token of
// credential id, whose record is at generation gen, in constant time.
func (s *Server) tokenValid(id string, gen int, token string) bool {
	if len(token) != TokenLength {
		return false
	}
	return hmac.Equal([]byte(s.tokenFor(id, gen)), []byte(token))
}

// verifyURL is the link a QR code carries; withToken adds the record's
// current access token.
func (s *Server) verifyURL(rec credential.Record, withToken bool) string {
	tok := ""
	if withToken {
		tok = s.tokenFor(rec.ID, rec.TokenGeneration)
	}
	return credential.VerifyURL(s.cfg.PublicURL, rec.ID, tok)
}

// qrURL is where the issuing department fetches the QR code PNG.
func (s *Server) qrURL(id string) string {
	return s.cfg.PublicURL + "/api/v1/credentials/" + id + "/qr.png"
}

// tokenRecord reads the record of credential id for a caller who shows
// token instead of an API key: a token that is not the record's current
// one is refused. For a credential not on the ledger the token is checked
// as a generation-0 one, so a wrong token is refused as it always was.
func (s *Server) tokenRecord(ctx context.Context, id, token string) (credential.Record, error) {
	rec, err := s.ledger.Record(ctx, id)
	gen := rec.TokenGeneration
	switch {
	case credential.ErrorReason(err) == credential.ReasonCredentialNotFound:
		gen = 0
	case err != nil:
		return rec, err
	}
	if !s.tokenValid(id, gen, token) {
		return credential.Record{}, credential.Errorf(credential.ReasonInvalidToken, "the token does not grant access to %s", id)
	}
	return rec, err
}
