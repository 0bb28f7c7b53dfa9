package gateway

import (
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// TrustListContentType is the media type of a signed trust list: a JWS in
// compact serialization (RFC 7515 section 9.2.1).
const TrustListContentType = "application/jose"

// SignTrustList signs the trust list of reg with an active governance key that
// keys holds, or returns an unavailable problem. The sequence number is the
// issue time in milliseconds, so lists of any gateway order by time.
func SignTrustList(reg credential.Registry, keys Secrets, now time.Time, validity time.Duration) ([]byte, error) {
	var gov credential.Department
	for _, d := range reg.Departments {
		if d.HasRole(credential.RoleGovernance) {
			gov = d
			break
		}
	}
	if gov.ID == "" {
		return nil, newAPIError(kindUnavailable, "the registry has no governance department to sign a trust list")
	}
	now = now.UTC().Truncate(time.Millisecond)
	key, ok := activeSigningKey(gov, keys, now)
	if !ok {
		return nil, newAPIError(kindUnavailable, "this gateway cannot sign the trust list: it holds no active signing key of the governance department %s (the trust list is signed where the governance key is kept)", gov.ID)
	}
	tl, err := credential.NewTrustList(reg, gov.ID, uint64(now.UnixMilli()), now, now.Add(validity))
	if err != nil {
		return nil, err
	}
	return tl.Sign(key.KeyID, key.Private)
}

// handleTrustList serves the current trust list. It is public: it holds
// only what the registry already publishes, and offline verifiers fetch it.
func (s *Server) handleTrustList(c *fiber.Ctx) error {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	// Fresh, not the cached copy: a list handed to offline verifiers must
	// include a key compromise recorded a moment ago.
	reg, err := s.registry.fresh(ctx)
	if err != nil {
		return err
	}
	b, err := SignTrustList(reg, s.keys, s.now(), s.cfg.TrustListValidity)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, TrustListContentType)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="certledger-trust-list.jws"`)
	return c.Send(b)
}
