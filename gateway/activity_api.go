package gateway

import (
	"strconv"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// handleMyActivity answers the signed-in holder's timeline a page at a
// time: ?limit= 1 to 200 (default 50), ?before= the previous page's next.
func (s *Server) handleMyActivity(c *fiber.Ctx) error {
	h, err := s.signedInHolder(c)
	if err != nil {
		return err
	}
	limit := defaultActivityLimit
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxActivityLimit {
			return credential.Errorf(credential.ReasonInvalidRequest, "limit must be a whole number from 1 to %d", maxActivityLimit)
		}
		limit = n
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	page, err := s.holderActivity(ctx, h, c.Query("before"), limit)
	if err != nil {
		return err
	}
	// Personal data: no shared cache may keep it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(page)
}
