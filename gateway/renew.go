package gateway

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// renewBody is the JSON body of POST /api/v1/credentials/{id}/renew.
type renewBody struct {
	ValidUntil string `json:"validUntil"`
	Reason     string `json:"reason,omitempty"`
}

// changeBody is the JSON body of POST /api/v1/credentials/{id}/change:
// the fields that change (null removes an optional one) and the holder's
// new name. The holder's ID type and number are not members: a change
// never moves a credential to another holder.
type changeBody struct {
	Fields map[string]json.RawMessage `json:"fields,omitempty"`
	Holder *struct {
		Name string `json:"name"`
	} `json:"holder,omitempty"`
	Reason string `json:"reason"`
}

// handleRenew (延续) issues the next version of a credential with the same
// content and a later end: same serial, version + 1, renewing the old
// identifier, which it supersedes (or leaves valid until its own end when
// the type's renewalKeepsPrevious says so). docs/decisions/0017.
func (s *Server) handleRenew(c *fiber.Ctx) error {
	var body renewBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	until, err := parseTime(body.ValidUntil, s.cfg.TimeZone, credential.DayEnd)
	switch {
	case err != nil:
		return invalidFields([]FieldProblem{{Pointer: "#/validUntil", Detail: "validUntil " + err.Error()}})
	case until.IsZero():
		return invalidFields([]FieldProblem{{Pointer: "#/validUntil", Detail: "validUntil is required: the renewed end of validity"}})
	}
	return s.newVersion(c, credential.ActionRenew, body.Reason, func(p *credential.IssueParams) error {
		p.ValidUntil = until
		return nil
	})
}

// handleChange (变更) issues the next version of a credential with some
// fields, or the holder's name, changed and the same validity; it
// supersedes the old version at once.
func (s *Server) handleChange(c *fiber.Ctx) error {
	var body changeBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if strings.TrimSpace(body.Reason) == "" {
		return invalidFields([]FieldProblem{{Pointer: "#/reason", Detail: "a change needs a reason"}})
	}
	if len(body.Fields) == 0 && body.Holder == nil {
		return credential.Errorf(credential.ReasonNothingChanged, "a change names the fields that change, the holder's new name, or both")
	}
	return s.newVersion(c, credential.ActionChange, body.Reason, func(p *credential.IssueParams) error {
		var probs []FieldProblem
		names := make([]string, 0, len(body.Fields))
		for name := range body.Fields {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			v, present, err := fieldText(body.Fields[name])
			switch {
			case err != nil:
				probs = append(probs, FieldProblem{Pointer: "#/fields/" + pointerEscape(name), Detail: "field " + truncate(name, 64) + " " + err.Error()})
			case !hasField(p.Type, name):
				probs = append(probs, FieldProblem{Pointer: "#/fields/" + pointerEscape(name), Detail: "field " + truncate(name, 64) + " is not part of type " + p.Type.ID})
			case present:
				p.Fields[name] = v
			default:
				delete(p.Fields, name)
			}
		}
		if body.Holder != nil {
			p.Holder.Name = body.Holder.Name
		}
		if len(probs) > 0 {
			return invalidFields(probs)
		}
		return nil
	})
}

// newVersion makes the renewal or change action of the credential in the
// path, as its issuing department: edit turns the current version's
// parameters into the new one's. The gateway checks what it can (issuer,
// not revoked, newest version, the content rules); the contract checks it
// all again.
func (s *Server) newVersion(c *fiber.Ctx, action credential.Action, reason string, edit func(*credential.IssueParams) error) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	rec, old, err := s.ownDocument(c, dept)
	if err != nil {
		return err
	}
	if err := credential.CheckRenewal(rec); err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	id, err := credential.ParseIdentifier(old.ID)
	if err != nil {
		return err
	}
	// A key's reissue supersedes nothing in the record, but its version is
	// the newest all the same.
	nextID := id
	nextID.Version++
	if _, err := s.ledger.Record(ctx, nextID.String()); err == nil {
		return credential.Errorf(credential.ReasonNotNewestVersion, "credential %s already has a newer version, %s", rec.ID, nextID)
	} else if credential.ErrorReason(err) != credential.ReasonCredentialNotFound {
		return err
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return err
	}
	t, ok := reg.Type(old.Type)
	if !ok {
		return credential.Errorf(credential.ReasonRegistryChanged, "type %s of %s is no longer in the registry", old.Type, rec.ID)
	}
	fields := map[string]string{}
	for _, cl := range old.Claims {
		if !strings.HasPrefix(cl.Name, "holder.") {
			fields[cl.Name] = cl.Value
		}
	}
	p := credential.IssueParams{
		Type: t, Issuer: dept, Holder: old.Holder(), Fields: fields,
		ValidFrom: old.ValidFrom, ValidUntil: old.ValidUntil,
		Renews: old.ID, Version: old.Version + 1, Serial: id.Serial, IssuedAt: s.now(),
	}
	if err := edit(&p); err != nil {
		return err
	}
	key, err := s.signingKey(dept)
	if err != nil {
		return err
	}
	doc, err := credential.Issue(p, key.KeyID, key.Private)
	if err != nil {
		return err
	}
	if err := credential.CheckNewVersionContent(action, &old, doc); err != nil {
		return err
	}
	req := credential.IssueRequest{Document: *doc, HolderRef: rec.HolderRef, APIKeyID: actingKey(c), Staff: actingStaff(c), Action: action, Reason: reason}
	res, err := s.ledgerIssue(ctx, dept, req)
	if err != nil {
		return err
	}
	s.recordChanged(res.Record)
	if res.Superseded != nil {
		s.recordChanged(*res.Superseded)
	}
	s.metrics.issuances.WithLabelValues(t.ID, string(action)).Inc()
	c.Location("/api/v1/credentials/" + doc.ID)
	return c.Status(fiber.StatusCreated).JSON(newVersionAnswer{
		ID: doc.ID, Document: doc, VerifyURL: s.verifyURL(res.Record, true), QRURL: s.qrURL(doc.ID), Record: &res.Record,
		Superseded: res.Superseded,
	})
}

// newVersionAnswer is the body of a renewal or change: the new version as
// an issuance answers it (credentialAnswer), and the record of the version
// it superseded.
type newVersionAnswer struct {
	ID         string               `json:"id"`
	Document   *credential.Document `json:"document"`
	VerifyURL  string               `json:"verifyUrl"`
	QRURL      string               `json:"qrUrl"`
	Record     *credential.Record   `json:"record,omitempty"`
	Superseded *credential.Record   `json:"superseded,omitempty"`
}

// supersededURL is the public verification page of the version that
// superseded rec, without an access token: the token of the old version
// does not open the new one's content.
func (s *Server) supersededURL(rec *credential.Record) string {
	if rec == nil || rec.SupersededBy == "" {
		return ""
	}
	return credential.VerifyURL(s.cfg.PublicURL, rec.SupersededBy, "")
}
