package gateway

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// The holder's consent request pages (授权用证): the inbox at /me/requests
// and one request at /me/requests/{id}, which is also where a counter QR
// code leads. Decisions are plain form posts with the session, so the
// pages work without script (docs/decisions/0015-consent-requests.md).

// myRequestsView is the data of the inbox, and of one request (One set).
type myRequestsView struct {
	holderMeta
	Requests []requestCard
	One      bool
	Pending  int // pending requests on this page, for the inbox's heading
	Next     string
	First    string
	// Notice is the decision just recorded: "approved", "refused" or
	// "withdrawn". Problem is why a decision was refused, in the page
	// language.
	Notice  string
	Problem string
}

// requestCard is one request in the holder's words.
type requestCard struct {
	ID          string
	PageURL     string
	State       string // the request's status, or "ended" for an approval past its term
	StateLabel  string
	Tone        string
	Pending     bool
	Active      bool // the consent is in force: withdrawable
	DeptName    string
	DeptUSCC    string
	ServiceName string
	ServiceCode string
	Purpose     string
	Created     string
	Expires     string
	ExpiresISO  string
	TermDays    int
	Decided     string
	Until       string
	Withdrawn   string
	Reads       int
	LastRead    string
	Needs       []requestNeed
	// CanApprove: pending, and every type it needs has a valid credential
	// of the holder's to give.
	CanApprove     bool
	ApproveAction  string
	RefuseAction   string
	WithdrawAction string
}

// requestNeed is one credential type a request asks for: the labels of
// the fields it would receive, and the holder's valid credentials of
// that type to choose from (Given: the one approved).
type requestNeed struct {
	TypeID    string
	TypeName  string
	InputName string
	Fields    []string
	Choices   []requestChoice
	Given     *requestChoice
	Missing   bool // the holder has no valid credential of the type
}

// requestChoice is one of the holder's credentials on offer.
type requestChoice struct {
	ID       string
	InputID  string
	URL      string
	Issuer   string
	Validity string
	Checked  bool
}

// requestStateTones colours a request's state badge.
var requestStateTones = map[string]string{
	string(credential.RequestPending): "info", string(credential.RequestApproved): "ok",
	string(credential.RequestRefused): "muted", string(credential.RequestExpired): "muted",
	string(credential.RequestWithdrawn): "muted", "ended": "muted",
}

// requestNotices are the decisions the ?done= parameter may name.
var requestNotices = map[string]credential.RequestStatus{
	"approved": credential.RequestApproved, "refused": credential.RequestRefused, "withdrawn": credential.RequestWithdrawn,
}

// handleMyRequestsPage serves GET /me/requests: the holder's inbox,
// pending requests first (?after= the cursor of a following page).
func (s *Server) handleMyRequestsPage(c *fiber.Ctx) error {
	L := s.pages.lang(c)
	after := c.Query("after")
	base := "/me/requests"
	if after != "" {
		base += "?after=" + url.QueryEscape(after)
	}
	sess, err := s.currentSession(c)
	if err != nil {
		return s.signInFirst(c, L, err, base, c.OriginalURL())
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	page, err := s.holderInbox(ctx, sess.Holder, after)
	if err != nil {
		return s.holderPageError(c, L, err, base)
	}
	v := myRequestsView{holderMeta: s.pages.holderMeta(L, "merequests", L.T("myreq.list.title"), base, sess.Holder, "requests")}
	for _, it := range page.Items {
		card := requestCardOf(L, it)
		if card.Pending {
			v.Pending++
		}
		v.Requests = append(v.Requests, card)
	}
	if page.Next != "" {
		v.Next = "/me/requests?after=" + url.QueryEscape(page.Next)
	}
	if after != "" {
		v.First = "/me/requests"
	}
	return s.pages.send(c, fiber.StatusOK, "merequests", v)
}

// handleMyRequestPage serves GET /me/requests/{id}: one request, with the
// holder's credentials to choose from and the decision buttons while it
// is pending. ?done= names the decision just made, for the notice.
func (s *Server) handleMyRequestPage(c *fiber.Ctx) error {
	L := s.pages.lang(c)
	id := pathID(c)
	base := "/me/requests/" + url.PathEscape(id)
	sess, err := s.currentSession(c)
	if err != nil {
		return s.signInFirst(c, L, err, base, base)
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	it, err := s.holderRequestView(ctx, sess.Holder, id)
	if err != nil {
		return s.myRequestError(c, L, err, base)
	}
	v := s.oneRequestView(L, sess.Holder, it, base)
	if want, ok := requestNotices[c.Query("done")]; ok && it.Status == want {
		v.Notice = c.Query("done")
	}
	return s.pages.send(c, fiber.StatusOK, "merequests", v)
}

func (s *Server) oneRequestView(L catalog, h credential.Holder, it inboxItem, base string) myRequestsView {
	v := myRequestsView{holderMeta: s.pages.holderMeta(L, "merequests", L.T("myreq.one.title"), base, h, "requests"), One: true}
	v.Requests = []requestCard{requestCardOf(L, it)}
	return v
}

// handleDecideRequestPage serves POST /me/requests/{id}/approve, refuse
// and withdraw: the decision is recorded and the holder sent back to the
// request (303), which says so; a refused decision shows the request
// again with why.
func (s *Server) handleDecideRequestPage(action credential.DecisionAction) fiber.Handler {
	return func(c *fiber.Ctx) error {
		L := s.pages.lang(c)
		id := pathID(c)
		base := "/me/requests/" + url.PathEscape(id)
		sess, err := s.currentSession(c)
		if err != nil {
			return s.signInFirst(c, L, err, base, base)
		}
		var choices map[string]string
		if action == credential.DecisionApprove {
			choices = map[string]string{}
			for k, v := range c.Request().PostArgs().All() {
				if typ, ok := strings.CutPrefix(string(k), "cred."); ok && typ != "" {
					choices[typ] = string(v)
				}
			}
		}
		ctx, cancel := s.requestContext(c)
		defer cancel()
		it, err := s.decideRequest(ctx, sess.Holder, id, action, choices)
		if err == nil {
			return c.Redirect(base+"?done="+string(it.Status), fiber.StatusSeeOther)
		}
		// A choice the form cannot have made (none, or not of the type) is
		// a field problem; a decision the ledger refuses has its reason.
		var fields *apiError
		status, problem := fiber.StatusConflict, ""
		switch code := credential.ErrorCode(err); {
		case errors.As(err, &fields) && fields.kind.status == fiber.StatusBadRequest:
			status, problem = fiber.StatusBadRequest, L.T("myreq.problem.choice")
		case credential.ErrorReason(err) == credential.ReasonRequestNotFound || code == credential.CodeUnavailable || code == credential.CodeInternal:
			return s.myRequestError(c, L, err, base)
		case code == credential.CodeInvalid || code == credential.CodeNotFound:
			status, problem = fiber.StatusBadRequest, L.problemText(err, credential.ReasonInvalidRequest)
		default:
			problem = L.problemText(err, credential.ReasonInvalidRequest)
		}
		it, rerr := s.holderRequestView(ctx, sess.Holder, id)
		if rerr != nil {
			return s.myRequestError(c, L, rerr, base)
		}
		v := s.oneRequestView(L, sess.Holder, it, base)
		v.Problem = problem
		return s.pages.send(c, status, "merequests", v)
	}
}

// myRequestError answers a failed read of one request: another holder's,
// like an unknown or malformed identifier, is the same 404 page.
func (s *Server) myRequestError(c *fiber.Ctx, L catalog, err error, base string) error {
	if credential.ErrorReason(err) == credential.ReasonRequestNotFound {
		return s.pages.sendError(c, L, fiber.StatusNotFound, "myreq_notfound", "", base)
	}
	return s.holderPageError(c, L, err, base)
}

// requestCardOf words one request of the holder's inbox.
func requestCardOf(L catalog, it inboxItem) requestCard {
	esc := url.PathEscape(it.ID)
	state := string(it.Status)
	if it.Status == credential.RequestApproved && !it.ConsentActive {
		state = "ended"
	}
	card := requestCard{ID: it.ID, PageURL: "/me/requests/" + esc, State: state, StateLabel: L.T("myreq.state." + state),
		Tone: requestStateTones[state], Pending: it.Status == credential.RequestPending, Active: it.ConsentActive,
		ServiceName: L.Pick(it.Service.NameZh, it.Service.NameEn), ServiceCode: it.Service.Code, Purpose: it.Purpose,
		Created: L.Time(it.CreatedAt), Expires: L.Time(it.ExpiresAt), ExpiresISO: it.ExpiresAt.UTC().Format(time.RFC3339),
		TermDays: it.TermDays, Decided: L.Time(it.DecidedAt), Until: L.Time(it.ConsentUntil), Withdrawn: L.Time(it.WithdrawnAt),
		Reads: it.Reads, ApproveAction: "/me/requests/" + esc + "/approve", RefuseAction: "/me/requests/" + esc + "/refuse",
		WithdrawAction: "/me/requests/" + esc + "/withdraw"}
	if card.ServiceName == "" {
		card.ServiceName = it.Service.Code
	}
	if it.Requester != nil {
		card.DeptName, card.DeptUSCC = L.Pick(it.Requester.NameZh, it.Requester.NameEn), it.Requester.USCC
	}
	if n := len(it.RecentReads); n > 0 {
		card.LastRead = L.Time(it.RecentReads[n-1])
	}
	decided := !it.DecidedAt.IsZero()
	card.CanApprove = card.Pending
	for i, n := range it.Needs {
		need := requestNeed{TypeID: n.Type.ID, TypeName: L.Pick(n.Type.NameZh, n.Type.NameEn), InputName: "cred." + n.Type.ID}
		for _, f := range n.Fields {
			need.Fields = append(need.Fields, claimText(L, f))
		}
		for _, w := range n.Choices {
			ch := requestChoice{ID: w.ID, InputID: "cred-" + strconv.Itoa(i) + "-" + strconv.Itoa(len(need.Choices)),
				URL: "/me/credentials/" + url.PathEscape(w.ID), Validity: validityText(L, w.ValidFrom, w.ValidUntil), Checked: w.ID == n.Chosen}
			_, ch.Issuer = summaryNames(L, w)
			if decided {
				if w.ID == n.Chosen {
					given := ch
					need.Given = &given
				}
				continue
			}
			if w.Status == credential.StatusValid {
				need.Choices = append(need.Choices, ch)
			}
		}
		if decided && need.Given == nil && n.Chosen != "" {
			// Given, but no longer listed as the holder's: name it.
			need.Given = &requestChoice{ID: n.Chosen, URL: "/me/credentials/" + url.PathEscape(n.Chosen)}
		}
		need.Missing = !decided && len(need.Choices) == 0
		if need.Missing {
			card.CanApprove = false
		}
		card.Needs = append(card.Needs, need)
	}
	return card
}

// claimText labels a requested claim in the page language: the holder's
// claims as the credential's page names them, a type's field by its
// schema label, else its name.
func claimText(L catalog, f claimLabel) string {
	switch f.Name {
	case credential.ClaimHolderName, credential.ClaimHolderIDType, credential.ClaimHolderIDNumber:
		return L.T(f.Name)
	}
	if s := L.Pick(f.LabelZh, f.LabelEn); s != "" {
		return s
	}
	return f.Name
}
