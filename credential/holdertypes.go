package credential

import (
	"slices"
	"strings"
)

// IDTypes returns every holder ID type, in the order forms offer them.
func IDTypes() []string { return []string{IDResidentCard, IDUSCC, IDPassport, IDOther} }

// AcceptsHolderIDType reports whether a credential of type t may be issued
// to a holder identified by idType. A type that names no ID types accepts
// any: entries registered before types named them keep working.
func (t CredentialType) AcceptsHolderIDType(idType string) bool {
	return len(t.HolderIDTypes) == 0 || slices.Contains(t.HolderIDTypes, idType)
}

// CheckHolderIDType refuses issuing t to a holder identified by idType when
// the type does not accept it: a business licence is held by a company, not
// by a person.
func (t CredentialType) CheckHolderIDType(idType string) error {
	if t.AcceptsHolderIDType(idType) {
		return nil
	}
	e := Errorf(ReasonHolderIDTypeNotAccepted, "type %s is issued to holders identified by %s, not %s",
		t.ID, strings.Join(t.HolderIDTypes, " or "), idType)
	e.Pointer = "/holder/idType"
	return e
}

// validateHolderIDTypes checks the holder ID types of a registry entry:
// known ones, each once.
func (t CredentialType) validateHolderIDTypes() error {
	for i, id := range t.HolderIDTypes {
		if !slices.Contains(IDTypes(), id) {
			return Errorf(ReasonInvalidRegistryEntry, "type %s: unknown holder ID type %q (known: %s)", t.ID, id, strings.Join(IDTypes(), ", "))
		}
		if slices.Contains(t.HolderIDTypes[:i], id) {
			return Errorf(ReasonInvalidRegistryEntry, "type %s: holder ID type %s is listed twice", t.ID, id)
		}
	}
	return nil
}
