package atrest

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"
)

// Algorithm names the AEAD in the files that record it.
const Algorithm = "XChaCha20-Poly1305"

// NonceSize is the size of the random nonce that starts a sealed value.
const NonceSize = chacha20poly1305.NonceSizeX

// Overhead is what sealing adds to a value: the nonce and the tag.
const Overhead = NonceSize + chacha20poly1305.Overhead

// ErrAuthentication is returned when a sealed value does not open: it was
// altered, truncated, moved to another place (other associated data), or
// sealed for another purpose or under another KEK.
var ErrAuthentication = errors.New("authentication failed: the sealed value was altered or moved, or sealed under another key")

// Sealer seals and opens values for one purpose under one KEK. It is safe
// for concurrent use.
type Sealer struct {
	aead  cipher.AEAD
	kekID string
}

// Sealer returns the sealer of purpose: its key is derived from k with
// HKDF-SHA256, the purpose being the HKDF info.
func (k KEK) Sealer(purpose string) *Sealer {
	if !k.Valid() {
		panic("atrest: Sealer of a zero KEK")
	}
	var key [chacha20poly1305.KeySize]byte
	derive(k.key, purpose, key[:])
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		panic("atrest: " + err.Error())
	}
	return &Sealer{aead: aead, kekID: k.id}
}

// KEKID is the ID of the KEK the sealer's key comes from.
func (s *Sealer) KEKID() string { return s.kekID }

// Seal appends to dst a fresh random nonce and the ciphertext of plain,
// authenticated together with ad. XChaCha20's 192-bit nonces make random
// nonces safe for any number of values under one key.
func (s *Sealer) Seal(dst, plain, ad []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, Overhead+len(plain))[:n+chacha20poly1305.NonceSizeX]
	nonce := dst[n:]
	if _, err := rand.Read(nonce); err != nil {
		panic("atrest: crypto/rand failed: " + err.Error())
	}
	return s.aead.Seal(dst, nonce, plain, ad)
}

// Open appends to dst the plaintext of sealed (as Seal made it with the
// same ad), or returns ErrAuthentication.
func (s *Sealer) Open(dst, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, ErrAuthentication
	}
	nonce, ct := sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:]
	out, err := s.aead.Open(dst, nonce, ct, ad)
	if err != nil {
		return nil, ErrAuthentication
	}
	return out, nil
}
