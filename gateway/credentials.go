package gateway

import (
	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// statusBody is the JSON body of suspend, reinstate and revoke.
type statusBody struct {
	Reason string                    `json:"reason"`
	Code   credential.RevocationCode `json:"code,omitempty"`
}

// recordAnswer is the body of a status change.
type recordAnswer struct {
	Record credential.Record `json:"record"`
}

// historyAnswer is the body of GET /api/v1/credentials/{id}/history.
type historyAnswer struct {
	ID      string              `json:"id"`
	History []credential.Change `json:"history"`
}

func (s *Server) handleGetCredential(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	rec, doc, err := s.ownDocument(c, dept)
	if err != nil {
		return err
	}
	return c.JSON(credentialAnswer{ID: rec.ID, Document: &doc, VerifyURL: s.verifyURL(rec, true), QRURL: s.qrURL(rec.ID), Record: &rec})
}

func (s *Server) handleStatusChange(action credential.Action) fiber.Handler {
	return func(c *fiber.Ctx) error {
		dept, err := s.authenticate(c)
		if err != nil {
			return err
		}
		var body statusBody
		if len(c.BodyRaw()) > 0 || action != credential.ActionReinstate {
			if err := decodeJSON(c, &body); err != nil {
				return err
			}
		}
		if err := checkStatusBody(action, body); err != nil {
			return err
		}
		rec, err := s.ownRecord(c, dept)
		if err != nil {
			return err
		}
		ctx, cancel := s.requestContext(c)
		defer cancel()
		rec, err = s.ledger.ChangeStatus(ctx, dept.MSPID, rec.ID, credential.StatusChange{Action: action, Reason: body.Reason, Code: body.Code, APIKeyID: actingKey(c), Staff: actingStaff(c)})
		if err != nil {
			return err
		}
		s.recordChanged(rec)
		s.metrics.statusChanges.WithLabelValues(string(action)).Inc()
		return c.JSON(recordAnswer{Record: rec})
	}
}

// checkStatusBody reports what the gateway can tell without the ledger: a
// reason is required to suspend or revoke, and only a revocation has a code.
// The contract checks the same (and the reason's length and characters).
func checkStatusBody(action credential.Action, b statusBody) error {
	var probs []FieldProblem
	if (action == credential.ActionSuspend || action == credential.ActionRevoke) && len([]rune(b.Reason)) == 0 {
		probs = append(probs, FieldProblem{Pointer: "#/reason", Detail: "a " + string(action) + " needs a reason"})
	}
	switch {
	case action == credential.ActionRevoke && b.Code == "":
		probs = append(probs, FieldProblem{Pointer: "#/code", Detail: "a revocation needs a code: revoked (撤销), cancelled (注销) or penalty (吊销)"})
	case action == credential.ActionRevoke && !credential.ValidRevocationCode(b.Code):
		probs = append(probs, FieldProblem{Pointer: "#/code", Detail: "revocation code " + quote(string(b.Code)) + " is not one of revoked (撤销), cancelled (注销), penalty (吊销)"})
	case action != credential.ActionRevoke && b.Code != "":
		probs = append(probs, FieldProblem{Pointer: "#/code", Detail: "only a revocation has a code"})
	}
	if len(probs) > 0 {
		return invalidFields(probs)
	}
	return nil
}

func (s *Server) handleHistory(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	rec, err := s.ownRecord(c, dept)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	h, err := s.ledger.History(ctx, rec.ID)
	if err != nil {
		return err
	}
	return c.JSON(historyAnswer{ID: rec.ID, History: nonNil(h)})
}

func quote(s string) string { return "\"" + truncate(s, 40) + "\"" }
