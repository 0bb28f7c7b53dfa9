package credential

import (
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// A share is a holder's link to a chosen part of one credential: the fields a
// service needs, for a while, with every opening recorded. It lives in the
// issuing department's private data collection (docs/decisions/0013).

// Bounds of a share.
const (
	ShareDefaultExpiry = 600 * time.Second
	ShareMinExpiry     = 60 * time.Second
	ShareMaxExpiry     = 30 * 24 * time.Hour // 2,592,000 s
	// MaxSharePurpose bounds the purpose, in characters.
	MaxSharePurpose = 200
	// MaxShareOpenings is how many of the most recent openings a share
	// keeps; OpenCount counts them all.
	MaxShareOpenings = 20
	// MaxShareList bounds the shares one listing returns per department.
	MaxShareList = 100
	// shareRandomLength is the length of a share ID's random part: 16
	// bytes (128 bits) in unpadded base64url.
	shareRandomLength = 22
)

// ShareState is what a share allows now.
type ShareState string

// The states of a share.
const (
	ShareActive    ShareState = "active"
	ShareExpired   ShareState = "expired"
	ShareWithdrawn ShareState = "withdrawn"
)

// ShareOpening is one opening of a share: when, and the department that
// opened it when one identified itself (never a person).
type ShareOpening struct {
	At time.Time `json:"at"`
	By string    `json:"by,omitempty"`
}

// Share is a share as the ledger keeps it. HolderRef is the reference the
// credential's record carries; the share names no holder otherwise.
type Share struct {
	ID          string         `json:"id"`
	Credential  string         `json:"credential"`
	Type        string         `json:"type"`   // credential type ID
	Issuer      string         `json:"issuer"` // department ID, also the ID's prefix
	HolderRef   string         `json:"holderRef"`
	Fields      []string       `json:"fields"`
	Purpose     string         `json:"purpose,omitempty"`
	CreatedAt   time.Time      `json:"createdAt"`
	ExpiresAt   time.Time      `json:"expiresAt"`
	WithdrawnAt time.Time      `json:"withdrawnAt,omitzero"`
	OpenCount   int            `json:"openCount"`
	Openings    []ShareOpening `json:"openings"` // the most recent, oldest first
}

// State is the share's state at now: withdrawn wins over expired.
func (s Share) State(now time.Time) ShareState {
	switch {
	case !s.WithdrawnAt.IsZero():
		return ShareWithdrawn
	case !now.Before(s.ExpiresAt):
		return ShareExpired
	}
	return ShareActive
}

// CheckOpen refuses a share that may no longer be opened at now.
func (s Share) CheckOpen(now time.Time) error {
	switch s.State(now) {
	case ShareWithdrawn:
		return Errorf(ReasonShareWithdrawn, "share %s was withdrawn by its holder", s.ID)
	case ShareExpired:
		return Errorf(ReasonShareExpired, "share %s expired at %s", s.ID, s.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// NewShare asks the ledger to record a share. It holds the holder
// reference, so backends pass it as transient data.
type NewShare struct {
	ID         string   `json:"id"`
	Credential string   `json:"credential"`
	HolderRef  string   `json:"holderRef"`
	Fields     []string `json:"fields"`
	Purpose    string   `json:"purpose,omitempty"`
	ExpiresIn  int64    `json:"expiresIn"` // seconds
}

// ShareOpen asks the ledger to record an opening (transient data too: the
// share ID would otherwise show in the block).
type ShareOpen struct {
	ID string `json:"id"`
	By string `json:"by,omitempty"`
}

// ShareWithdrawal asks the ledger to withdraw a share of the holder with
// this reference.
type ShareWithdrawal struct {
	ID        string `json:"id"`
	HolderRef string `json:"holderRef"`
}

// ShareQuery asks for a holder's shares in one department's collection,
// newest first: under up to two references (the department's and the
// legacy one), at most Limit (1..MaxShareList, 0 for the most).
type ShareQuery struct {
	Refs  []string `json:"refs"`
	Limit int      `json:"limit,omitempty"`
}

// ShareReceipt is what a share write answers. It travels in the
// transaction (on Fabric the endorsement's result lands in the block), so
// it carries nothing from the share but its times: not even its ID, which
// opens the share for whoever has it.
type ShareReceipt struct {
	CreatedAt   time.Time `json:"createdAt,omitzero"`
	ExpiresAt   time.Time `json:"expiresAt,omitzero"`
	WithdrawnAt time.Time `json:"withdrawnAt,omitzero"`
	// Unchanged is true when the write changed nothing (a second
	// withdrawal), so it need not be ordered.
	Unchanged bool `json:"unchanged,omitempty"`
}

// ShareExpiry checks a requested lifetime in seconds; 0 asks for the
// default.
func ShareExpiry(seconds int64) (time.Duration, error) {
	if seconds == 0 {
		return ShareDefaultExpiry, nil
	}
	if seconds < int64(ShareMinExpiry/time.Second) || seconds > int64(ShareMaxExpiry/time.Second) {
		e := Errorf(ReasonInvalidField, "expiresIn must be %d to %d seconds, not %d", int64(ShareMinExpiry/time.Second), int64(ShareMaxExpiry/time.Second), seconds)
		e.Pointer = "#/expiresIn"
		return 0, e
	}
	return time.Duration(seconds) * time.Second, nil
}

// CheckShareFields checks the fields a share discloses: at least one, each
// a claim the document discloses, none twice (Document.Present's rules).
func CheckShareFields(doc *Document, fields []string) error {
	if len(fields) == 0 {
		e := Errorf(ReasonInvalidField, "fields must name at least one field to share")
		e.Pointer = "#/fields"
		return e
	}
	if _, err := doc.Present(fields); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Pointer == "" {
			e.Pointer = "#/fields"
		}
		return err
	}
	return nil
}

// CheckSharePurpose checks a purpose: at most MaxSharePurpose characters
// of valid UTF-8 without control characters.
func CheckSharePurpose(p string) error {
	bad := !utf8.ValidString(p) || utf8.RuneCountInString(p) > MaxSharePurpose ||
		strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f })
	if bad {
		e := Errorf(ReasonInvalidField, "purpose must be at most %d characters without control characters", MaxSharePurpose)
		e.Pointer = "#/purpose"
		return e
	}
	return nil
}

// ShareIssuer returns the issuing department's ID a share ID begins with:
// "<department ID>.<22 characters of base64url>".
func ShareIssuer(id string) (string, error) {
	dept, random, ok := strings.Cut(id, ".")
	if !ok || !ValidRegistryID(dept) || len(random) != shareRandomLength || !base64URL(random) {
		return "", Errorf(ReasonShareNotFound, "%q is not a share ID", truncateText(id, 80))
	}
	return dept, nil
}

// ShareID builds a share ID from the issuing department and 16 random bytes.
func ShareID(dept string, random [16]byte) string {
	return dept + "." + base64.RawURLEncoding.EncodeToString(random[:])
}

func base64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func truncateText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
