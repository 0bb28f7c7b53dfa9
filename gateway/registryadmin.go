package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// The governance department onboards departments through these endpoints:
// it registers a department and the types it may issue (and gives it an API
// key, apikeys.go). Every registry write is signed with the governance
// department's ledger identity, the only one the contract accepts.

// kindKeysElsewhere refuses key changes sent with a department update.
var kindKeysElsewhere = problemKind{http.StatusUnprocessableEntity, "keys-managed-elsewhere", "Keys change through the key endpoints", "keys_managed_elsewhere"}

// departmentAnswer is the body of a department write: the entry as now
// registered.
type departmentAnswer struct {
	Department credential.Department `json:"department"`
}

// typeAnswer is the body of a credential type write.
type typeAnswer struct {
	Type credential.CredentialType `json:"type"`
}

// governanceCaller authenticates the request and requires the caller to
// keep the registry.
func (s *Server) governanceCaller(c *fiber.Ctx, what string) (credential.Department, error) {
	caller, err := s.authenticate(c)
	if err != nil {
		return caller, err
	}
	if !caller.HasRole(credential.RoleGovernance) {
		return caller, credential.Errorf(credential.ReasonNotGovernance, "only the governance department may %s", what)
	}
	return caller, nil
}

// handlePutDepartment registers a department (201) or updates its entry
// (200). Keys may come with a new department; an existing department's keys
// change only through the key endpoints, which generate and keep the
// private halves and enforce the rotation rules.
func (s *Server) handlePutDepartment(c *fiber.Ctx) error {
	caller, err := s.governanceCaller(c, "register or change departments")
	if err != nil {
		return err
	}
	var d credential.Department
	if err := decodeJSON(c, &d); err != nil {
		return err
	}
	id := c.Params("dept")
	if probs := departmentProblems(id, &d); len(probs) > 0 {
		return invalidFields(probs)
	}
	// Registry writes are read-modify-writes of whole entries: serialized
	// with the key operations so neither undoes the other.
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	ctx, cancel := s.requestContext(c)
	defer cancel()
	reg, err := s.registry.fresh(ctx)
	if err != nil {
		return err
	}
	old, exists := reg.Department(id)
	if exists {
		if d.Keys != nil && !sameKeys(old.Keys, d.Keys) {
			return newAPIError(kindKeysElsewhere, "the keys of registered department %s change only through POST /api/v1/departments/%s/keys, .../keys/{kid}/retire and .../keys/{kid}/compromise; omit keys (or send them unchanged) here", id, id)
		}
		d.Keys = old.Keys // exactly as recorded, whatever zone the client wrote the times in
	}
	if d.Keys == nil {
		d.Keys = []credential.Key{}
	}
	if other, ok := reg.DepartmentByMSP(d.MSPID); ok && other.ID != id {
		return invalidFields([]FieldProblem{{Pointer: "#/mspId", Reason: string(credential.ReasonMSPIDTaken), Detail: fmt.Sprintf("MSP %s already belongs to department %s", d.MSPID, other.ID)}})
	}
	if err := s.putRegistry(ctx, func(ctx context.Context) error { return s.ledger.PutDepartment(ctx, caller.MSPID, d) }); err != nil {
		return err
	}
	status, verb := fiber.StatusOK, "updated"
	if !exists {
		status, verb = fiber.StatusCreated, "registered"
	}
	s.log.Info("department "+verb, slog.String("dept", d.ID), slog.String("mspId", d.MSPID), slog.String("by", caller.ID))
	return c.Status(status).JSON(departmentAnswer{Department: d})
}

// sameKeys reports whether two key lists are equal, times compared as
// instants (a client may send them back in another zone).
func sameKeys(a, b []credential.Key) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.ID != y.ID || x.PublicKey != y.PublicKey || x.Status != y.Status || x.CompromiseReason != y.CompromiseReason ||
			!x.ValidFrom.Equal(y.ValidFrom) || !x.ValidUntil.Equal(y.ValidUntil) || !x.CompromisedAt.Equal(y.CompromisedAt) {
			return false
		}
	}
	return true
}

// putRegistry makes one registry write and refreshes the cached registry,
// so the next request (an issuance by the department just registered, a
// verification against a changed type) already sees it.
func (s *Server) putRegistry(ctx context.Context, write func(context.Context) error) error {
	if err := write(ctx); err != nil {
		return err
	}
	_, err := s.registry.fresh(ctx)
	return err
}

// fieldProblems collects what is wrong with a registry body, member by
// member.
type fieldProblems []FieldProblem

func (p *fieldProblems) add(ptr, format string, args ...any) {
	*p = append(*p, FieldProblem{Pointer: ptr, Detail: fmt.Sprintf(format, args...)})
}

// pathID fills in the body's id from the path when the body has none,
// reports the two when they differ, and checks the path's id. kind names
// the entry: department or type.
func (p *fieldProblems) pathID(kind string, bodyID *string, id string) {
	switch {
	case *bodyID == "":
		*bodyID = id
	case *bodyID != id:
		p.add("#/id", "id %q differs from the %s in the path, %q", truncate(*bodyID, 40), kind, truncate(id, 40))
	}
	if !credential.ValidRegistryID(id) {
		p.add("#/id", "a %s id is 2-32 lower-case letters, digits or dashes, starting with a letter", kind)
	}
}

// departmentProblems checks a department body against the path's id, which
// it fills in when the body has none. The checks are those of the contract,
// made here to point at each wrong member.
func departmentProblems(id string, d *credential.Department) []FieldProblem {
	var probs fieldProblems
	add := probs.add
	probs.pathID("department", &d.ID, id)
	if !credential.ValidMSPID(d.MSPID) {
		add("#/mspId", "mspId must be a Fabric MSP ID: a letter, then up to 63 letters, digits, dots or dashes")
	}
	if !credential.ValidUSCC(d.USCC) {
		add("#/uscc", "uscc must be an 18-character unified social credit code with a valid check character")
	}
	nameProblems(d.NameZh, d.NameEn, add)
	if len(d.Roles) == 0 {
		add("#/roles", "roles needs at least one of governance, issuer")
	}
	seen := map[credential.Role]bool{}
	for i, r := range d.Roles {
		switch {
		case r != credential.RoleGovernance && r != credential.RoleIssuer:
			add(fmt.Sprintf("#/roles/%d", i), "unknown role %q: use governance or issuer", truncate(string(r), 40))
		case seen[r]:
			add(fmt.Sprintf("#/roles/%d", i), "role %s is listed twice", r)
		}
		seen[r] = true
	}
	kids := map[string]bool{}
	for i, k := range d.Keys {
		ptr := fmt.Sprintf("#/keys/%d", i)
		if kids[k.ID] {
			add(ptr+"/id", "key id %q is listed twice", truncate(k.ID, 64))
			continue
		}
		kids[k.ID] = true
		keyProblems(ptr, k, add)
	}
	if len(probs) == 0 {
		// Whatever the contract would still refuse, said before the write.
		if err := d.Validate(); err != nil {
			probs = append(probs, FieldProblem{Pointer: "#", Reason: string(credential.ErrorReason(err)), Detail: credential.ErrorMessage(err)})
		}
	}
	return probs
}

// keyProblems checks one key of a new department as the registry does.
func keyProblems(ptr string, k credential.Key, add func(ptr, format string, args ...any)) {
	if k.ID == "" || len(k.ID) > 64 {
		add(ptr+"/id", "a key id is 1-64 characters")
	}
	if _, err := k.Ed25519(); err != nil {
		add(ptr+"/publicKey", "publicKey must be a base64 Ed25519 public key (32 bytes)")
	}
	switch k.Status {
	case credential.KeyActive:
	case credential.KeyRetired:
		if k.ValidUntil.IsZero() {
			add(ptr+"/validUntil", "a retired key needs validUntil")
		}
	case credential.KeyCompromised:
		if k.CompromisedAt.IsZero() {
			add(ptr+"/compromisedAt", "a compromised key needs compromisedAt")
		}
	default:
		add(ptr+"/status", "status must be active, retired or compromised")
	}
	if k.ValidFrom.IsZero() || !k.ValidUntil.IsZero() && !k.ValidUntil.After(k.ValidFrom) {
		add(ptr+"/validFrom", "a key needs validFrom, before validUntil when it has one")
	}
}

// nameProblems checks the Chinese and English names every registry entry
// carries.
func nameProblems(zh, en string, add func(ptr, format string, args ...any)) {
	for _, n := range []struct{ ptr, v string }{{"#/nameZh", zh}, {"#/nameEn", en}} {
		if !credential.ValidName(n.v) {
			add(n.ptr, "%s must be 1-%d characters without leading or trailing spaces", strings.TrimPrefix(n.ptr, "#/"), credential.MaxNameLength)
		}
	}
}

// handlePutType registers a credential type (201) or replaces it (200):
// its schema, names, default validity and authorized issuers.
func (s *Server) handlePutType(c *fiber.Ctx) error {
	caller, err := s.governanceCaller(c, "register or change credential types")
	if err != nil {
		return err
	}
	var t credential.CredentialType
	if err := decodeJSON(c, &t); err != nil {
		return err
	}
	id := c.Params("type")
	probs := typeProblems(id, &t)
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	ctx, cancel := s.requestContext(c)
	defer cancel()
	reg, err := s.registry.fresh(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, issuer := range t.Issuers {
		ptr := fmt.Sprintf("#/issuers/%d", i)
		d, ok := reg.Department(issuer)
		switch {
		case seen[issuer]:
			probs = append(probs, FieldProblem{Pointer: ptr, Detail: fmt.Sprintf("issuer %s is listed twice", truncate(issuer, 40))})
		case !ok:
			probs = append(probs, FieldProblem{Pointer: ptr, Detail: fmt.Sprintf("%q is not a registered department; register it first with PUT /api/v1/departments/{dept}", truncate(issuer, 40))})
		case !d.HasRole(credential.RoleIssuer):
			probs = append(probs, FieldProblem{Pointer: ptr, Detail: fmt.Sprintf("department %s does not have the issuer role", issuer)})
		}
		seen[issuer] = true
	}
	old, exists := reg.Type(id)
	exists = exists && old.ID == id
	if exists && old.Code != t.Code {
		probs = append(probs, FieldProblem{Pointer: "#/code", Reason: string(credential.ReasonRegistryFieldImmutable), Detail: fmt.Sprintf("the code of type %s is %s and cannot change: identifiers embed it", id, old.Code)})
	}
	if other, ok := reg.Type(t.Code); ok && other.ID != id && other.Code == t.Code {
		probs = append(probs, FieldProblem{Pointer: "#/code", Reason: string(credential.ReasonTypeCodeTaken), Detail: fmt.Sprintf("code %s already belongs to type %s", t.Code, other.ID)})
	}
	if len(probs) == 0 {
		if err := t.Validate(); err != nil {
			probs = append(probs, FieldProblem{Pointer: "#", Reason: string(credential.ErrorReason(err)), Detail: credential.ErrorMessage(err)})
		}
	}
	if len(probs) > 0 {
		return invalidFields(probs)
	}
	if t.Issuers == nil {
		t.Issuers = []string{}
	}
	if err := s.putRegistry(ctx, func(ctx context.Context) error { return s.ledger.PutCredentialType(ctx, caller.MSPID, t) }); err != nil {
		return err
	}
	status, verb := fiber.StatusOK, "updated"
	if !exists {
		status, verb = fiber.StatusCreated, "registered"
	}
	s.log.Info("credential type "+verb, slog.String("type", t.ID), slog.Any("issuers", t.Issuers), slog.String("by", caller.ID))
	return c.Status(status).JSON(typeAnswer{Type: t})
}

// typeProblems checks a credential type body, like departmentProblems.
func typeProblems(id string, t *credential.CredentialType) []FieldProblem {
	var probs fieldProblems
	add := probs.add
	probs.pathID("type", &t.ID, id)
	if !credential.ValidTypeCode(t.Code) {
		add("#/code", "code must be the registering department's USCC followed by three digits")
	}
	nameProblems(t.NameZh, t.NameEn, add)
	if t.DefaultValidityDays < 0 {
		add("#/defaultValidityDays", "defaultValidityDays must not be negative (0: no default end)")
	}
	if len(t.Fields) == 0 || len(t.Fields) > 64 {
		add("#/fields", "fields needs 1-64 field specifications")
	}
	names := map[string]bool{}
	for i, f := range t.Fields {
		ptr := fmt.Sprintf("#/fields/%d", i)
		switch {
		case !credential.ValidFieldName(f.Name):
			add(ptr+"/name", "a field name is a letter followed by up to 47 letters, digits or _")
		case names[f.Name]:
			add(ptr+"/name", "field %s is listed twice", f.Name)
		}
		names[f.Name] = true
		if f.Type != credential.FieldString && f.Type != credential.FieldDate && f.Type != credential.FieldNumber {
			add(ptr+"/type", "type must be string, date or number")
		}
		if strings.TrimSpace(f.LabelZh) == "" || strings.TrimSpace(f.LabelEn) == "" {
			add(ptr, "field %s needs labelZh and labelEn", truncate(f.Name, 48))
		}
		if f.MaxLength < 0 || f.MaxLength > 0 && f.Type != credential.FieldString {
			add(ptr+"/maxLength", "maxLength is a positive number of characters, for string fields only")
		}
	}
	for i, idType := range t.HolderIDTypes {
		ptr := fmt.Sprintf("#/holderIdTypes/%d", i)
		switch {
		case !slices.Contains(credential.IDTypes(), idType):
			add(ptr, "unknown holder ID type %q: use %s", truncate(idType, 40), strings.Join(credential.IDTypes(), ", "))
		case slices.Contains(t.HolderIDTypes[:i], idType):
			add(ptr, "holder ID type %s is listed twice", idType)
		}
	}
	return probs
}
