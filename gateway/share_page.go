package gateway

import (
	"context"
	"net/url"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// shareNote is the share's own part of the page: its purpose and expiry.
type shareNote struct {
	Purpose   string
	ExpiresAt string
}

func (s *Server) pageOpenShare(ctx context.Context, id, by string) (openedShare, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	return s.openShare(ctx, id, by)
}

// shared serves GET /s/{id} as a page: the verification page of the
// share's presentation, with its purpose and expiry; 410 once expired or
// withdrawn, 404 for an unknown share, 503 when the opening could not be
// recorded.
func (p *pages) shared(c *fiber.Ctx, id, by string) error {
	L := p.lang(c)
	base := "/s/" + url.PathEscape(id)
	o, err := p.b.pageOpenShare(c.UserContext(), id, by)
	if err != nil {
		switch r := credential.ErrorReason(err); r {
		case credential.ReasonShareExpired, credential.ReasonShareWithdrawn:
			return p.sendError(c, L, fiber.StatusGone, string(r), "", base)
		case credential.ReasonShareNotFound:
			return p.sendError(c, L, fiber.StatusNotFound, string(r), "", base)
		}
		p.b.pageLogError(c, "share page: not shown", err)
		return p.sendError(c, L, fiber.StatusServiceUnavailable, "unavailable", "", base)
	}
	facts := verifyFacts{ID: o.presentation.ID, Registry: o.reg, Record: o.answer.record, Status: o.answer.Status,
		Document: o.presentation, Checks: o.answer.Checks, Token: tokenValid, Presented: true, Now: o.answer.VerifiedAt}
	v := buildVerifyView(L, facts)
	v.pageMeta = p.meta(L, "verify", L.T("share.title"), base)
	v.NoIndex, v.SameOriginReferrer = true, true
	v.Share = &shareNote{Purpose: o.share.Purpose, ExpiresAt: L.Time(o.share.ExpiresAt)}
	setShareHeaders(c)
	status := fiber.StatusOK
	if facts.Record == nil {
		status = fiber.StatusNotFound
	}
	return p.send(c, status, "verify", v)
}
