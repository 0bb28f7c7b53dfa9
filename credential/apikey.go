package credential

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// APIKeySecretPrefix starts every API key, so a leaked key is recognizable
// (secret scanners, logs) and a key pasted in the wrong place is easy to
// spot.
const APIKeySecretPrefix = "clk_"

// APIKeyPublicPrefixLength is how many leading characters of a key are
// public: the "clk_" marker and 8 random characters (48 of its 256 bits),
// enough for a person to tell their keys apart in a list.
const APIKeyPublicPrefixLength = len(APIKeySecretPrefix) + 8

// MaxAPIKeyLabel bounds an API key's label, in characters.
const MaxAPIKeyLabel = 100

// apiKeyBytes of randomness make guessing a key hopeless, which is why a
// plain SHA-256 (no slow KDF) may be stored, and even published.
const apiKeyBytes = 32

// APIKey is the ledger's record of a department API key: public data only.
// The key itself never reaches the ledger; SHA256 is the hash gateways
// authenticate it against, and ID is derived from that hash, so the same
// key can never be recorded twice.
type APIKey struct {
	ID   string `json:"id"`
	Dept string `json:"dept"`
	// Prefix is the key's first APIKeyPublicPrefixLength characters;
	// empty for a key recorded from its hash alone (a migrated one).
	Prefix    string    `json:"prefix,omitempty"`
	Label     string    `json:"label,omitempty"`
	SHA256    string    `json:"sha256"` // lower-case hex
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// Roles are the staff roles the key acts with, canonically ordered;
	// none means all (every key recorded before roles existed).
	Roles   []StaffRole `json:"roles,omitempty"`
	Created time.Time   `json:"created"`
	// CreatedBy is the department that created the key (the key's own, or
	// governance), CreatedByKey the API key it acted with, if any.
	CreatedBy string `json:"createdBy"`
	// CreatedByStaff the signed-in member of staff's subject, if any.
	CreatedByKey   string    `json:"createdByKey,omitempty"`
	CreatedByStaff string    `json:"createdByStaff,omitempty"`
	CreateTxID     string    `json:"createTxId"`
	RevokedAt      time.Time `json:"revokedAt,omitzero"`
	RevokedBy      string    `json:"revokedBy,omitempty"`
	RevokedByKey   string    `json:"revokedByKey,omitempty"`
	RevokedByStaff string    `json:"revokedByStaff,omitempty"`
	RevokeTxID     string    `json:"revokeTxId,omitempty"`
}

// Allows reports whether the key may act with staff role r.
func (k APIKey) Allows(r StaffRole) bool { return StaffRolesAllow(k.Roles, r) }

// APIKeyState is what an API key is worth at a given time.
type APIKeyState string

// API key states: revoked wins over expired.
const (
	APIKeyActive  APIKeyState = "active"
	APIKeyExpired APIKeyState = "expired"
	APIKeyRevoked APIKeyState = "revoked"
)

// State derives the key's state at now.
func (k APIKey) State(now time.Time) APIKeyState {
	switch {
	case !k.RevokedAt.IsZero():
		return APIKeyRevoked
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return APIKeyExpired
	}
	return APIKeyActive
}

// NewAPIKey asks the ledger to record a key. The caller (the key's own
// department, or governance) is the transaction's identity; ActingKey is
// the API key the request came with, recorded as CreatedByKey.
type NewAPIKey struct {
	ID        string    `json:"id"`
	Dept      string    `json:"dept"`
	Prefix    string    `json:"prefix,omitempty"`
	Label     string    `json:"label,omitempty"`
	SHA256    string    `json:"sha256"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// Roles of the new key; none gives it all.
	Roles     []StaffRole `json:"roles,omitempty"`
	ActingKey string      `json:"actingKey,omitempty"`
	// ActingStaff is the signed-in member of staff's subject, if any.
	ActingStaff string `json:"actingStaff,omitempty"`
}

// APIKeyRevocation asks the ledger to revoke key ID of department Dept.
type APIKeyRevocation struct {
	Dept        string `json:"dept"`
	ID          string `json:"id"`
	ActingKey   string `json:"actingKey,omitempty"`
	ActingStaff string `json:"actingStaff,omitempty"`
}

// GenerateAPIKey returns a fresh API key and the request that records it
// for department dept: its hash, ID and public prefix. The key itself is
// for the caller to hand over once; nothing keeps it.
func GenerateAPIKey(dept string) (secret string, req NewAPIKey) {
	b := make([]byte, apiKeyBytes)
	if _, err := rand.Read(b); err != nil {
		panic("credential: crypto/rand failed: " + err.Error())
	}
	secret = APIKeySecretPrefix + base64.RawURLEncoding.EncodeToString(b)
	hash := APIKeyHash(secret)
	return secret, NewAPIKey{ID: APIKeyIDOf(hash), Dept: dept, Prefix: secret[:APIKeyPublicPrefixLength], SHA256: hash}
}

// APIKeyHash returns the hex SHA-256 of an API key's text, as recorded.
func APIKeyHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// APIKeyIDOf derives a key's public ID from its hex SHA-256: "ak_" and the
// first 16 hex digits. It reveals nothing the published hash does not.
func APIKeyIDOf(sha256Hex string) string {
	if len(sha256Hex) < 16 {
		return ""
	}
	return "ak_" + sha256Hex[:16]
}

// ValidAPIKeyID reports whether s has the form of an API key ID.
func ValidAPIKeyID(s string) bool {
	return len(s) == 19 && strings.HasPrefix(s, "ak_") && isLowerHex(s[3:])
}

// ValidAPIKeyHash reports whether s is a lower-case hex SHA-256.
func ValidAPIKeyHash(s string) bool { return len(s) == 2*sha256.Size && isLowerHex(s) }

// ValidAPIKeyPrefix reports whether s is the public prefix of a generated
// key.
func ValidAPIKeyPrefix(s string) bool {
	if len(s) != APIKeyPublicPrefixLength || !strings.HasPrefix(s, APIKeySecretPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s[len(APIKeySecretPrefix):])
	return err == nil
}

// NormalizeAPIKeyLabel trims a label and reports whether it is acceptable:
// at most MaxAPIKeyLabel characters of valid UTF-8 without control
// characters. It is public, so it names a use ("console", "batch
// import"), never a person.
func NormalizeAPIKeyLabel(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxAPIKeyLabel {
		return s, false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return s, false
		}
	}
	return s, true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
