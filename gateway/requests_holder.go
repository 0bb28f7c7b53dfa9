package gateway

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// Consent requests, the holder's side: the signed-in holder's inbox, one
// request with exactly what it would disclose and which of their
// credentials fit, and their decision, which the gateway submits as the
// governance department (docs/decisions/0015-consent-requests.md).

// serviceSummary names a service item.
type serviceSummary struct {
	Code   string `json:"code"`
	NameZh string `json:"nameZh"`
	NameEn string `json:"nameEn"`
}

// claimLabel is a claim name with its labels.
type claimLabel struct {
	Name    string `json:"name"`
	LabelZh string `json:"labelZh"`
	LabelEn string `json:"labelEn"`
}

// inboxNeed is one credential type a request needs: the claims it would
// disclose, the holder's credentials of that type to choose from, and the
// one chosen (the approved one, or the default: the only valid one).
type inboxNeed struct {
	Type    *typeSummary `json:"type"`
	Fields  []claimLabel `json:"fields"`
	Choices []walletItem `json:"choices"`
	Chosen  string       `json:"chosen,omitempty"`
}

// inboxItem is a request as its holder sees it.
type inboxItem struct {
	ID            string                   `json:"id"`
	Status        credential.RequestStatus `json:"status"`
	Service       serviceSummary           `json:"service"`
	Requester     *issuerSummary           `json:"requester"`
	Purpose       string                   `json:"purpose,omitempty"`
	CreatedAt     time.Time                `json:"createdAt"`
	ExpiresAt     time.Time                `json:"expiresAt"`
	TermDays      int                      `json:"termDays"`
	DecidedAt     time.Time                `json:"decidedAt,omitzero"`
	ConsentUntil  time.Time                `json:"consentUntil,omitzero"`
	WithdrawnAt   time.Time                `json:"withdrawnAt,omitzero"`
	ConsentActive bool                     `json:"consentActive"`
	Reads         int                      `json:"reads"`
	RecentReads   []time.Time              `json:"recentReads,omitempty"`
	Needs         []inboxNeed              `json:"needs"`
}

// inboxPage is one page of the inbox, pending requests first; Next names
// a service and a request, never a holder reference.
type inboxPage struct {
	Items []inboxItem `json:"items"`
	Next  string      `json:"next,omitempty"`
}

// requestRefSet is a holder's request reference for each service item.
type requestRefSet struct {
	refs      []string
	codeOf    map[string]string // reference -> service code
	refOf     map[string]string // service code -> reference
	catalogue map[string]credential.Service
}

func (s *Server) requestRefs(ctx context.Context, h credential.Holder) (requestRefSet, error) {
	set := requestRefSet{codeOf: map[string]string{}, refOf: map[string]string{}, catalogue: map[string]credential.Service{}}
	list, err := s.ledger.Services(ctx)
	if err != nil {
		return set, err
	}
	if len(list) > credential.MaxRequestRefs {
		return set, credential.Errorf(credential.ReasonInternal, "the catalogue has %d services; an inbox query covers %d", len(list), credential.MaxRequestRefs)
	}
	for _, svc := range list {
		ref := credential.RequestHolderRef(s.secrets.HolderKey, svc.Code, h.IDType, h.IDNumber)
		set.refs = append(set.refs, ref)
		set.codeOf[ref], set.refOf[svc.Code], set.catalogue[svc.Code] = svc.Code, ref, svc
	}
	return set, nil
}

// holderInbox returns one page of the requests addressed to h (at most
// credential.MaxRequestPage), pending ones first, then newest first.
func (s *Server) holderInbox(ctx context.Context, h credential.Holder, after string) (inboxPage, error) {
	page := inboxPage{Items: []inboxItem{}}
	set, err := s.requestRefs(ctx, h)
	if err != nil || len(set.refs) == 0 {
		return page, err
	}
	q := credential.RequestHolderQuery{Refs: set.refs}
	if after != "" {
		code, id, ok := strings.Cut(after, "/")
		ref, known := set.refOf[code]
		if !ok || !known || !credential.ValidRequestID(id) {
			return page, credential.Errorf(credential.ReasonInvalidRequest, "the page cursor %q is not one this gateway returned", truncate(after, 80))
		}
		q.After = ref + "/" + id
	}
	res, err := s.ledger.RequestsByHolder(ctx, q)
	if err != nil {
		return page, err
	}
	if res.Next != "" {
		ref, id, _ := strings.Cut(res.Next, "/")
		page.Next = set.codeOf[ref] + "/" + id
	}
	if len(res.Requests) == 0 {
		return page, nil
	}
	reg, recs, err := s.allHolderRecords(ctx, h)
	if err != nil {
		return page, err
	}
	now := s.now()
	for _, r := range res.Requests {
		page.Items = append(page.Items, s.inboxItemOf(reg, set.catalogue[r.Service], r, recs, now))
	}
	slices.SortStableFunc(page.Items, func(a, b inboxItem) int {
		ap, bp := a.Status == credential.RequestPending, b.Status == credential.RequestPending
		switch {
		case ap && !bp:
			return -1
		case bp && !ap:
			return 1
		}
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return page, nil
}

// inboxItemOf is r as its holder sees it, with the holder's records recs
// to choose from.
func (s *Server) inboxItemOf(reg credential.Registry, svc credential.Service, r credential.ConsentRequest, recs []credential.Record, now time.Time) inboxItem {
	it := inboxItem{ID: r.ID, Status: r.StatusAt(now), Service: serviceSummary{Code: r.Service, NameZh: svc.NameZh, NameEn: svc.NameEn},
		Purpose: r.Purpose, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, TermDays: r.TermDays, DecidedAt: r.DecidedAt,
		ConsentUntil: r.ConsentUntil, WithdrawnAt: r.WithdrawnAt, ConsentActive: r.ConsentActive(now), Reads: r.Reads,
		RecentReads: r.RecentReads, Needs: []inboxNeed{}}
	if d, ok := reg.Department(r.Requester); ok {
		it.Requester = &issuerSummary{ID: d.ID, USCC: d.USCC, NameZh: d.NameZh, NameEn: d.NameEn}
	}
	for _, sc := range svc.Credentials {
		t, ok := reg.Type(sc.Type)
		if !ok {
			continue
		}
		n := inboxNeed{Type: &typeSummary{ID: t.ID, Code: t.Code, NameZh: t.NameZh, NameEn: t.NameEn}, Choices: []walletItem{}}
		for _, f := range sc.Fields {
			spec, _ := t.ClaimSpec(f)
			n.Fields = append(n.Fields, claimLabel{Name: f, LabelZh: spec.LabelZh, LabelEn: spec.LabelEn})
		}
		valid := 0
		for _, rec := range recs {
			if rec.Type == t.Code {
				w := s.walletItemOf(reg, rec, now)
				n.Choices = append(n.Choices, w)
				if w.Status == credential.StatusValid {
					valid++
					if valid == 1 {
						n.Chosen = w.ID
					}
				}
			}
		}
		if valid != 1 {
			n.Chosen = ""
		}
		for _, cc := range r.Credentials {
			if cc.Type == t.ID {
				n.Chosen = cc.ID
			}
		}
		it.Needs = append(it.Needs, n)
	}
	return it
}

// holderRequest reads request id for h: one addressed to h, or a counter
// request no holder has decided yet. Anything else, like a request that
// does not exist, is request_not_found.
func (s *Server) holderRequest(ctx context.Context, h credential.Holder, id string) (credential.ConsentRequest, string, error) {
	if !credential.ValidRequestID(id) {
		return credential.ConsentRequest{}, "", credential.RequestNotFound(id)
	}
	r, err := s.ledger.Request(ctx, id)
	if err != nil {
		return r, "", err
	}
	ref := credential.RequestHolderRef(s.secrets.HolderKey, r.Service, h.IDType, h.IDNumber)
	if r.HolderRef != "" && !hmac.Equal([]byte(ref), []byte(r.HolderRef)) {
		return credential.ConsentRequest{}, "", credential.RequestNotFound(id)
	}
	return r, ref, nil
}

// holderRequestView answers request id to h with what it would disclose
// and h's credentials to choose from.
func (s *Server) holderRequestView(ctx context.Context, h credential.Holder, id string) (inboxItem, error) {
	r, _, err := s.holderRequest(ctx, h, id)
	if err != nil {
		return inboxItem{}, err
	}
	return s.holderViewOf(ctx, h, r)
}

func (s *Server) holderViewOf(ctx context.Context, h credential.Holder, r credential.ConsentRequest) (inboxItem, error) {
	svc, err := s.serviceByCode(ctx, r.Service)
	if err != nil {
		return inboxItem{}, err
	}
	reg, recs, err := s.allHolderRecords(ctx, h)
	if err != nil {
		return inboxItem{}, err
	}
	return s.inboxItemOf(reg, svc, r, recs, s.now()), nil
}

// decisionBody is the body of the decision endpoints: an approval's
// choice of credential per type (ID or code), optional where the holder
// has exactly one valid credential of the type.
type decisionBody struct {
	Credentials map[string]string `json:"credentials,omitempty"`
}

// decideRequest records h's decision on request id: approve (with the
// credential chosen for each type, by type ID or code), refuse or
// withdraw. It checks that each chosen credential is h's and valid; the
// contract checks the rest again. Pages call it as the API does.
func (s *Server) decideRequest(ctx context.Context, h credential.Holder, id string, action credential.DecisionAction, choices map[string]string) (inboxItem, error) {
	r, ref, err := s.holderRequest(ctx, h, id)
	if err != nil {
		return inboxItem{}, err
	}
	// Expired as the holder was shown it, by the gateway's clock; the
	// contract checks again by the transaction's.
	if action != credential.DecisionWithdraw && r.StatusAt(s.now()) == credential.RequestExpired {
		return inboxItem{}, credential.Errorf(credential.ReasonRequestExpired, "request %s expired at %s", r.ID, r.ExpiresAt.Format(time.RFC3339))
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return inboxItem{}, err
	}
	gov, err := governance(reg)
	if err != nil {
		return inboxItem{}, err
	}
	requester, ok := reg.Department(r.Requester)
	if !ok {
		return inboxItem{}, credential.Errorf(credential.ReasonRegistryChanged, "the requester %s left the registry", r.Requester)
	}
	d := credential.RequestDecision{ID: r.ID, Action: action, HolderRef: ref}
	if action == credential.DecisionApprove {
		if d.Credentials, err = s.chosenCredentials(ctx, h, r, choices); err != nil {
			return inboxItem{}, err
		}
	} else if len(choices) > 0 {
		return inboxItem{}, invalidFields([]FieldProblem{{Pointer: "#/credentials", Reason: string(credential.ReasonInvalidConsent), Detail: "only an approval names credentials"}})
	}
	out, err := s.ledger.DecideRequest(ctx, gov.MSPID, requester.MSPID, d)
	if err != nil {
		return inboxItem{}, err
	}
	s.log.Info("consent request decided", slog.String("request", out.ID), slog.String("service", out.Service),
		slog.String("decision", string(out.Status)))
	return s.holderViewOf(ctx, h, out)
}

// chosenCredentials resolves an approval's choices against the service
// item: one of h's valid credentials for every type it needs.
func (s *Server) chosenCredentials(ctx context.Context, h credential.Holder, r credential.ConsentRequest, choices map[string]string) ([]credential.ConsentCredential, error) {
	item, err := s.holderViewOf(ctx, h, r)
	if err != nil {
		return nil, err
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return nil, err
	}
	var probs fieldProblems
	used := map[string]bool{}
	var out []credential.ConsentCredential
	svc, err := s.serviceByCode(ctx, r.Service)
	if err != nil {
		return nil, err
	}
	if len(item.Needs) != len(svc.Credentials) {
		return nil, credential.Errorf(credential.ReasonInvalidService, "service %s names a type the registry lacks", svc.Code)
	}
	for _, n := range item.Needs {
		id, named := choices[n.Type.ID]
		key := n.Type.ID
		if !named {
			if id, named = choices[n.Type.Code]; named {
				key = n.Type.Code
			}
		}
		if !named {
			id = n.Chosen
		}
		used[key] = true
		ptr := "#/credentials/" + key
		if id == "" {
			probs.addReason(ptr, credential.ReasonInvalidConsent, "choose which of your credentials of type %s to disclose (you hold %d of that type)", n.Type.ID, len(n.Choices))
			continue
		}
		wc, err := s.holderCredential(ctx, h, id)
		if err != nil {
			return nil, err
		}
		if wc.Type == nil || wc.Type.ID != n.Type.ID {
			probs.addReason(ptr, credential.ReasonInvalidConsent, "credential %s is not of type %s", id, n.Type.ID)
			continue
		}
		if wc.Status != credential.StatusValid {
			return nil, credential.Errorf(credential.ReasonCredentialNotValid, "credential %s is %s", id, wc.Status)
		}
		fields, _ := svc.Needs(n.Type.ID)
		out = append(out, credential.ConsentCredential{Type: n.Type.ID, ID: id, Fields: fields})
	}
	for k := range choices {
		if t, ok := reg.Type(k); !ok || (!used[k] && !used[t.ID] && !used[t.Code]) {
			probs.addReason("#/credentials/"+k, credential.ReasonInvalidConsent, "service %s needs no credential of type %q", r.Service, truncate(k, 64))
		}
	}
	if len(probs) > 0 {
		return nil, invalidFields(probs)
	}
	return out, nil
}

func (s *Server) handleMyRequests(c *fiber.Ctx) error {
	h, err := s.signedInHolder(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	page, err := s.holderInbox(ctx, h, c.Query("after"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(page)
}

func (s *Server) handleMyRequest(c *fiber.Ctx) error {
	h, err := s.signedInHolder(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	it, err := s.holderRequestView(ctx, h, c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(it)
}

func (s *Server) handleDecide(action credential.DecisionAction) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h, err := s.signedInHolder(c)
		if err != nil {
			return err
		}
		var body decisionBody
		if len(bytes.TrimSpace(c.BodyRaw())) > 0 {
			if err := decodeJSON(c, &body); err != nil {
				return err
			}
		}
		ctx, cancel := s.requestContext(c)
		defer cancel()
		it, err := s.decideRequest(ctx, h, c.Params("id"), action, body.Credentials)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(it)
	}
}
