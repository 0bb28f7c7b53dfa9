package gateway

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// The service catalogue (事项目录): which departments may request which
// claims of a holder's credentials for a service. Public, like the
// registry it refers to; only the governance department changes it.

// serviceAnswer is the body of GET /api/v1/services/{code} and of a write.
type serviceAnswer struct {
	Service credential.Service `json:"service"`
}

// servicesAnswer is the body of GET /api/v1/services.
type servicesAnswer struct {
	Services []credential.Service `json:"services"`
}

// publicServiceRead tells the catalogue's reads, which anyone may make and
// each of which reads the ledger, so they spend the client address's public
// budget; governance's writes are limited per API key like the rest.
func publicServiceRead(method, path string) bool {
	path = strings.TrimSuffix(strings.ToLower(path), "/")
	return (method == fiber.MethodGet || method == fiber.MethodHead) &&
		(path == "/api/v1/services" || strings.HasPrefix(path, "/api/v1/services/"))
}

func (s *Server) handleServices(c *fiber.Ctx) error {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	list, err := s.ledger.Services(ctx)
	if err != nil {
		return err
	}
	return c.JSON(servicesAnswer{Services: nonNil(list)})
}

func (s *Server) handleService(c *fiber.Ctx) error {
	code := c.Params("code")
	ctx, cancel := s.requestContext(c)
	defer cancel()
	list, err := s.ledger.Services(ctx)
	if err != nil {
		return err
	}
	for _, svc := range list {
		if svc.Code == code {
			return c.JSON(serviceAnswer{Service: svc})
		}
	}
	return credential.ServiceNotFound(truncate(code, 64))
}

// handlePutService registers a service item (201) or replaces it (200).
// The body is a credential.Service; its code may be left out, and
// updatedAt and updatedBy are the contract's to set.
func (s *Server) handlePutService(c *fiber.Ctx) error {
	caller, err := s.governanceCaller(c, "change the service catalogue")
	if err != nil {
		return err
	}
	var svc credential.Service
	if err := decodeJSON(c, &svc); err != nil {
		return err
	}
	code := c.Params("code")
	var probs fieldProblems
	switch {
	case svc.Code == "":
		svc.Code = code
	case svc.Code != code:
		probs.add("#/code", "code %q differs from the code in the path, %q", truncate(svc.Code, 64), truncate(code, 64))
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	// A type or department registered a moment ago must count.
	reg, err := s.registry.fresh(ctx)
	if err != nil {
		return err
	}
	_, found := credential.CheckService(svc, reg)
	for _, p := range found {
		probs = append(probs, FieldProblem{Pointer: "#" + p.Pointer, Reason: string(p.Reason), Detail: p.Message})
	}
	if len(probs) > 0 {
		return invalidFields(probs)
	}
	before, err := s.ledger.Services(ctx)
	if err != nil {
		return err
	}
	stored, err := s.ledger.PutService(ctx, caller.MSPID, svc)
	var ce *credential.Error
	if errors.As(err, &ce) && ce.Reason == credential.ReasonInvalidService && ce.Pointer != "" {
		// The registry changed between the check above and the contract's.
		return invalidFields([]FieldProblem{{Pointer: "#" + ce.Pointer, Reason: string(ce.Reason), Detail: ce.Message}})
	}
	if err != nil {
		return err
	}
	status, verb := fiber.StatusCreated, "registered"
	for _, old := range before {
		if old.Code == stored.Code {
			status, verb = fiber.StatusOK, "updated"
		}
	}
	s.log.Info("service "+verb, slog.String("service", stored.Code), slog.Any("requesters", stored.Requesters),
		slog.Int("credentials", len(stored.Credentials)), slog.String("by", caller.ID))
	return c.Status(status).JSON(serviceAnswer{Service: stored})
}
