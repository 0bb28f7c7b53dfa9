package credential

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"
)

// Service is an item of the government service catalogue (事项目录): a
// service one department performs for a citizen or company, the departments
// that may ask for the holder's credentials to perform it, and the claims of
// each credential it needs. It holds no personal data and lives in public
// state (docs/decisions/0014-service-catalogue.md).
type Service struct {
	// Code is the item's code in the government service catalogue (事项编码).
	Code   string `json:"code"`
	NameZh string `json:"nameZh"`
	NameEn string `json:"nameEn"`
	// Requesters are the IDs of the departments that may request the
	// credentials, sorted.
	Requesters []string `json:"requesters"`
	// Credentials are the credential types the service needs, sorted by
	// type, each with the claims it needs: data minimisation is enforced
	// from this list.
	Credentials []ServiceCredential `json:"credentials"`
	// UpdatedAt and UpdatedBy are set by the contract: the transaction time
	// and the governance department that wrote this version.
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
	UpdatedBy string    `json:"updatedBy,omitempty"`
}

// ServiceCredential is one credential type a service needs and the claims
// of it the service may see.
type ServiceCredential struct {
	// Type names the credential type by its ID or code; the contract
	// stores its ID.
	Type string `json:"type"`
	// Fields are claim names as Document.Present takes them: fields of the
	// type or holder claims such as "holder.name". Sorted when stored.
	Fields []string `json:"fields"`
}

// Bounds of a service item, so one entry stays small in public state.
const (
	MaxServiceRequesters  = 64
	MaxServiceCredentials = 16
)

var serviceCodeRE = regexp.MustCompile(`^[A-Z0-9](?:[A-Z0-9-]{0,62}[A-Z0-9])?$`)

// ValidServiceCode reports whether s can be a service item's code: 1 to 64
// upper-case letters, digits or hyphens, starting and ending with a letter
// or digit.
func ValidServiceCode(s string) bool { return serviceCodeRE.MatchString(s) }

// ServiceNotFound is the error of a service code the catalogue lacks.
func ServiceNotFound(code string) error {
	return Errorf(ReasonServiceNotFound, "service %q is not in the catalogue", code)
}

// CheckService checks s against the registry and returns the item as the
// ledger stores it: types named by their ID, requesters and credentials
// sorted by ID, fields sorted, UpdatedAt and UpdatedBy cleared. problems
// lists everything wrong, each an *Error whose Pointer locates the member
// ("/credentials/0/fields/1"); the stored item is meaningful only without
// problems. The gateway and the contract run the same check.
func CheckService(s Service, reg Registry) (stored Service, problems []*Error) {
	add := func(r Reason, ptr, format string, args ...any) {
		e := Errorf(r, format, args...)
		e.Pointer = ptr
		problems = append(problems, e)
	}
	if !ValidServiceCode(s.Code) {
		add(ReasonInvalidService, "/code", "a service code is 1-64 upper-case letters, digits or hyphens, starting and ending with a letter or digit")
	}
	if !ValidName(s.NameZh) {
		add(ReasonInvalidService, "/nameZh", "nameZh must be 1-%d characters without leading or trailing spaces", MaxNameLength)
	}
	if !ValidName(s.NameEn) {
		add(ReasonInvalidService, "/nameEn", "nameEn must be 1-%d characters without leading or trailing spaces", MaxNameLength)
	}

	switch n := len(s.Requesters); {
	case n == 0:
		add(ReasonInvalidService, "/requesters", "requesters needs at least one department")
	case n > MaxServiceRequesters:
		add(ReasonInvalidService, "/requesters", "requesters lists at most %d departments", MaxServiceRequesters)
		s.Requesters = nil
	}
	requesters := make([]string, 0, len(s.Requesters))
	for i, id := range s.Requesters {
		ptr := fmt.Sprintf("/requesters/%d", i)
		switch _, ok := reg.Department(id); {
		case !ok:
			add(ReasonDepartmentNotFound, ptr, "%q is not a registered department", clip(id))
		case slices.Contains(requesters, id):
			add(ReasonInvalidService, ptr, "department %s is listed twice", id)
		default:
			requesters = append(requesters, id)
		}
	}

	switch n := len(s.Credentials); {
	case n == 0:
		add(ReasonInvalidService, "/credentials", "credentials needs at least one credential type")
	case n > MaxServiceCredentials:
		add(ReasonInvalidService, "/credentials", "credentials lists at most %d credential types", MaxServiceCredentials)
		s.Credentials = nil
	}
	creds := make([]ServiceCredential, 0, len(s.Credentials))
	seenType := map[string]bool{}
	for i, c := range s.Credentials {
		ptr := fmt.Sprintf("/credentials/%d", i)
		t, ok := reg.Type(c.Type)
		switch {
		case !ok:
			add(ReasonUnknownType, ptr+"/type", "%q is neither the ID nor the code of a registered credential type", clip(c.Type))
			continue
		case seenType[t.ID]:
			add(ReasonInvalidService, ptr+"/type", "credential type %s is listed twice", t.ID)
			continue
		}
		seenType[t.ID] = true
		// A type has at most 64 fields besides the holder claims, so a
		// longer list must repeat or invent names.
		if len(c.Fields) == 0 || len(c.Fields) > 64+len(holderSpecs) {
			add(ReasonInvalidService, ptr+"/fields", "fields names 1-%d claims of type %s", len(t.Fields)+len(holderSpecs), t.ID)
			continue
		}
		fields := make([]string, 0, len(c.Fields))
		for j, name := range c.Fields {
			fptr := fmt.Sprintf("%s/fields/%d", ptr, j)
			switch _, ok := t.ClaimSpec(name); {
			case !ok:
				add(ReasonInvalidService, fptr, "%q is neither a field of type %s nor a holder claim (%s, %s, %s)", clip(name), t.ID, ClaimHolderName, ClaimHolderIDType, ClaimHolderIDNumber)
			case slices.Contains(fields, name):
				add(ReasonInvalidService, fptr, "claim %s is listed twice", name)
			default:
				fields = append(fields, name)
			}
		}
		sort.Strings(fields)
		creds = append(creds, ServiceCredential{Type: t.ID, Fields: fields})
	}

	sort.Strings(requesters)
	sort.Slice(creds, func(i, j int) bool { return creds[i].Type < creds[j].Type })
	return Service{Code: s.Code, NameZh: s.NameZh, NameEn: s.NameEn, Requesters: requesters, Credentials: creds}, problems
}

// clip shortens a client's string for a message.
func clip(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}

// Needs returns the claims s needs of credential type typeID; ok is false
// when s needs no credential of that type.
func (s Service) Needs(typeID string) (fields []string, ok bool) {
	for _, c := range s.Credentials {
		if c.Type == typeID {
			return c.Fields, true
		}
	}
	return nil, false
}

// ServiceCatalogue is the part of Ledger that keeps the service catalogue.
type ServiceCatalogue interface {
	// PutService adds or replaces a service item as mspID, which must be
	// the governance department's; it returns the item as stored.
	PutService(ctx context.Context, mspID string, s Service) (Service, error)
	// Services lists the whole catalogue, sorted by code.
	Services(ctx context.Context) ([]Service, error)
}
