// Package keystore keeps a gateway's secrets in its data folder: the
// departments' Ed25519 signing keys and the gateway's own secrets (HMAC
// keys of the holder reference, verification token and idempotency; the
// session cookies' key). Everything lives in one JSON file of mode 0600,
// rewritten atomically on every change and sealed under the operator's
// key-encryption key (sealed.go). API keys live on the ledger; the hashes an
// earlier release kept here are read only until the gateway has moved them
// there (LegacyAPIKeys, ForgetAPIKeys).
//
// A ledger backend that gets signing keys from elsewhere (the Fabric backend
// reads them from the network's connection profile) adds them with
// PutSigningKey, or wraps a Store and overrides SigningKeys.
package keystore

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/certledger/certledger/gateway/atrest"
)

// FileName is the name of the store inside its folder.
const FileName = "keystore.json"

// SecretSize is the size in bytes of each gateway HMAC key.
const SecretSize = 32

// SigningKey is a department's Ed25519 private key with the key ID it is
// registered under on the ledger.
type SigningKey struct {
	DeptID  string
	KeyID   string
	Private ed25519.PrivateKey
	Created time.Time
}

// Public returns the public half.
func (k SigningKey) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// PublicBase64 returns the public key as the registry records it.
func (k SigningKey) PublicBase64() string { return base64.StdEncoding.EncodeToString(k.Public()) }

// Secrets are the gateway's own HMAC keys.
type Secrets struct {
	// HolderKey keys credential.HolderRef. Every gateway of one ledger must
	// hold the same key, or the same holder gets different references; with
	// it a gateway can link one holder's credentials across departments.
	HolderKey []byte
	// TokenKey keys the access tokens of verification URLs.
	TokenKey []byte
	// IdempotencyKey keys the hashes of Idempotency-Key headers and request
	// bodies sent to the ledger.
	IdempotencyKey []byte
	// SessionKey is what the keys sealing citizens' session cookies are
	// derived from. A store written before it existed gets one on Open.
	SessionKey []byte
}

type fileAPIKey struct {
	DeptID  string    `json:"dept"`
	Hash    string    `json:"sha256"` // hex SHA-256 of the whole key text
	Created time.Time `json:"created"`
}

type fileSigningKey struct {
	DeptID  string    `json:"dept"`
	KeyID   string    `json:"kid"`
	Seed    string    `json:"seed"` // base64 Ed25519 seed
	Created time.Time `json:"created"`
}

type fileData struct {
	Version        int              `json:"version"`
	HolderKey      string           `json:"holderKey"`
	TokenKey       string           `json:"tokenKey"`
	IdempotencyKey string           `json:"idempotencyKey"`
	SessionKey     string           `json:"sessionKey,omitempty"`
	APIKeys        []fileAPIKey     `json:"apiKeys"`
	SigningKeys    []fileSigningKey `json:"signingKeys"`
}

// Store is the keystore of one gateway. It is safe for concurrent use.
type Store struct {
	path    string
	sealer  *atrest.Sealer
	mu      sync.RWMutex
	secrets Secrets
	apiKeys []apiKeyEntry
	signing []SigningKey
}

type apiKeyEntry struct {
	deptID  string
	hash    [sha256.Size]byte
	created time.Time
}

// LegacyAPIKey is an API key hash an earlier release kept in the keystore.
type LegacyAPIKey struct {
	DeptID  string
	SHA256  string // lower-case hex of the whole key text
	Created time.Time
}

// Open opens the store in dir, sealed under kek, creating dir (mode 0700)
// and a store with fresh gateway secrets when there is none. It refuses a
// store file that others can read, since it holds private keys, and seals a
// clear one (written before encryption) under kek.
func Open(dir string, kek atrest.KEK) (*Store, error) {
	if !kek.Valid() {
		return nil, errors.New("keystore: no key-encryption key given; " + atrest.GenerateHint)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	s := &Store{path: filepath.Join(dir, FileName), sealer: kek.Sealer(atrest.PurposeKeystore)}
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.secrets = Secrets{HolderKey: randomBytes(SecretSize), TokenKey: randomBytes(SecretSize), IdempotencyKey: randomBytes(SecretSize),
			SessionKey: randomBytes(SecretSize)}
		if err := s.save(); err != nil {
			return nil, err
		}
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("keystore: %w", err)
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keystore: %s has mode %v; it holds private keys and must be 0600 (chmod 600 it)", s.path, fi.Mode().Perm())
	}
	b, clear, err := s.unseal(b)
	if err != nil {
		return nil, err
	}
	if err := s.decode(b); err != nil {
		return nil, fmt.Errorf("keystore: %s: %w", s.path, err)
	}
	// A store from before session cookies gets a key; its other secrets stay.
	noSessionKey := s.secrets.SessionKey == nil
	if noSessionKey {
		s.secrets.SessionKey = randomBytes(SecretSize)
	}
	if clear || noSessionKey {
		if err := s.save(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Path returns the store's file path.
func (s *Store) Path() string { return s.path }

func (s *Store) decode(b []byte) error {
	var f fileData
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if f.Version != 1 {
		return fmt.Errorf("unsupported version %d", f.Version)
	}
	var err error
	dec := func(name, v string) []byte {
		if err != nil {
			return nil
		}
		b, e := base64.StdEncoding.DecodeString(v)
		if e != nil || len(b) != SecretSize {
			err = fmt.Errorf("%s must be %d bytes of base64", name, SecretSize)
		}
		return b
	}
	s.secrets = Secrets{HolderKey: dec("holderKey", f.HolderKey), TokenKey: dec("tokenKey", f.TokenKey), IdempotencyKey: dec("idempotencyKey", f.IdempotencyKey)}
	if f.SessionKey != "" {
		s.secrets.SessionKey = dec("sessionKey", f.SessionKey)
	}
	if err != nil {
		return err
	}
	for _, k := range f.APIKeys {
		h, e := hex.DecodeString(k.Hash)
		if e != nil || len(h) != sha256.Size {
			return fmt.Errorf("api key hash for %s is not hex SHA-256", k.DeptID)
		}
		var e2 apiKeyEntry
		e2.deptID, e2.created = k.DeptID, k.Created
		copy(e2.hash[:], h)
		s.apiKeys = append(s.apiKeys, e2)
	}
	for _, k := range f.SigningKeys {
		seed, e := base64.StdEncoding.DecodeString(k.Seed)
		if e != nil || len(seed) != ed25519.SeedSize {
			return fmt.Errorf("signing key %s of %s is not a base64 Ed25519 seed", k.KeyID, k.DeptID)
		}
		s.signing = append(s.signing, SigningKey{DeptID: k.DeptID, KeyID: k.KeyID, Private: ed25519.NewKeyFromSeed(seed), Created: k.Created})
	}
	return nil
}

// save writes the store sealed and atomically: a synced temporary file
// renamed over the old one, so a crash leaves either the old or the new
// store, never half.
// Callers hold s.mu for writing (or own s exclusively).
func (s *Store) save() error {
	f := fileData{
		Version:        1,
		HolderKey:      base64.StdEncoding.EncodeToString(s.secrets.HolderKey),
		TokenKey:       base64.StdEncoding.EncodeToString(s.secrets.TokenKey),
		IdempotencyKey: base64.StdEncoding.EncodeToString(s.secrets.IdempotencyKey),
		SessionKey:     base64.StdEncoding.EncodeToString(s.secrets.SessionKey),
		APIKeys:        []fileAPIKey{},
		SigningKeys:    []fileSigningKey{},
	}
	for _, k := range s.apiKeys {
		f.APIKeys = append(f.APIKeys, fileAPIKey{DeptID: k.deptID, Hash: hex.EncodeToString(k.hash[:]), Created: k.created})
	}
	for _, k := range s.signing {
		f.SigningKeys = append(f.SigningKeys, fileSigningKey{DeptID: k.DeptID, KeyID: k.KeyID,
			Seed: base64.StdEncoding.EncodeToString(k.Private.Seed()), Created: k.Created})
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	if b, err = s.seal(b); err != nil {
		return err
	}
	return WriteFileAtomic(s.path, b, 0o600)
}

// WriteFileAtomic writes data to path with the given mode through a synced
// temporary file in the same folder and a rename.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; best effort where unsupported
		d.Close()
	}
	return nil
}

// Secrets returns the gateway's HMAC keys.
func (s *Store) Secrets() Secrets {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.secrets
}

// LegacyAPIKeys returns the API key hashes the store still holds.
func (s *Store) LegacyAPIKeys() []LegacyAPIKey {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]LegacyAPIKey, 0, len(s.apiKeys))
	for _, e := range s.apiKeys {
		out = append(out, LegacyAPIKey{DeptID: e.deptID, SHA256: hex.EncodeToString(e.hash[:]), Created: e.created})
	}
	return out
}

// ForgetAPIKeys drops the API key hashes given (lower-case hex), once the
// ledger holds them.
func (s *Store) ForgetAPIKeys(hashes []string) error {
	drop := make(map[string]bool, len(hashes))
	for _, h := range hashes {
		drop[h] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.apiKeys
	var kept []apiKeyEntry
	for _, e := range s.apiKeys {
		if !drop[hex.EncodeToString(e.hash[:])] {
			kept = append(kept, e)
		}
	}
	if len(kept) == len(old) {
		return nil
	}
	s.apiKeys = kept
	if err := s.save(); err != nil {
		s.apiKeys = old
		return err
	}
	return nil
}

// NewSigningKey generates and stores an Ed25519 key for a department. The
// key ID is "<dept>-<UTC time>", unique per department and readable in a
// verification answer.
func (s *Store) NewSigningKey(deptID string, now time.Time) (SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, fmt.Errorf("keystore: %w", err)
	}
	k := SigningKey{DeptID: deptID, KeyID: deptID + "-" + now.UTC().Format("20060102T150405Z"), Private: priv, Created: now.UTC()}
	return k, s.PutSigningKey(k)
}

// PutSigningKey stores a signing key, replacing one with the same
// department and key ID.
func (s *Store) PutSigningKey(k SigningKey) error {
	if k.DeptID == "" || k.KeyID == "" || len(k.Private) != ed25519.PrivateKeySize {
		return errors.New("keystore: a signing key needs a department, a key ID and an Ed25519 private key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := append([]SigningKey(nil), s.signing...)
	replaced := false
	for i, e := range s.signing {
		if e.DeptID == k.DeptID && e.KeyID == k.KeyID {
			s.signing[i], replaced = k, true
		}
	}
	if !replaced {
		s.signing = append(s.signing, k)
	}
	if err := s.save(); err != nil {
		s.signing = old
		return err
	}
	return nil
}

// SigningKeys returns the department's signing keys, newest first.
func (s *Store) SigningKeys(deptID string) []SigningKey {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []SigningKey
	for _, k := range s.signing {
		if k.DeptID == deptID {
			out = append(out, k)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("keystore: crypto/rand failed: " + err.Error())
	}
	return b
}
