package gateway

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIDocument is the hand-written OpenAPI 3.1 description of the API.
// A test checks it against the registered routes.
//
//go:embed openapi.json
var openAPIDocument []byte

func (s *Server) handleOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "application/json")
	return c.Send(openAPIDocument)
}
