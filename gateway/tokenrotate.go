package gateway

import (
	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// rotateAnswer is the body of POST /api/v1/credentials/{id}/token/rotate:
// the new links, to print on a reissued certificate.
type rotateAnswer struct {
	ID        string            `json:"id"`
	VerifyURL string            `json:"verifyUrl"`
	QRURL     string            `json:"qrUrl"`
	Record    credential.Record `json:"record"`
}

// handleRotateToken gives a credential a new access token, so the old
// verification URL and QR code stop showing its fields. The issuing
// department only (checked here and again by the contract); a revoked
// credential may rotate too, to withdraw a leaked link.
func (s *Server) handleRotateToken(c *fiber.Ctx) error {
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
	rec, err = s.ledger.RotateToken(ctx, dept.MSPID, rec.ID, credential.TokenRotation{APIKeyID: actingKey(c), Staff: actingStaff(c)})
	if err != nil {
		return err
	}
	return c.JSON(rotateAnswer{ID: rec.ID, VerifyURL: s.verifyURL(rec, true), QRURL: s.qrURL(rec.ID), Record: rec})
}
