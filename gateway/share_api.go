package gateway

import (
	"errors"
	"net/url"
	"strings"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// The holder's share endpoints, /api/v1/me/shares: session cookie only, like
// /api/v1/me/credentials (a department API key is no session).

// handleCreateShare serves POST /api/v1/me/shares.
func (s *Server) handleCreateShare(c *fiber.Ctx) error {
	h, err := s.signedInHolder(c)
	if err != nil {
		return err
	}
	var body shareRequest
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	v, err := s.createShare(ctx, h, body)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(v)
}

// handleMyShares serves GET /api/v1/me/shares.
func (s *Server) handleMyShares(c *fiber.Ctx) error {
	h, err := s.signedInHolder(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	items, err := s.holderShares(ctx, h)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"items": items})
}

// handleWithdrawShare serves DELETE /api/v1/me/shares/{id}.
func (s *Server) handleWithdrawShare(c *fiber.Ctx) error {
	h, err := s.signedInHolder(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	v, err := s.withdrawShare(ctx, h, c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(v)
}

// handleShareOfflineQR serves GET /api/v1/me/shares/{id}/offline-qr.png:
// the compact QR of the share's presentation, for a service without a
// network. It carries the chosen fields themselves, so only the holder
// gets it, and only while the share is active.
func (s *Server) handleShareOfflineQR(c *fiber.Ctx) error {
	h, err := s.signedInHolder(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	sh, _, issuer, err := s.holdersShare(ctx, h, c.Params("id"))
	if err != nil {
		return err
	}
	if err := sh.CheckOpen(s.now()); err != nil {
		return err
	}
	doc, err := s.ledger.Document(ctx, issuer.MSPID, sh.Credential)
	if err != nil {
		return err
	}
	p, err := doc.Present(sh.Fields)
	if err != nil {
		return err
	}
	payload, err := credential.EncodeCompact(p)
	if err != nil {
		if credential.ErrorReason(err) == credential.ReasonQRTooLarge {
			return newAPIError(kindQRTooLarge, "%s", credential.ErrorMessage(err))
		}
		return err
	}
	img, err := compactQRPNG(payload, s.cfg.QRSize)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(img)
}

// sharedAnswer is GET /s/{id} as JSON: the share's public part and the
// verification of the presentation of its fields.
type sharedAnswer struct {
	Share sharedInfo `json:"share"`
	verifyAnswer
}

// sharedInfo is what a share's reader learns of the share itself.
type sharedInfo struct {
	ID        string   `json:"id"`
	Purpose   string   `json:"purpose,omitempty"`
	ExpiresAt string   `json:"expiresAt"`
	Fields    []string `json:"fields"`
}

// handleShared serves GET /s/{id}: the page, or JSON for Accept:
// application/json. A department may identify itself with its API key, and
// is then named in the opening.
func (s *Server) handleShared(c *fiber.Ctx) error {
	by := ""
	if c.Get(fiber.HeaderAuthorization) != "" {
		d, err := s.authenticate(c)
		if err != nil {
			return err
		}
		by = d.ID
	}
	id := c.Params("id")
	if u := s.shareGateway(c, id); u != "" {
		// Only the issuing department's gateway reads the share: send the
		// reader there, as the holder's view does.
		setShareHeaders(c)
		return c.Redirect(u+"/s/"+url.PathEscape(id), fiber.StatusTemporaryRedirect)
	}
	if c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) != fiber.MIMEApplicationJSON {
		return s.pages.shared(c, id, by)
	}
	setShareHeaders(c)
	ctx, cancel := s.requestContext(c)
	defer cancel()
	o, err := s.openShare(ctx, id, by)
	if err != nil {
		return err
	}
	return c.JSON(sharedAnswer{Share: o.info, verifyAnswer: o.answer})
}

// setShareHeaders: a share is personal data for one reader; no cache keeps
// it, no search engine lists it, and its link goes to no other site.
func setShareHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	c.Set(fiber.HeaderVary, "Accept, Accept-Language, Cookie")
}

// shareGateway is the URL of the gateway that serves share id when this
// one does not act as its department (Config.DepartmentGateways); "" when
// this gateway serves it or knows no better.
func (s *Server) shareGateway(c *fiber.Ctx, id string) string {
	deptID, err := credential.ShareIssuer(id)
	if err != nil {
		return ""
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	reg, err := s.registry.get(ctx)
	if err != nil {
		return ""
	}
	d, ok := reg.Department(deptID)
	if !ok || s.actsAs(d.MSPID) {
		return ""
	}
	return strings.TrimSuffix(s.cfg.DepartmentGateways[d.ID], "/")
}

// handleShareQR serves GET /s/{id}/qr.png: the share's URL as a QR code.
// The URL holds only the share ID, so anyone may fetch it.
func (s *Server) handleShareQR(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := credential.ShareIssuer(id); err != nil {
		return err
	}
	img, err := qrPNG(s.shareURL(id), s.cfg.QRSize)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(img)
}

// errOpenUnrecorded is why a share was not shown: its opening could not be
// recorded. Shown without a record would be an opening its holder never
// learns of, so the gateway fails closed.
var errOpenUnrecorded = errors.New("the opening of the share could not be recorded")
