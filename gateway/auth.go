package gateway

import (
	"context"
	"strings"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// authenticate resolves the request's `Authorization: Bearer <api key>`,
// or without one a member of staff's session cookie, to the department it
// acts for, as the registry currently describes it, and checks the key's
// or the member of staff's roles against the route's (endpointRoles).
// The key is checked against the ledger's key list (apiKeyCache): unknown,
// revoked and expired keys are refused with reasons of their own.
func (s *Server) authenticate(c *fiber.Ctx) (credential.Department, error) {
	h := c.Get(fiber.HeaderAuthorization)
	if h == "" && c.Cookies(s.sessions.staffName) != "" {
		return s.authenticateStaff(c)
	}
	scheme, key, ok := strings.Cut(strings.TrimSpace(h), " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
		return credential.Department{}, credential.Errorf(credential.ReasonMissingAPIKey, "send the department's API key as Authorization: Bearer <api key>, or sign in as staff at /console/login")
	}
	// A guess spends a token of the address's failure budget before the
	// key is checked, so an exhausted budget stops the guessing itself.
	refund, wait := s.authFailLimit.take(s.clientAddr(c))
	if wait > 0 {
		return credential.Department{}, s.rateLimited(c, limitAuthFailure, wait)
	}
	key = strings.TrimSpace(key)
	ctx, cancel := s.requestContext(c)
	defer cancel()
	entry, err := s.apiKeys.authenticate(ctx, key)
	if err != nil {
		if credential.ErrorCode(err) != credential.CodeUnauthorized {
			refund() // the ledger failed, not the client
		}
		return credential.Department{}, err
	}
	refund()
	if _, wait := s.apiKeyLimit.take(apiKeyBucket(key)); wait > 0 {
		return credential.Department{}, s.rateLimited(c, limitAPIKey, wait)
	}
	deptID := entry.key.Dept
	c.Locals(localDept, deptID)
	c.Locals(localAPIKey, entry.key.ID)
	if err := checkRole(c, entry.key.Roles, "API key "+entry.key.ID); err != nil {
		return credential.Department{}, err
	}
	return s.department(ctx, deptID)
}

// authenticateStaff is authenticate for a member of staff signed in at
// the console: the session's department and roles, at the rate limit of
// an API key of its own.
func (s *Server) authenticateStaff(c *fiber.Ctx) (credential.Department, error) {
	sess, err := s.currentStaff(c)
	if err != nil {
		return credential.Department{}, err
	}
	if _, wait := s.apiKeyLimit.take(apiKeyBucket("staff\x00" + sess.ID)); wait > 0 {
		return credential.Department{}, s.rateLimited(c, limitAPIKey, wait)
	}
	c.Locals(localDept, sess.Dept)
	c.Locals(localStaff, sess.Subject)
	if err := checkRole(c, sess.Roles, "your sign-in"); err != nil {
		return credential.Department{}, err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	return s.department(ctx, sess.Dept)
}

// department is deptID as the registry describes it, read again when the
// cached registry does not have it yet.
func (s *Server) department(ctx context.Context, deptID string) (credential.Department, error) {
	reg, err := s.registry.get(ctx)
	if err != nil {
		return credential.Department{}, err
	}
	dept, ok := reg.Department(deptID)
	if !ok {
		// Registered since the cache was filled?
		if reg, err = s.registry.fresh(ctx); err != nil {
			return credential.Department{}, err
		}
		dept, ok = reg.Department(deptID)
	}
	if !ok {
		return credential.Department{}, credential.Errorf(credential.ReasonUnknownDepartment, "department %s is not in the registry", deptID)
	}
	return dept, nil
}

// actingKey is the ID of the API key the request authenticated with, for
// the ledger to record beside the department; empty before authenticate.
func actingKey(c *fiber.Ctx) string {
	id, _ := c.Locals(localAPIKey).(string)
	return id
}

// ownRecord reads a credential's record for the department that issued it:
// a malformed identifier is a 400, an unknown one 404, and another
// department's credential 403.
func (s *Server) ownRecord(c *fiber.Ctx, dept credential.Department) (credential.Record, error) {
	id, err := pathIdentifier(c)
	if err != nil {
		return credential.Record{}, err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	rec, err := s.ledger.Record(ctx, id)
	if err != nil {
		return credential.Record{}, err
	}
	if rec.Issuer != dept.ID {
		return credential.Record{}, credential.Errorf(credential.ReasonNotIssuer, "credential %s was issued by another department", id)
	}
	return rec, nil
}

// ownDocument reads, like ownRecord, the record of a credential the
// department issued, and then its signed document from the department's
// private data.
func (s *Server) ownDocument(c *fiber.Ctx, dept credential.Department) (credential.Record, credential.Document, error) {
	rec, err := s.ownRecord(c, dept)
	if err != nil {
		return rec, credential.Document{}, err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	doc, err := s.ledger.Document(ctx, dept.MSPID, rec.ID)
	return rec, doc, err
}

// pathIdentifier returns the :id parameter after checking it is a valid
// identifier, check character included.
func pathIdentifier(c *fiber.Ctx) (string, error) {
	id := c.Params("id")
	if _, err := credential.ParseIdentifier(id); err != nil {
		return "", credential.Errorf(credential.ReasonInvalidIdentifier, "%q is not a credential identifier: %s", truncate(id, 80), credential.ErrorMessage(err))
	}
	return id, nil
}

// truncate shortens s for messages that echo client input.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
