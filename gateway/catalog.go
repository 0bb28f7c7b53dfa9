package gateway

import (
	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// typesAnswer is the body of GET /api/v1/types.
type typesAnswer struct {
	Types []credential.CredentialType `json:"types"`
}

// departmentsAnswer is the body of GET /api/v1/departments.
type departmentsAnswer struct {
	Departments []credential.Department `json:"departments"`
}

// meAnswer is the body of GET /api/v1/me: who the API key belongs to and
// what it may issue, for the console.
type meAnswer struct {
	Department credential.Department       `json:"department"`
	Types      []credential.CredentialType `json:"types"`
	// SigningKeyID is the key this gateway signs the department's new
	// credentials with; empty when it holds none that the registry lists
	// as active.
	SigningKeyID string `json:"signingKeyId,omitempty"`
}

func (s *Server) handleTypes(c *fiber.Ctx) error {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	reg, err := s.registry.get(ctx)
	if err != nil {
		return err
	}
	return c.JSON(typesAnswer{Types: nonNil(reg.Types)})
}

func (s *Server) handleDepartments(c *fiber.Ctx) error {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	reg, err := s.registry.get(ctx)
	if err != nil {
		return err
	}
	return c.JSON(departmentsAnswer{Departments: nonNil(reg.Departments)})
}

func (s *Server) handleMe(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	reg, err := s.registry.get(ctx)
	if err != nil {
		return err
	}
	out := meAnswer{Department: dept, Types: typesIssuedBy(reg, dept.ID)}
	if k, err := s.signingKey(dept); err == nil {
		out.SigningKeyID = k.KeyID
	}
	return c.JSON(out)
}

// typesIssuedBy lists the types a department may issue.
func typesIssuedBy(reg credential.Registry, deptID string) []credential.CredentialType {
	out := []credential.CredentialType{}
	for _, t := range reg.Types {
		if t.AuthorizesIssuer(deptID) {
			out = append(out, t)
		}
	}
	return out
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
