package demoidp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommendation of 19 MiB, two passes, one
// lane, which keeps a login under 50 ms on a small machine.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns the Argon2id hash of password in the PHC string
// form ($argon2id$v=19$m=…,t=…,p=…$salt$hash). Only hashes are kept.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

var errBadHash = errors.New("demoidp: not an argon2id hash")

// argonHash is a parsed PHC string.
type argonHash struct {
	time, memory uint32
	threads      uint8
	salt, key    []byte
}

// parseHash reads a hash from HashPassword, refusing parameters that would
// make a check take unbounded time or memory.
func parseHash(hash string) (argonHash, error) {
	var h argonHash
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return h, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &h.threads); err != nil ||
		h.memory == 0 || h.time == 0 || h.threads == 0 || h.memory > 1<<20 || h.time > 16 {
		return h, errBadHash
	}
	var err1, err2 error
	h.salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	h.key, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(h.key) < 16 || len(h.key) > 64 {
		return h, errBadHash
	}
	return h, nil
}

// checkPassword reports whether password matches a hash from
// HashPassword, with the parameters the hash names.
func checkPassword(hash, password string) (bool, error) {
	h, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1, nil
}
