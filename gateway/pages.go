package gateway

import (
	"context"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// registerPages mounts the HTML side of the gateway: the home page, the
// verification page a QR code opens, the department console and their
// embedded assets. New calls it after the API routes.
func (s *Server) registerPages() {
	r, err := newRenderer(s.cfg.TimeZone)
	if err != nil {
		// The templates and translations are embedded at build time; a
		// failure here is a build defect that every test catches.
		panic("gateway: pages: " + err.Error())
	}
	p := &pages{r: r, b: s, qr: newQRDecoder(s.cfg.UploadDecodes, s.cfg.UploadPixels), apiDocs: "/api/v1/openapi.json"}
	p.mount(s.app)
	s.pages = p
}

func (s *Server) pageRegistry(ctx context.Context) (credential.Registry, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	return s.registry.get(ctx)
}

// pageVerify verifies a credential for the page, within the request
// timeout.
func (s *Server) pageVerify(ctx context.Context, id, token string) (idVerification, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	return s.verifyByID(ctx, id, token)
}

func (s *Server) pageLogError(c *fiber.Ctx, msg string, err error) { s.logError(c, msg, err) }

func (s *Server) pageQRHost(verifyURL string) (string, bool) { return s.qrHost(verifyURL) }

func (s *Server) pageSignInOn() bool { return s.rp != nil }

func (s *Server) pageOwnHost() string {
	o, _ := parseOrigin(s.cfg.PublicURL)
	return o.host
}

// pageVerifyPresented verifies what a visitor pasted or uploaded against
// the registry and the ledger record, within the request timeout. The page
// shows its fields whatever the verdict: they are the visitor's own input,
// and the checks say whether to trust them.
func (s *Server) pageVerifyPresented(ctx context.Context, doc *credential.Document) (verifyFacts, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	ans, err := s.verifyDocument(ctx, doc, true)
	if err != nil {
		return verifyFacts{}, err
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return verifyFacts{}, err
	}
	return verifyFacts{ID: doc.ID, Registry: reg, Record: ans.record, Status: ans.Status, Document: doc,
		Checks: ans.Checks, Token: tokenValid, Presented: doc.IsPresentation(), Now: ans.VerifiedAt}, nil
}
