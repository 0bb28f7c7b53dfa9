package gateway

import (
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// holderArea is what every page of the signed-in holder shows on top: who
// is signed in (the ID number masked) and the area's navigation, with Nav
// naming the current item (credentials, shares, activity).
type holderArea struct {
	Name     string
	Initial  string // first character of the name, for the badge beside it
	IDType   string
	IDNumber string // masked
	Nav      string
}

func newHolderArea(L catalog, h credential.Holder, nav string) holderArea {
	a := holderArea{Name: h.Name, IDType: L.T("idtype." + h.IDType), IDNumber: maskIDNumber(h.IDType, h.IDNumber), Nav: nav}
	if r, _ := utf8.DecodeRuneInString(h.Name); r != utf8.RuneError {
		a.Initial = string(r)
	}
	return a
}

// holderMeta is what every signed-in holder page carries besides its own
// data: the page's metadata and the holder's header and navigation.
type holderMeta struct {
	pageMeta
	Holder holderArea
}

// holderMeta starts a page of the signed-in holder h, with nav the current
// item. It is never indexed and posts back with the session cookie (see
// SameOriginReferrer).
func (p *pages) holderMeta(L catalog, page, title, base string, h credential.Holder, nav string) holderMeta {
	m := p.meta(L, page, title, base)
	m.NoIndex, m.SameOriginReferrer = true, true
	return holderMeta{pageMeta: m, Holder: newHolderArea(L, h, nav)}
}

// meView is the data of the citizen's page at /me: the sign-in, or the
// holder's credentials a page at a time.
type meView struct {
	pageMeta
	SignInOn  bool   // citizen sign-in is configured
	SignInURL string // /me/login, with the page to come back to
	Expired   bool   // the request carried a session that no longer holds
	SignedIn  bool
	Holder    holderArea
	Until     string // the session's absolute end
	IdleMin   int    // minutes without use that end it
	Cards     []credCard
	Next      string // URL of the following page of cards, "" on the last
	First     string // URL of the first page, when this is a later one
}

// credCard is one credential in the holder's list: public record data
// only, the document stays on its own page.
type credCard struct {
	ID         string
	URL        string // its page here
	TypeName   string
	IssuerName string
	Status     statusView
	Validity   string
	Version    int
	// Elsewhere: this gateway does not read the document; IssuerGateway is
	// the credential's page on the issuing department's gateway, when the
	// deployment names one.
	Elsewhere     bool
	IssuerGateway string
}

// handleMePage serves GET /me: the signed-in holder's credentials
// (?after= the cursor of a following page), or the way to sign in.
func (s *Server) handleMePage(c *fiber.Ctx) error {
	L := s.pages.lang(c)
	after := c.Query("after")
	base := "/me"
	if after != "" {
		base += "?after=" + url.QueryEscape(after)
	}
	v := meView{pageMeta: s.pages.meta(L, "me", L.T("me.title"), base)}
	sess, err := s.currentSession(c)
	if err != nil {
		return s.signedOutPage(c, L, v, err, fiber.StatusOK)
	}
	v.NoIndex, v.SameOriginReferrer = true, true
	v.SignedIn = true
	v.Holder = newHolderArea(L, sess.Holder, "credentials")
	v.Until = L.Time(time.Unix(sess.IssuedAt, 0).Add(s.sessions.lifetime))
	v.IdleMin = int(s.sessions.idle / time.Minute)
	ctx, cancel := s.requestContext(c)
	defer cancel()
	page, err := s.holderCredentials(ctx, sess.Holder, after)
	if err != nil {
		return s.holderPageError(c, L, err, base)
	}
	for _, it := range page.Items {
		v.Cards = append(v.Cards, s.credCardOf(L, it))
	}
	if page.Next != "" {
		v.Next = "/me?after=" + url.QueryEscape(page.Next)
	}
	if after != "" {
		v.First = "/me"
	}
	return s.pages.send(c, fiber.StatusOK, "me", v)
}

// signedOutPage answers a holder page without a live session: the sign-in,
// which comes back to the page asked for, and a word when a session ended.
// err is why currentSession refused; anything but no session or an ended
// one is the gateway's own failure.
func (s *Server) signedOutPage(c *fiber.Ctx, L catalog, v meView, err error, status int) error {
	return s.signedOutPageTo(c, L, v, err, status, c.OriginalURL())
}

// signInFirst answers a holder page's request that has no session (err
// says why) with the sign-in page, leading back to next.
func (s *Server) signInFirst(c *fiber.Ctx, L catalog, err error, base, next string) error {
	v := meView{pageMeta: s.pages.meta(L, "me", L.T("me.title"), base)}
	return s.signedOutPageTo(c, L, v, err, fiber.StatusUnauthorized, next)
}

// signedOutPageTo is signedOutPage returning to next: a form post that
// found no session comes back to the page that shows the form.
func (s *Server) signedOutPageTo(c *fiber.Ctx, L catalog, v meView, err error, status int, next string) error {
	switch credential.ErrorReason(err) {
	case credential.ReasonSessionExpired:
		v.Expired = true
	case credential.ReasonNotSignedIn:
	default:
		return err
	}
	v.NoIndex, v.SameOriginReferrer = true, true
	v.SignedIn, v.SignInOn = false, s.rp != nil
	v.SignInURL = "/me/login"
	if safeNext(next) == next && next != defaultNext {
		v.SignInURL += "?next=" + url.QueryEscape(next)
	}
	return s.pages.send(c, status, "me", v)
}

// holderPageError answers a failed read of the holder's credentials with
// the error page: a bad page cursor, the ledger out of reach, or (returned
// as is, so it is logged) the gateway's own fault.
func (s *Server) holderPageError(c *fiber.Ctx, L catalog, err error, base string) error {
	switch credential.ErrorCode(err) {
	case credential.CodeInvalid:
		return s.pages.sendError(c, L, fiber.StatusBadRequest, "citizen", L.problemText(err, credential.ReasonInvalidRequest), base)
	case credential.CodeUnavailable:
		s.logError(c, "holder page: ledger unavailable", err)
		return s.pages.sendError(c, L, fiber.StatusServiceUnavailable, "mine_unavailable", "", base)
	}
	return err
}

func (s *Server) credCardOf(L catalog, it walletItem) credCard {
	card := credCard{ID: it.ID, URL: "/me/credentials/" + url.PathEscape(it.ID), Version: it.Version,
		Validity: validityText(L, it.ValidFrom, it.ValidUntil), Elsewhere: it.DocumentElsewhere}
	card.TypeName, card.IssuerName = summaryNames(L, it)
	card.Status = describeStatus(L, it.Status, nil, it.ValidFrom, it.ValidUntil)
	if it.Status == credential.StatusRevoked {
		// The list has no revocation code; the credential's page words it.
		card.Status.Title = L.T("me.status.revoked")
	}
	if it.DocumentElsewhere && it.IssuerGateway != "" {
		card.IssuerGateway = it.IssuerGateway + card.URL
	}
	return card
}

// summaryNames names a listed credential's type and issuer in the page
// language, falling back to the identifier for a type or department the
// registry no longer has.
func summaryNames(L catalog, it walletItem) (typeName, issuerName string) {
	typeName, issuerName = it.ID, it.ID
	if it.Type != nil {
		typeName = L.Pick(it.Type.NameZh, it.Type.NameEn)
	}
	if it.Issuer != nil {
		issuerName = L.Pick(it.Issuer.NameZh, it.Issuer.NameEn)
	}
	return typeName, issuerName
}

// handleSignOutPage serves GET /me/logout: a form that posts the sign-out,
// since a GET must change nothing.
func (s *Server) handleSignOutPage(c *fiber.Ctx) error {
	L := s.pages.lang(c)
	v := meView{pageMeta: s.pages.meta(L, "logout", L.T("logout.title"), "/me/logout"), SignInOn: s.rp != nil}
	v.NoIndex, v.SameOriginReferrer = true, true
	return s.pages.send(c, fiber.StatusOK, "logout", v)
}
