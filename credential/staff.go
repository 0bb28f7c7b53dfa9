package credential

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// StaffRole is what a department's member of staff, or an API key, may do
// in the department's name. It is not a department's Role (governance,
// issuer): those say what a department may do at all.
type StaffRole string

// Staff roles (docs/decisions/0020-staff-roles.md).
const (
	StaffClerk    StaffRole = "clerk"    // issue, renew, change, reissue, rotate tokens, consent requests
	StaffApprover StaffRole = "approver" // suspend, reinstate, revoke
	StaffAdmin    StaffRole = "admin"    // API keys, signing keys, subscriptions, the registry
)

// AllStaffRoles lists the roles in their canonical order; an API key
// recorded without roles (every key from before roles existed) has them all.
var AllStaffRoles = []StaffRole{StaffClerk, StaffApprover, StaffAdmin}

// ValidStaffRole reports whether r is one of AllStaffRoles.
func ValidStaffRole(r StaffRole) bool { return slices.Contains(AllStaffRoles, r) }

// NormalizeStaffRoles trims, deduplicates and orders roles canonically;
// ok is false when one is unknown.
func NormalizeStaffRoles(in []string) (roles []StaffRole, ok bool) {
	ok = true
	for _, r := range AllStaffRoles {
		for _, s := range in {
			if StaffRole(strings.TrimSpace(s)) == r {
				roles = append(roles, r)
				break
			}
		}
	}
	for _, s := range in {
		if !ValidStaffRole(StaffRole(strings.TrimSpace(s))) {
			ok = false
		}
	}
	return roles, ok
}

// StaffRolesAllow reports whether roles include need; no roles at all
// stands for every role (an API key from before roles existed).
func StaffRolesAllow(roles []StaffRole, need StaffRole) bool {
	return len(roles) == 0 || slices.Contains(roles, need)
}

// MaxStaffSubject bounds the identity provider's subject of a member of
// staff, as recorded in history (OpenID Connect allows 255 ASCII characters).
const MaxStaffSubject = 255

// ValidStaffSubject reports whether sub may be recorded as the acting
// member of staff: printable ASCII, at most MaxStaffSubject characters,
// and not a resident ID or USCC number, which would put an ID number in
// public history (docs/decisions/0020-staff-roles.md).
func ValidStaffSubject(sub string) bool {
	if sub == "" || len(sub) > MaxStaffSubject || !utf8.ValidString(sub) {
		return false
	}
	for i := 0; i < len(sub); i++ {
		if sub[i] < 0x21 || sub[i] > 0x7e {
			return false
		}
	}
	for _, t := range []string{IDResidentCard, IDUSCC} {
		h := Holder{Name: "x", IDType: t, IDNumber: sub}
		if h.Normalize().Validate() == nil {
			return false
		}
	}
	return true
}
