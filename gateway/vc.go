package gateway

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
	"github.com/gofiber/fiber/v2"
)

// VCContentType is the media type of a W3C Verifiable Credential 2.0.
const VCContentType = "application/vc"

// statusListTTL is how long a signed status list is served from memory
// and how long verifiers may cache it (its validUntil): a revocation shows
// within this time.
const statusListTTL = time.Minute

// vcSigner is the department's current signing key as a VC proof signer.
func (s *Server) vcSigner(dept credential.Department) (vc.Signer, error) {
	k, err := s.signingKey(dept)
	if err != nil {
		return vc.Signer{}, err
	}
	return vc.Signer{KeyID: k.KeyID, Key: k.Private}, nil
}

// proofCreated is a VC proof's time: whole seconds, as verifiers expect, but
// never before the signing key's validFrom, which a key added within the
// current second would otherwise postdate.
func proofCreated(now time.Time, dept credential.Department, kid string) time.Time {
	t := now.Truncate(time.Second)
	if k, ok := dept.Key(kid); ok && t.Before(k.ValidFrom) {
		t = k.ValidFrom.Truncate(time.Second)
		if t.Before(k.ValidFrom) {
			t = t.Add(time.Second)
		}
	}
	return t
}

// exportVC exports a verified document or presentation as a VC 2.0
// credential signed with its department's current key.
func (s *Server) exportVC(ctx context.Context, c *fiber.Ctx, reg credential.Registry, doc *credential.Document) error {
	dept, ok := reg.Department(doc.Issuer)
	if !ok {
		return credential.Errorf(credential.ReasonUnknownIssuer, "issuer %q is not in the registry", doc.Issuer)
	}
	seq, err := s.ledger.StatusSequence(ctx, doc.ID)
	if err != nil {
		return err
	}
	if seq == 0 {
		return newAPIError(kindUnavailable, "credential %s was recorded without a status list position, so it cannot be exported as a W3C VC with a credentialStatus (see docs/decisions/0004-status-list-index.md)", doc.ID)
	}
	signer, err := s.vcSigner(dept)
	if err != nil {
		return err
	}
	out, err := vc.Export(doc, vc.ExportParams{BaseURL: s.cfg.PublicURL, Registry: reg, StatusSequence: seq, Created: proofCreated(s.now(), dept, signer.KeyID)}, signer)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, VCContentType)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(out)
}

// handleCredentialVC serves GET /api/v1/credentials/{id}/vc to the issuing
// department (API key) or to whoever holds the verification URL's token.
func (s *Server) handleCredentialVC(c *fiber.Ctx) error {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	var rec credential.Record
	if tok := c.Query("t"); tok != "" && c.Get(fiber.HeaderAuthorization) == "" {
		id, err := pathIdentifier(c)
		if err != nil {
			return err
		}
		if rec, err = s.tokenRecord(ctx, id, tok); err != nil {
			return err
		}
	} else {
		dept, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if rec, err = s.ownRecord(c, dept); err != nil {
			return err
		}
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return err
	}
	dept, ok := reg.Department(rec.Issuer)
	if !ok {
		return credential.Errorf(credential.ReasonRegistryChanged, "issuer %s of %s is no longer in the registry", rec.Issuer, rec.ID)
	}
	doc, err := s.ledger.Document(ctx, dept.MSPID, rec.ID)
	if err != nil {
		return err
	}
	return s.exportVC(ctx, c, reg, &doc)
}

// vcBody is the body of POST /api/v1/vc.
type vcBody struct {
	Presentation *credential.Document `json:"presentation"`
}

// handlePresentationVC serves POST /api/v1/vc: a presentation, verified
// against the registry and the ledger, exported as a VC with only its
// disclosed claims. It is public like verification: the content is already
// signed by the issuer, and nothing forged or unrecorded is exported.
func (s *Server) handlePresentationVC(c *fiber.Ctx) error {
	var body vcBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Presentation == nil {
		return newAPIError(kindMalformed, "send {\"presentation\": <presentation or credential document>}")
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	ans, err := s.verifyDocument(ctx, body.Presentation, false)
	if err != nil {
		return err
	}
	if ans.Status == credential.StatusForged || ans.Status == credential.StatusNotFound {
		return credential.Errorf(credential.ReasonNotVerified, "the presentation does not verify (%s), so it is not exported", ans.Status)
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return err
	}
	return s.exportVC(ctx, c, reg, body.Presentation)
}

// handleIssuerDocument serves GET /issuers/{dept}: the controller document
// whose verification methods resolve the keys of exported credentials.
func (s *Server) handleIssuerDocument(c *fiber.Ctx) error {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	reg, err := s.registry.get(ctx)
	if err != nil {
		return err
	}
	dept, ok := reg.Department(c.Params("dept"))
	if !ok {
		return credential.Errorf(credential.ReasonDepartmentNotFound, "no department %q", truncate(c.Params("dept"), 40))
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.JSON(vc.NewControllerDocument(s.cfg.PublicURL, dept))
}

// statusListCache keeps signed status lists for statusListTTL: building
// one reads a whole list from the ledger and signs it.
// A recorded change drops the lists it shows in (statuschange.go).
type statusListCache struct {
	mu      sync.Mutex
	entries map[string]cachedStatusList
	// gen counts the drops: a list built across one may be stale and is
	// served but not kept.
	gen uint64
}

type cachedStatusList struct {
	body []byte
	at   time.Time
}

// handleStatusList serves GET /status/{dept}/{purpose}/{list}: a
// BitstringStatusListCredential built from the ledger's current statuses,
// signed with the department's current key.
func (s *Server) handleStatusList(c *fiber.Ctx) error {
	purpose := c.Params("purpose")
	if purpose != vc.PurposeRevocation && purpose != vc.PurposeSuspension {
		return credential.Errorf(credential.ReasonStatusListNotFound, "status purpose must be %s or %s", vc.PurposeRevocation, vc.PurposeSuspension)
	}
	list, err := strconv.ParseUint(c.Params("list"), 10, 32)
	if err != nil || strconv.FormatUint(list, 10) != c.Params("list") {
		return credential.Errorf(credential.ReasonStatusListNotFound, "no status list %q", truncate(c.Params("list"), 20))
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	reg, err := s.registry.get(ctx)
	if err != nil {
		return err
	}
	dept, ok := reg.Department(c.Params("dept"))
	if !ok {
		return credential.Errorf(credential.ReasonDepartmentNotFound, "no department %q", truncate(c.Params("dept"), 40))
	}
	key := statusListKey(dept.ID, purpose, list)
	now := s.now()
	s.statusLists.mu.Lock()
	cached, hit := s.statusLists.entries[key]
	gen := s.statusLists.gen
	s.statusLists.mu.Unlock()
	if !hit || now.Sub(cached.at) >= statusListTTL {
		body, err := s.buildStatusList(ctx, dept, purpose, list, now)
		if err != nil {
			return err
		}
		cached = cachedStatusList{body: body, at: now}
		s.statusLists.mu.Lock()
		if s.statusLists.entries == nil {
			s.statusLists.entries = map[string]cachedStatusList{}
		}
		if s.statusLists.gen == gen {
			s.statusLists.entries[key] = cached
		}
		s.statusLists.mu.Unlock()
	}
	c.Set(fiber.HeaderContentType, VCContentType)
	c.Set(fiber.HeaderCacheControl, "public, max-age="+strconv.Itoa(int(statusListTTL/time.Second)))
	return c.Status(http.StatusOK).Send(cached.body)
}

func (s *Server) buildStatusList(ctx context.Context, dept credential.Department, purpose string, list uint64, now time.Time) ([]byte, error) {
	entries, err := s.ledger.StatusEntries(ctx, dept.ID, list)
	if err != nil {
		return nil, err
	}
	want := credential.StatusRevoked
	if purpose == vc.PurposeSuspension {
		want = credential.StatusSuspended
	}
	var set []int
	for _, e := range entries {
		l, index := vc.StatusPosition(e.Sequence)
		if l != list {
			return nil, credential.Errorf(credential.ReasonLedgerFailure, "the ledger returned sequence %d of list %d for list %d", e.Sequence, l, list)
		}
		// A superseded version is no longer valid, and revocation is the
		// only purpose a status list has for that (decision 0017).
		if e.Status == want || purpose == vc.PurposeRevocation && e.Status == credential.StatusSuperseded {
			set = append(set, index)
		}
	}
	signer, err := s.vcSigner(dept)
	if err != nil {
		return nil, err
	}
	from := now.Truncate(time.Second)
	return vc.NewStatusListCredential(vc.StatusListParams{BaseURL: s.cfg.PublicURL, Department: dept, Purpose: purpose, List: list,
		ValidFrom: from, ValidUntil: from.Add(statusListTTL)}, set, signer)
}
