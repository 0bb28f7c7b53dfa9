package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// Consent requests (授权用证), the department's side: a requester of a
// service item asks a holder for the item's claims, reads the status, and
// while the consent is in force fetches presentations of exactly those
// claims, each fetch counted on the ledger first
// (docs/decisions/0015-consent-requests.md).

// requestRoutes registers the consent request endpoints.
func (s *Server) requestRoutes(api fiber.Router) {
	api.Post("/requests", s.handleCreateRequest)
	api.Get("/requests", s.handleListRequests)
	api.Get("/requests/:id", s.handleGetRequest)
	api.Get("/requests/:id/qr.png", s.handleRequestQR)
	api.Get("/receipts", s.handleReceipts)
	api.Get("/me/requests", s.handleMyRequests)
	api.Get("/me/requests/:id", s.handleMyRequest)
	api.Post("/me/requests/:id/approve", s.handleDecide(credential.DecisionApprove))
	api.Post("/me/requests/:id/refuse", s.handleDecide(credential.DecisionRefuse))
	api.Post("/me/requests/:id/withdraw", s.handleDecide(credential.DecisionWithdraw))
}

// requestInput is the body of POST /api/v1/requests. ExpiresIn is in
// seconds, Term in days.
type requestInput struct {
	Service   string              `json:"service"`
	Holder    *requestHolderInput `json:"holder,omitempty"`
	Purpose   string              `json:"purpose,omitempty"`
	ExpiresIn *int64              `json:"expiresIn,omitempty"`
	Term      *int                `json:"term,omitempty"`
}

// addReason is add with a reason other than invalid_field.
func (p *fieldProblems) addReason(ptr string, r credential.Reason, format string, args ...any) {
	p.add(ptr, format, args...)
	(*p)[len(*p)-1].Reason = string(r)
}

// requestHolderInput names the holder a request is addressed to.
type requestHolderInput struct {
	IDType   string `json:"idType"`
	IDNumber string `json:"idNumber"`
}

// requestCreated is the 201 body of POST /api/v1/requests.
type requestCreated struct {
	ID         string                   `json:"id"`
	Status     credential.RequestStatus `json:"status"`
	ApproveURL string                   `json:"approveUrl"`
	QRURL      string                   `json:"qrUrl"`
	ExpiresAt  time.Time                `json:"expiresAt"`
}

// requestView is a request as its requester sees it: the record with its
// status at this moment, its links, and while the consent is in force the
// presentations and the receipt.
type requestView struct {
	credential.ConsentRequest
	ApproveURL    string                `json:"approveUrl"`
	QRURL         string                `json:"qrUrl"`
	ConsentActive bool                  `json:"consentActive"`
	Presentations []credential.Document `json:"presentations,omitempty"`
	// Unavailable lists approved credentials whose documents this gateway
	// cannot read (it does not act as their issuer).
	Unavailable []string            `json:"unavailable,omitempty"`
	Receipt     *credential.Receipt `json:"receipt,omitempty"`
}

// requestPageAnswer is GET /api/v1/requests.
type requestPageAnswer struct {
	Items []requestView `json:"items"`
	Next  string        `json:"next,omitempty"`
}

func (s *Server) approveURL(id string) string { return s.cfg.PublicURL + "/me/requests/" + id }
func (s *Server) requestQRURL(id string) string {
	return s.cfg.PublicURL + "/api/v1/requests/" + id + "/qr.png"
}

// newRequestID draws a request ID: 128 random bits as lower-case hex.
func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("gateway: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// governance returns the registry's governance department.
func governance(reg credential.Registry) (credential.Department, error) {
	for _, d := range reg.Departments {
		if d.HasRole(credential.RoleGovernance) {
			return d, nil
		}
	}
	return credential.Department{}, credential.Errorf(credential.ReasonInternal, "the registry has no governance department")
}

// serviceByCode reads the catalogue and returns one item.
func (s *Server) serviceByCode(ctx context.Context, code string) (credential.Service, error) {
	list, err := s.ledger.Services(ctx)
	if err != nil {
		return credential.Service{}, err
	}
	for _, svc := range list {
		if svc.Code == code {
			return svc, nil
		}
	}
	return credential.Service{}, credential.ServiceNotFound(truncate(code, 64))
}

// createRequest records a consent request of dept for the input's service,
// addressed to the input's holder, or to whoever scans its QR code at the
// counter when there is none. Pages call it as the API does.
func (s *Server) createRequest(ctx context.Context, dept credential.Department, in requestInput) (requestCreated, error) {
	var probs fieldProblems
	expiresIn, term := credential.DefaultRequestExpiry, credential.DefaultConsentTermDays
	if in.ExpiresIn != nil {
		expiresIn = time.Duration(*in.ExpiresIn) * time.Second
		if *in.ExpiresIn < 60 || expiresIn > credential.MaxRequestExpiry {
			probs.addReason("#/expiresIn", credential.ReasonInvalidConsent, "expiresIn is 60 to %d seconds", int64(credential.MaxRequestExpiry/time.Second))
		}
	}
	if in.Term != nil {
		term = *in.Term
		if term < 1 || term > credential.MaxConsentTermDays {
			probs.addReason("#/term", credential.ReasonInvalidConsent, "term is 1 to %d days", credential.MaxConsentTermDays)
		}
	}
	if !credential.ValidPurpose(in.Purpose) {
		probs.addReason("#/purpose", credential.ReasonInvalidConsent, "purpose is at most %d characters without control characters", credential.MaxRequestPurpose)
	}
	ref := ""
	if in.Holder != nil {
		// The name is not asked for; Validate wants one.
		h := credential.Holder{Name: "-", IDType: in.Holder.IDType, IDNumber: in.Holder.IDNumber}.Normalize()
		if err := h.Validate(); err != nil {
			probs.add("#"+errorPointer(err), "%s", credential.ErrorMessage(err))
		}
		ref = credential.RequestHolderRef(s.secrets.HolderKey, in.Service, h.IDType, h.IDNumber)
	}
	if in.Service == "" {
		probs.add("#/service", "service is required: the code of a service catalogue item")
	}
	if len(probs) > 0 {
		return requestCreated{}, invalidFields(probs)
	}
	svc, err := s.serviceByCode(ctx, in.Service)
	if err != nil {
		return requestCreated{}, err
	}
	if !containsString(svc.Requesters, dept.ID) {
		return requestCreated{}, credential.Errorf(credential.ReasonNotServiceRequester, "department %s is not a requester of service %s", dept.ID, svc.Code)
	}
	n := credential.NewConsentRequest{ID: newRequestID(), Service: svc.Code, Purpose: in.Purpose,
		ExpiresAt: s.now().Add(expiresIn), TermDays: term, HolderRef: ref}
	r, err := s.ledger.CreateRequest(ctx, dept.MSPID, n)
	if err != nil {
		return requestCreated{}, err
	}
	s.log.Info("consent request created", slog.String("request", r.ID), slog.String("service", r.Service),
		slog.String("by", dept.ID), slog.Bool("counter", ref == ""))
	return requestCreated{ID: r.ID, Status: r.Status, ApproveURL: s.approveURL(r.ID), QRURL: s.requestQRURL(r.ID), ExpiresAt: r.ExpiresAt}, nil
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// errorPointer is an error's Pointer, "" when it has none.
func errorPointer(err error) string {
	if e, ok := err.(*credential.Error); ok {
		return e.Pointer
	}
	return ""
}

func (s *Server) handleCreateRequest(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	var in requestInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	out, err := s.createRequest(ctx, dept, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

// ownRequest reads a request for its requester; another department's, like
// one that does not exist, is request_not_found.
func (s *Server) ownRequest(ctx context.Context, dept credential.Department, id string) (credential.ConsentRequest, error) {
	if !credential.ValidRequestID(id) {
		return credential.ConsentRequest{}, credential.RequestNotFound(id)
	}
	r, err := s.ledger.Request(ctx, id)
	if err != nil {
		return r, err
	}
	if r.Requester != dept.ID {
		return credential.ConsentRequest{}, credential.RequestNotFound(id)
	}
	return r, nil
}

// departmentRequest answers request id to its requester. While the consent
// is in force it counts the read on the ledger first (fail closed: no
// count, no presentations) and then presents each approved credential's
// document with exactly the approved fields, read as its issuer.
func (s *Server) departmentRequest(ctx context.Context, dept credential.Department, id string) (requestView, error) {
	r, err := s.ownRequest(ctx, dept, id)
	if err != nil {
		return requestView{}, err
	}
	now := s.now()
	if r.ConsentActive(now) {
		reg, err := s.registry.get(ctx)
		if err != nil {
			return requestView{}, err
		}
		gov, err := governance(reg)
		if err != nil {
			return requestView{}, err
		}
		counted, err := s.ledger.RecordProofRead(ctx, dept.MSPID, gov.MSPID, id)
		switch {
		case credential.ErrorReason(err) == credential.ReasonConsentEnded:
			// Ended between the two clocks: the ledger's time decides.
			if r, err = s.ledger.Request(ctx, id); err != nil {
				return requestView{}, err
			}
			return s.requestViewOf(r, s.now()), nil
		case err != nil:
			return requestView{}, err
		}
		v := s.requestViewOf(counted, now)
		v.ConsentActive = true
		for _, cc := range counted.Credentials {
			p, elsewhere, err := s.presentation(ctx, reg, cc)
			if err != nil {
				return requestView{}, err
			}
			if elsewhere {
				v.Unavailable = append(v.Unavailable, cc.ID)
				continue
			}
			v.Presentations = append(v.Presentations, *p)
		}
		s.log.Info("consent request read", slog.String("request", id), slog.String("by", dept.ID), slog.Int("reads", counted.Reads))
		return v, nil
	}
	return s.requestViewOf(r, now), nil
}

// presentation derives the presentation of one approved credential, its
// document read as its issuing department; elsewhere is true when this
// gateway does not act as that department.
func (s *Server) presentation(ctx context.Context, reg credential.Registry, cc credential.ConsentCredential) (*credential.Document, bool, error) {
	rec, err := s.ledger.Record(ctx, cc.ID)
	if err != nil {
		return nil, false, err
	}
	issuer, ok := reg.Department(rec.Issuer)
	if !ok {
		return nil, false, credential.Errorf(credential.ReasonRegistryChanged, "issuer %s of %s is no longer in the registry", rec.Issuer, rec.ID)
	}
	if !s.actsAs(issuer.MSPID) {
		return nil, true, nil
	}
	doc, err := s.ledger.Document(ctx, issuer.MSPID, cc.ID)
	if err != nil {
		return nil, false, err
	}
	p, err := doc.Present(cc.Fields)
	return p, false, err
}

// requestViewOf is the view of r without presentations, its status as of
// now, and its receipt once decided.
func (s *Server) requestViewOf(r credential.ConsentRequest, now time.Time) requestView {
	v := requestView{ConsentRequest: r, ApproveURL: s.approveURL(r.ID), QRURL: s.requestQRURL(r.ID), ConsentActive: r.ConsentActive(now)}
	v.Status = r.StatusAt(now)
	if !r.DecidedAt.IsZero() {
		v.Receipt = receiptOf(r)
	}
	return v
}

// receiptOf is the receipt of r's latest decision as the record holds it.
func receiptOf(r credential.ConsentRequest) *credential.Receipt {
	at := r.DecidedAt
	if r.Status == credential.RequestWithdrawn {
		at = r.WithdrawnAt
	}
	return &credential.Receipt{Request: r.ID, Service: r.Service, Requester: r.Requester, Decision: r.Status, At: at,
		TxID: r.DecisionTxID, TermDays: r.TermDays, ConsentUntil: r.ConsentUntil, HolderRef: r.HolderRef, Credentials: r.Credentials}
}

func (s *Server) handleGetRequest(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	v, err := s.departmentRequest(ctx, dept, c.Params("id"))
	if err != nil {
		return err
	}
	// Personal data once approved: no shared cache may keep it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(v)
}

// departmentRequests is one page of dept's requests, newest first.
func (s *Server) departmentRequests(ctx context.Context, dept credential.Department, after string, limit int) (requestPageAnswer, error) {
	page, err := s.ledger.RequestsByDept(ctx, credential.RequestDeptQuery{Dept: dept.ID, After: after, Limit: limit})
	if err != nil {
		return requestPageAnswer{}, err
	}
	now := s.now()
	out := requestPageAnswer{Items: make([]requestView, 0, len(page.Requests)), Next: page.Next}
	for _, r := range page.Requests {
		out.Items = append(out.Items, s.requestViewOf(r, now))
	}
	return out, nil
}

// queryLimit reads ?limit= (1 to max, def when absent).
func queryLimit(c *fiber.Ctx, def, max int) (int, error) {
	v := c.Query("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, credential.Errorf(credential.ReasonInvalidRequest, "limit must be a whole number from 1 to %d", max)
	}
	return n, nil
}

func (s *Server) handleListRequests(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	limit, err := queryLimit(c, 50, credential.MaxRequestPage)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	page, err := s.departmentRequests(ctx, dept, c.Query("after"), limit)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(page)
}

// handleRequestQR answers the QR code of a request's approveUrl, for the
// requester to show at the counter.
func (s *Server) handleRequestQR(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	r, err := s.ownRequest(ctx, dept, c.Params("id"))
	if err != nil {
		return err
	}
	img, err := qrPNG(s.approveURL(r.ID), 320)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(img)
}
