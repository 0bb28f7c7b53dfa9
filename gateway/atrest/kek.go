// Package atrest encrypts what a gateway keeps on disk: the keystore file
// and the embedded ledger's private documents. Everything is sealed with
// XChaCha20-Poly1305 under keys derived (HKDF-SHA256) from one key-encryption
// key (KEK) that the operator supplies, one key per purpose. Each sealed file
// names the KEK by its ID, so a wrong KEK is refused by name instead of
// failing as garbage (docs/decisions/0009-encryption-at-rest.md).
package atrest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/hkdf"
)

// KeySize is the size of a KEK in bytes.
const KeySize = 32

// EnvKEK and EnvKEKFile are the environment variables that supply the KEK:
// its base64 text, or the path of a file holding it.
const (
	EnvKEK     = "CERTLEDGER_KEK"
	EnvKEKFile = "CERTLEDGER_KEK_FILE"
)

// GenerateHint tells an operator how to make a KEK.
const GenerateHint = "create one with `certledger kek generate > kek.b64` (or `head -c32 /dev/urandom | base64 > kek.b64`), chmod 600 it, and pass --kek-file kek.b64 or set " + EnvKEKFile + " (or its text in " + EnvKEK + ")"

// Purposes of the keys derived from a KEK. A key is never used for two
// purposes, so a value sealed for one cannot be opened as another.
const (
	PurposeKeystore      = "certledger keystore file v1"
	PurposeLedgerPrivate = "certledger embedded ledger private data v1"
	purposeID            = "certledger kek id v1"
)

// KEK is a key-encryption key. Its zero value is not a key: use Generate,
// Parse or LoadFile.
type KEK struct {
	key [KeySize]byte
	id  string
}

// Generate returns a new random KEK.
func Generate() KEK {
	var k [KeySize]byte
	if _, err := rand.Read(k[:]); err != nil {
		panic("atrest: crypto/rand failed: " + err.Error())
	}
	return fromBytes(k)
}

func fromBytes(k [KeySize]byte) KEK {
	var id [8]byte
	derive(k, purposeID, id[:])
	return KEK{key: k, id: hex.EncodeToString(id[:])}
}

// Parse reads a KEK from its base64 text (standard alphabet, padding
// optional, surrounding white space ignored).
func Parse(text string) (KEK, error) {
	s := strings.TrimSpace(text)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil || len(b) != KeySize {
		return KEK{}, fmt.Errorf("a key-encryption key is %d random bytes in base64 (44 characters); %s", KeySize, GenerateHint)
	}
	var k [KeySize]byte
	copy(k[:], b)
	return fromBytes(k), nil
}

// LoadFile reads a KEK file: the key's base64 text. Like the keystore, it
// must not be readable by group or others.
func LoadFile(path string) (KEK, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return KEK{}, fmt.Errorf("key-encryption key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return KEK{}, fmt.Errorf("key-encryption key %s has mode %v; it must be 0600 (chmod 600 it)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return KEK{}, fmt.Errorf("key-encryption key: %w", err)
	}
	k, err := Parse(string(b))
	if err != nil {
		return KEK{}, fmt.Errorf("key-encryption key %s: %w", path, err)
	}
	return k, nil
}

// WriteFile writes k's base64 text to a new file of mode 0600; it refuses
// to replace an existing file, which may be the only copy of another KEK.
func WriteFile(path string, k KEK) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write the key-encryption key: %w", err)
	}
	_, werr := f.WriteString(k.Text() + "\n")
	serr := f.Sync()
	if err := errors.Join(werr, serr, f.Close()); err != nil {
		os.Remove(path)
		return fmt.Errorf("write the key-encryption key %s: %w", path, err)
	}
	// Data sealed under the key is written next; the key's name must
	// survive a crash as surely as that data.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Valid reports whether k is a key (not the zero value).
func (k KEK) Valid() bool { return k.id != "" }

// ID names the KEK without revealing it: 16 hex digits derived with HKDF,
// recorded in every file sealed under it.
func (k KEK) ID() string { return k.id }

// Text returns the KEK in base64, as Parse and LoadFile read it.
func (k KEK) Text() string { return base64.StdEncoding.EncodeToString(k.key[:]) }

// String names the KEK by its ID, so a KEK printed by mistake does not leak.
func (k KEK) String() string { return "KEK " + k.id }

// GoString keeps %#v from printing the key bytes.
func (k KEK) GoString() string { return k.String() }

// derive fills out with the HKDF-SHA256 expansion of key for purpose.
func derive(key [KeySize]byte, purpose string, out []byte) {
	if _, err := io.ReadFull(hkdf.New(sha256.New, key[:], nil, []byte(purpose)), out); err != nil {
		panic("atrest: hkdf: " + err.Error())
	}
}

// WrongKEKError refuses a file sealed under another KEK than the one given.
type WrongKEKError struct {
	Path   string
	Sealed string // ID of the KEK the file is sealed under
	Given  string // ID of the KEK given
}

func (e *WrongKEKError) Error() string {
	return fmt.Sprintf("%s is encrypted with the key-encryption key %s, but the key given is %s: pass the KEK this data folder "+
		"was encrypted with (--kek-file, %s or %s; after `certledger kek rotate`, the new one)", e.Path, e.Sealed, e.Given, EnvKEKFile, EnvKEK)
}
