package gateway

import (
	"strings"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// handleReissue issues a new version of a credential with the same content
// and validity: same serial, version + 1, renewing the old identifier,
// signed with the department's current key. It is how a department replaces
// what a retired or compromised key signed (docs/decisions/0003-key-management.md);
// the old version keeps its own status, which the department may revoke.
// A revoked credential is never reissued; a suspended one's new version is
// recorded suspended by the contract, which checks all of this again.
func (s *Server) handleReissue(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	rec, old, err := s.ownDocument(c, dept)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	reg, err := s.registry.get(ctx)
	if err != nil {
		return err
	}
	issuer, ok := reg.Department(rec.Issuer)
	if !ok {
		return credential.Errorf(credential.ReasonRegistryChanged, "issuer %s of %s is no longer in the registry", rec.Issuer, rec.ID)
	}
	if err := credential.CheckReissue(rec, issuer); err != nil {
		return err
	}
	t, ok := reg.Type(old.Type)
	if !ok {
		return credential.Errorf(credential.ReasonRegistryChanged, "type %s of %s is no longer in the registry", old.Type, rec.ID)
	}
	id, err := credential.ParseIdentifier(old.ID)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	for _, cl := range old.Claims {
		if !strings.HasPrefix(cl.Name, "holder.") {
			fields[cl.Name] = cl.Value
		}
	}
	key, err := s.signingKey(dept)
	if err != nil {
		return err
	}
	doc, err := credential.Issue(credential.IssueParams{
		Type: t, Issuer: dept, Holder: old.Holder(), Fields: fields,
		ValidFrom: old.ValidFrom, ValidUntil: old.ValidUntil,
		Renews: old.ID, Version: old.Version + 1, Serial: id.Serial, IssuedAt: s.now(),
	}, key.KeyID, key.Private)
	if err != nil {
		return err
	}
	req := credential.IssueRequest{Document: *doc, HolderRef: rec.HolderRef, APIKeyID: actingKey(c), Staff: actingStaff(c)}
	res, err := s.ledgerIssue(ctx, dept, req)
	if err != nil {
		return err
	}
	s.recordChanged(res.Record)
	s.metrics.issuances.WithLabelValues(t.ID, "reissued").Inc()
	c.Location("/api/v1/credentials/" + doc.ID)
	return c.Status(fiber.StatusCreated).JSON(credentialAnswer{
		ID: doc.ID, Document: doc, VerifyURL: s.verifyURL(res.Record, true), QRURL: s.qrURL(doc.ID), Record: &res.Record,
	})
}
