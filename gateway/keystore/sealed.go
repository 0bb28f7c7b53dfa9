package keystore

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/certledger/certledger/gateway/atrest"
)

// envelope is keystore.json as written: the store's JSON, sealed under the
// operator's KEK. KEK names the key, so a wrong one is refused by name.
type envelope struct {
	Envelope   int    `json:"envelope"`
	Algorithm  string `json:"alg"`
	KEK        string `json:"kek"`
	Nonce      string `json:"nonce"`
	Ciphertext string `json:"ciphertext"`
}

const envelopeVersion = 1

// envelopeAD binds the envelope's header to its ciphertext.
func envelopeAD(version int, alg, kekID string) []byte {
	return fmt.Appendf(nil, "certledger keystore envelope %d\x00%s\x00%s", version, alg, kekID)
}

// parseEnvelope reads a stored file. A file without the envelope member is
// a clear store, as written before encryption: env is nil then.
func parseEnvelope(b []byte) (*envelope, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, err
	}
	if env.Envelope == 0 {
		return nil, nil
	}
	if env.Envelope != envelopeVersion || env.Algorithm != atrest.Algorithm {
		return nil, fmt.Errorf("unsupported envelope %d (%s)", env.Envelope, env.Algorithm)
	}
	return &env, nil
}

// unseal returns the store's JSON held in the file's bytes b; clear says
// that b is a store from before encryption, to be sealed on first save.
func (s *Store) unseal(b []byte) (plain []byte, clear bool, err error) {
	env, err := parseEnvelope(b)
	if err != nil {
		return nil, false, fmt.Errorf("keystore: %s: %w", s.path, err)
	}
	if env == nil {
		return b, true, nil
	}
	if env.KEK != s.sealer.KEKID() {
		return nil, false, fmt.Errorf("keystore: %w", &atrest.WrongKEKError{Path: s.path, Sealed: env.KEK, Given: s.sealer.KEKID()})
	}
	nonce, err1 := base64.StdEncoding.DecodeString(env.Nonce)
	ct, err2 := base64.StdEncoding.DecodeString(env.Ciphertext)
	if err1 != nil || err2 != nil {
		return nil, false, fmt.Errorf("keystore: %s: the envelope's nonce or ciphertext is not base64", s.path)
	}
	plain, err = s.sealer.Open(nil, append(nonce, ct...), envelopeAD(env.Envelope, env.Algorithm, env.KEK))
	if err != nil {
		return nil, false, fmt.Errorf("keystore: %s is damaged or was altered: %w", s.path, err)
	}
	return plain, false, nil
}

// seal returns the file bytes holding the store's JSON plain.
func (s *Store) seal(plain []byte) ([]byte, error) {
	ad := envelopeAD(envelopeVersion, atrest.Algorithm, s.sealer.KEKID())
	sealed := s.sealer.Seal(nil, plain, ad)
	n := atrest.NonceSize
	b, err := json.MarshalIndent(envelope{
		Envelope: envelopeVersion, Algorithm: atrest.Algorithm, KEK: s.sealer.KEKID(),
		Nonce: base64.StdEncoding.EncodeToString(sealed[:n]), Ciphertext: base64.StdEncoding.EncodeToString(sealed[n:]),
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	return append(b, '\n'), nil
}

// Rekey seals the store in dir under the KEK to. The store may be sealed
// under from (it is rewritten, atomically), already under to (nothing is
// written) or still in clear; changed reports whether the file was written.
func Rekey(dir string, from, to atrest.KEK) (changed bool, err error) {
	if !from.Valid() || !to.Valid() {
		return false, errors.New("keystore: Rekey needs the old and the new key-encryption key")
	}
	path := filepath.Join(dir, FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("keystore: %w", err)
	}
	env, err := parseEnvelope(b)
	if err != nil {
		return false, fmt.Errorf("keystore: %s: %w", path, err)
	}
	if env == nil || env.KEK == to.ID() {
		// Opening under to seals a clear store, and proves that a sealed
		// one opens.
		_, err := Open(dir, to)
		return err == nil && env == nil, err
	}
	s, err := Open(dir, from)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sealer = to.Sealer(atrest.PurposeKeystore)
	if err := s.save(); err != nil {
		return false, err
	}
	return true, nil
}
