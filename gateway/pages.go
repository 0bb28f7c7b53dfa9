package gateway

import (
	"context"

	"github.com/certledger/certledger/credential"
)

// registerPages mounts the HTML side of the gateway: the home page, the
// verification page a QR code opens, the department console and their
// embedded assets. New calls it after the API routes.
func (s *Server) registerPages() {
	r, err := newRenderer()
	if err != nil {
		// The templates and translations are embedded at build time; a
		// failure here is a build defect that every test catches.
		panic("gateway: pages: " + err.Error())
	}
	p := &pages{r: r, b: s, now: s.now, apiDocs: "/api/v1/openapi.json"}
	p.mount(s.app)
}

func (s *Server) pageRegistry(ctx context.Context) (credential.Registry, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	return s.registry.get(ctx)
}

func (s *Server) pageRecord(ctx context.Context, id string) (credential.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	return s.ledger.Record(ctx, id)
}

func (s *Server) pageTokenMatches(id, token string) bool { return s.tokenValid(id, token) }

// pageDisclose reads the full document from private data, as the issuing
// department (whose collection holds it), and verifies it online against a
// fresh read of its record.
func (s *Server) pageDisclose(ctx context.Context, id string) (*credential.Document, credential.Verification, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	reg, err := s.registry.get(ctx)
	if err != nil {
		return nil, credential.Verification{}, err
	}
	rec, err := s.ledger.Record(ctx, id)
	if err != nil {
		return nil, credential.Verification{}, err
	}
	dept, ok := reg.Department(rec.Issuer)
	if !ok {
		return nil, credential.Verification{}, credential.Errorf(credential.CodeNotFound, "issuer %s is not in the registry", rec.Issuer)
	}
	doc, err := s.ledger.Document(ctx, dept.MSPID, id)
	if err != nil {
		return nil, credential.Verification{}, err
	}
	v := credential.Verify(credential.VerifyInput{Document: &doc, Registry: reg, Record: &rec, Online: true, Now: s.now()})
	return &doc, v, nil
}
