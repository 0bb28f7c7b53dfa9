package credential

import (
	"crypto/ed25519"
	"encoding/base64"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Role of a department in the registry.
type Role string

// Department roles.
const (
	RoleGovernance Role = "governance" // keeps the registry (证照目录)
	RoleIssuer     Role = "issuer"     // issues credentials of the types it is authorized for
)

// KeyStatus of a department signing key.
type KeyStatus string

// Key statuses. A retired key no longer signs but what it signed stays
// valid; a compromised key invalidates what it signed from CompromisedAt on.
const (
	KeyActive      KeyStatus = "active"
	KeyRetired     KeyStatus = "retired"
	KeyCompromised KeyStatus = "compromised"
)

// Key is a department's Ed25519 signing key as registered on the ledger.
type Key struct {
	ID            string    `json:"id"`
	PublicKey     string    `json:"publicKey"` // base64 (std) of the 32-byte Ed25519 key
	ValidFrom     time.Time `json:"validFrom"`
	ValidUntil    time.Time `json:"validUntil,omitzero"`
	Status        KeyStatus `json:"status"`
	CompromisedAt time.Time `json:"compromisedAt,omitzero"`
	// CompromiseReason says why the key was marked compromised, on the
	// ledger for every verifier to read.
	CompromiseReason string `json:"compromiseReason,omitempty"`
	// CompromiseRequest is a reported compromise waiting for the
	// governance department's confirmation; nil when none is.
	CompromiseRequest *CompromiseRequest `json:"compromiseRequest,omitempty"`
}

// CompromiseRequest is a department's report that its key was compromised
// further back than the gateway accepts on the department's word alone
// (docs/decisions/0003-key-management.md). It changes no signature's
// validity until it is confirmed.
type CompromiseRequest struct {
	CompromisedAt time.Time `json:"compromisedAt"`
	Reason        string    `json:"reason"`
	RequestedBy   string    `json:"requestedBy"` // department ID
	RequestedAt   time.Time `json:"requestedAt"`
}

// Department is an organization in the registry.
type Department struct {
	ID     string `json:"id"`    // short stable name, e.g. "samr"
	MSPID  string `json:"mspId"` // Fabric MSP ID of the department's organization
	USCC   string `json:"uscc"`
	NameZh string `json:"nameZh"`
	NameEn string `json:"nameEn"`
	Roles  []Role `json:"roles"`
	Keys   []Key  `json:"keys"`
}

// FieldType is the value type of a credential field.
type FieldType string

// Field types. Dates are YYYY-MM-DD; numbers are decimal text.
const (
	FieldString FieldType = "string"
	FieldDate   FieldType = "date"
	FieldNumber FieldType = "number"
)

// FieldSpec describes one field of a credential type's schema.
type FieldSpec struct {
	Name      string    `json:"name"`
	Type      FieldType `json:"type"`
	Required  bool      `json:"required"`
	LabelZh   string    `json:"labelZh"`
	LabelEn   string    `json:"labelEn"`
	MaxLength int       `json:"maxLength,omitempty"` // in characters, strings only
}

// CredentialType is an entry of the catalogue (证照目录).
type CredentialType struct {
	ID                  string      `json:"id"`   // short stable name, e.g. "business-licence"
	Code                string      `json:"code"` // GB/T 36904 type code
	NameZh              string      `json:"nameZh"`
	NameEn              string      `json:"nameEn"`
	Fields              []FieldSpec `json:"fields"`
	Issuers             []string    `json:"issuers"` // department IDs authorized to issue
	DefaultValidityDays int         `json:"defaultValidityDays"`
	// HolderIDTypes are the holder ID types (IDUSCC, ...) the type is
	// issued to; empty accepts any. Left out of the JSON when empty, so
	// entries without it encode as they did.
	HolderIDTypes []string `json:"holderIdTypes,omitempty"`
	// RenewalKeepsPrevious: a renewal (延续) leaves the version it renews
	// valid until its own end, instead of superseding it at once.
	RenewalKeepsPrevious bool `json:"renewalKeepsPrevious,omitempty"`
}

// Registry is the whole catalogue: departments and credential types, each
// sorted by ID.
type Registry struct {
	Departments []Department     `json:"departments"`
	Types       []CredentialType `json:"types"`
}

var slugRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)
var fieldNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,47}$`)
var mspRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9.-]{0,63}$`)

// MaxNameLength bounds department and type names, in characters: the
// verification pages and the trust list show them.
const MaxNameLength = 200

// ValidRegistryID reports whether s can be a department or credential
// type ID: 2-32 lower-case letters, digits or dashes, starting with a
// letter.
func ValidRegistryID(s string) bool { return slugRE.MatchString(s) }

// ValidMSPID reports whether s can be a Fabric MSP ID: a letter, then up
// to 63 letters, digits, dots or dashes.
func ValidMSPID(s string) bool { return mspRE.MatchString(s) }

// ValidFieldName reports whether s can name a field of a credential type:
// a letter, then up to 47 letters, digits or underscores.
func ValidFieldName(s string) bool { return fieldNameRE.MatchString(s) }

// ValidName reports whether s can be a department's or type's name: 1 to
// MaxNameLength characters without leading or trailing spaces.
func ValidName(s string) bool {
	n := utf8.RuneCountInString(s)
	return n > 0 && n <= MaxNameLength && strings.TrimSpace(s) == s
}

// HasRole reports whether d has role r.
func (d Department) HasRole(r Role) bool {
	for _, x := range d.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Key returns the key with the given ID.
func (d Department) Key(id string) (Key, bool) {
	for _, k := range d.Keys {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

// ActiveKey returns the department's newest active key valid at t.
func (d Department) ActiveKey(t time.Time) (Key, bool) {
	var best Key
	found := false
	for _, k := range d.Keys {
		if k.Status == KeyActive && k.CoversTime(t) && (!found || k.ValidFrom.After(best.ValidFrom)) {
			best, found = k, true
		}
	}
	return best, found
}

// CoversTime reports whether t lies inside the key's validity period.
func (k Key) CoversTime(t time.Time) bool {
	return !t.Before(k.ValidFrom) && (k.ValidUntil.IsZero() || t.Before(k.ValidUntil))
}

// Ed25519 decodes the public key.
func (k Key) Ed25519() (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(k.PublicKey)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, Errorf(ReasonInvalidRegistryEntry, "key %q is not a base64 Ed25519 public key", k.ID)
	}
	return ed25519.PublicKey(b), nil
}

// AcceptsSignatureAt reports whether a signature made with k at time t (the
// credential's issue time) is acceptable: inside the key's validity period
// and, for a compromised key, before the compromise.
func (k Key) AcceptsSignatureAt(t time.Time) error {
	if !k.CoversTime(t) {
		return Errorf(ReasonKeyNotUsable, "key %s was not valid at %s", k.ID, t.UTC().Format(time.RFC3339))
	}
	if k.Status == KeyCompromised && !t.Before(k.CompromisedAt) {
		return Errorf(ReasonKeyNotUsable, "key %s was compromised at %s", k.ID, k.CompromisedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// Validate checks a department entry.
func (d Department) Validate() error {
	switch {
	case !slugRE.MatchString(d.ID):
		return Errorf(ReasonInvalidRegistryEntry, "department id %q must be 2-32 lower-case letters, digits or dashes", d.ID)
	case !mspRE.MatchString(d.MSPID):
		return Errorf(ReasonInvalidRegistryEntry, "department %s: MSP ID %q is not valid", d.ID, d.MSPID)
	case !ValidUSCC(d.USCC):
		return Errorf(ReasonInvalidRegistryEntry, "department %s: %q is not a valid unified social credit code", d.ID, d.USCC)
	case !ValidName(d.NameZh) || !ValidName(d.NameEn):
		return Errorf(ReasonInvalidRegistryEntry, "department %s needs a Chinese and an English name of 1-%d characters without leading or trailing spaces", d.ID, MaxNameLength)
	case len(d.Roles) == 0:
		return Errorf(ReasonInvalidRegistryEntry, "department %s needs at least one role", d.ID)
	}
	for _, r := range d.Roles {
		if r != RoleGovernance && r != RoleIssuer {
			return Errorf(ReasonInvalidRegistryEntry, "department %s: unknown role %q", d.ID, r)
		}
	}
	seen := map[string]bool{}
	for _, k := range d.Keys {
		if k.ID == "" || len(k.ID) > 64 {
			return Errorf(ReasonInvalidRegistryEntry, "department %s: key id must be 1-64 characters", d.ID)
		}
		if seen[k.ID] {
			return Errorf(ReasonInvalidRegistryEntry, "department %s: duplicate key id %s", d.ID, k.ID)
		}
		seen[k.ID] = true
		if _, err := k.Ed25519(); err != nil {
			return err
		}
		switch k.Status {
		case KeyActive:
		case KeyRetired:
			// Retiring a key ends its validity: what it signed before stays
			// valid, nothing it signs afterwards is accepted.
			if k.ValidUntil.IsZero() {
				return Errorf(ReasonInvalidRegistryEntry, "key %s is retired but has no validUntil", k.ID)
			}
		case KeyCompromised:
			if k.CompromisedAt.IsZero() {
				return Errorf(ReasonInvalidRegistryEntry, "key %s is compromised but has no compromise time", k.ID)
			}
		default:
			return Errorf(ReasonInvalidRegistryEntry, "key %s: unknown status %q", k.ID, k.Status)
		}
		if k.ValidFrom.IsZero() || (!k.ValidUntil.IsZero() && !k.ValidUntil.After(k.ValidFrom)) {
			return Errorf(ReasonInvalidRegistryEntry, "key %s needs validFrom before validUntil", k.ID)
		}
		if err := k.validateCompromiseRequest(); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a credential type entry.
func (t CredentialType) Validate() error {
	switch {
	case !slugRE.MatchString(t.ID):
		return Errorf(ReasonInvalidRegistryEntry, "type id %q must be 2-32 lower-case letters, digits or dashes", t.ID)
	case !ValidTypeCode(t.Code):
		return Errorf(ReasonInvalidRegistryEntry, "type %s: code %q is not a USCC followed by three digits", t.ID, t.Code)
	case !ValidName(t.NameZh) || !ValidName(t.NameEn):
		return Errorf(ReasonInvalidRegistryEntry, "type %s needs a Chinese and an English name of 1-%d characters without leading or trailing spaces", t.ID, MaxNameLength)
	case len(t.Fields) == 0 || len(t.Fields) > 64:
		return Errorf(ReasonInvalidRegistryEntry, "type %s needs 1-64 fields", t.ID)
	case t.DefaultValidityDays < 0:
		return Errorf(ReasonInvalidRegistryEntry, "type %s: default validity must not be negative", t.ID)
	}
	seen := map[string]bool{}
	for _, f := range t.Fields {
		if !fieldNameRE.MatchString(f.Name) {
			return Errorf(ReasonInvalidRegistryEntry, "type %s: field name %q must be a letter followed by letters, digits or _", t.ID, f.Name)
		}
		if seen[f.Name] {
			return Errorf(ReasonInvalidRegistryEntry, "type %s: duplicate field %s", t.ID, f.Name)
		}
		seen[f.Name] = true
		if f.Type != FieldString && f.Type != FieldDate && f.Type != FieldNumber {
			return Errorf(ReasonInvalidRegistryEntry, "type %s: field %s has unknown type %q", t.ID, f.Name, f.Type)
		}
		if f.LabelZh == "" || f.LabelEn == "" {
			return Errorf(ReasonInvalidRegistryEntry, "type %s: field %s needs Chinese and English labels", t.ID, f.Name)
		}
	}
	return t.validateHolderIDTypes()
}

// Field returns the spec of the named field.
func (t CredentialType) Field(name string) (FieldSpec, bool) {
	for _, f := range t.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return FieldSpec{}, false
}

// AuthorizesIssuer reports whether department deptID may issue t.
func (t CredentialType) AuthorizesIssuer(deptID string) bool {
	for _, id := range t.Issuers {
		if id == deptID {
			return true
		}
	}
	return false
}

// Department returns the department with the given ID.
func (r Registry) Department(id string) (Department, bool) {
	for _, d := range r.Departments {
		if d.ID == id {
			return d, true
		}
	}
	return Department{}, false
}

// DepartmentByMSP returns the department whose organization has mspID.
func (r Registry) DepartmentByMSP(mspID string) (Department, bool) {
	for _, d := range r.Departments {
		if d.MSPID == mspID {
			return d, true
		}
	}
	return Department{}, false
}

// Type returns the credential type whose ID or code is key.
func (r Registry) Type(key string) (CredentialType, bool) {
	for _, t := range r.Types {
		if t.ID == key || t.Code == key {
			return t, true
		}
	}
	return CredentialType{}, false
}

// Sort orders departments and types by ID so encodings are deterministic.
func (r *Registry) Sort() {
	sort.Slice(r.Departments, func(i, j int) bool { return r.Departments[i].ID < r.Departments[j].ID })
	sort.Slice(r.Types, func(i, j int) bool { return r.Types[i].ID < r.Types[j].ID })
}
