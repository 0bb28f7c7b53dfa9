package credential

import (
	"net/url"
	"strings"
)

// VerifyPathPrefix is the path segment under which gateways serve the
// verification page of a credential: <base>/v/<identifier>?t=<token>.
const VerifyPathPrefix = "/v/"

// MaxVerifyURLLength bounds the QR text ParseVerifyURL accepts; a real
// verification URL is well under 300 characters.
const MaxVerifyURLLength = 2048

// maxTokenLength bounds the access token in a verification URL.
const maxTokenLength = 128

// VerifyURL builds the verification URL a by-reference QR code carries.
// base is the gateway's public URL (scheme, host and optional path prefix);
// token may be empty for a URL that only reveals the status.
func VerifyURL(base, id, token string) string {
	u := strings.TrimRight(base, "/") + VerifyPathPrefix + url.PathEscape(id)
	if token != "" {
		u += "?t=" + url.QueryEscape(token)
	}
	return u
}

// ParseVerifyURL extracts the credential identifier and the access token from
// the text of a by-reference QR code. Any http(s) host is accepted, because a
// verifier may scan a code printed by another gateway; the path must end in
// /v/<identifier> and the identifier must parse, check character included.
// token is empty when the URL carries none.
func ParseVerifyURL(text string) (id, token string, err error) {
	text = strings.TrimSpace(text)
	if len(text) > MaxVerifyURLLength {
		return "", "", Errorf(ReasonInvalidQR, "QR text is longer than %d characters", MaxVerifyURLLength)
	}
	u, perr := url.Parse(text)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", Errorf(ReasonInvalidQR, "QR text is not a CertLedger verification URL")
	}
	i := strings.LastIndex(u.Path, VerifyPathPrefix)
	if i < 0 {
		return "", "", Errorf(ReasonInvalidQR, "verification URL must have the path /v/<identifier>")
	}
	id = u.Path[i+len(VerifyPathPrefix):]
	if _, err := ParseIdentifier(id); err != nil {
		return "", "", err
	}
	q, qerr := url.ParseQuery(u.RawQuery)
	if qerr != nil {
		return "", "", Wrapf(qerr, ReasonInvalidQR, "verification URL has a malformed query")
	}
	if ts := q["t"]; len(ts) > 1 {
		return "", "", Errorf(ReasonInvalidQR, "verification URL has more than one token")
	} else if len(ts) == 1 {
		token = ts[0]
		if !validToken(token) {
			return "", "", Errorf(ReasonInvalidQR, "verification URL token is malformed")
		}
	}
	return id, token, nil
}

// validToken accepts non-empty base64url text of bounded length.
func validToken(t string) bool {
	if t == "" || len(t) > maxTokenLength {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
