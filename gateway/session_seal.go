package gateway

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// sealVersion prefixes every sealed value, so a later format can be told
// from this one and an old cookie refused cleanly.
const sealVersion = "v1."

// errUnsealed is any value that does not open: tampered, cut, sealed for
// another purpose or under another key.
var errUnsealed = errors.New("sealed value does not open")

// sealer encrypts and authenticates small values a browser keeps for the
// gateway (cookies) with XChaCha20-Poly1305: its 24-byte nonces are drawn at
// random without a counter to keep, and nothing of the content shows.
type sealer struct {
	aead    cipher.AEAD
	purpose []byte // additional data: a value sealed for one purpose never opens for another
}

// newSealer derives the purpose's own key from the gateway's session
// secret with HKDF-SHA256, so each purpose has an independent key.
func newSealer(secret []byte, purpose string) (*sealer, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, "certledger "+purpose+" cookie v1", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead, purpose: []byte(purpose)}, nil
}

// seal returns v as JSON, encrypted, in cookie-safe text.
func (s *sealer) seal(v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	buf := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	buf = s.aead.Seal(buf, buf, plain, s.purpose)
	return sealVersion + base64.RawURLEncoding.EncodeToString(buf), nil
}

// open decrypts what seal returned into v.
func (s *sealer) open(text string, v any) error {
	body, ok := strings.CutPrefix(text, sealVersion)
	if !ok {
		return errUnsealed
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return errUnsealed
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], s.purpose)
	if err != nil {
		return errUnsealed
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return errUnsealed
	}
	return nil
}
