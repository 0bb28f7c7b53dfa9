package gateway

import (
	"github.com/gofiber/fiber/v2"
)

// handleMyCredentials lists the signed-in holder's credentials across
// every department, a page at a time (?after= the previous page's next).
func (s *Server) handleMyCredentials(c *fiber.Ctx) error {
	h, err := s.signedInHolder(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	page, err := s.holderCredentials(ctx, h, c.Query("after"))
	if err != nil {
		return err
	}
	// Personal data: no shared cache may keep it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(page)
}

// handleMyCredential answers one of the signed-in holder's credentials in
// full; anyone else's, like one that does not exist, is a 404.
func (s *Server) handleMyCredential(c *fiber.Ctx) error {
	h, err := s.signedInHolder(c)
	if err != nil {
		return err
	}
	id, err := pathIdentifier(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	cred, err := s.holderCredential(ctx, h, id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(cred)
}
