package gateway

import (
	"net/url"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// mySharesView is the data of the holder's shares at /me/shares, and of
// one share at /me/shares/{id} (One set).
type mySharesView struct {
	holderMeta
	Shares []shareCard
	One    bool
	// Notice is a word on what the holder just did: "created" or
	// "withdrawn".
	Notice string
}

// shareCard is one share in the holder's words: never a field's value.
type shareCard struct {
	ID             string
	URL            string // the public link
	PageURL        string // its page here
	QRSrc          string // same-origin path of the link's QR code
	OfflineQR      string // the compact offline QR, holder session only
	OfflineName    string // its file name when downloaded
	WithdrawAction string
	CredentialURL  string
	TypeName       string
	IssuerName     string
	Fields         []string // labels of the chosen fields
	Purpose        string
	State          string
	StateLabel     string
	Tone           string
	Active         bool
	Created        string
	Expires        string
	ExpiresISO     string
	Withdrawn      string
	OpenCount      int
	LastOpened     string
	LastBy         string
}

// shareStateTones colours a share's state badge.
var shareStateTones = map[credential.ShareState]string{
	credential.ShareActive: "ok", credential.ShareExpired: "muted", credential.ShareWithdrawn: "muted",
}

// handleMySharesPage serves GET /me/shares: the holder's shares newest
// first, each with its state and openings, and a withdraw button while it
// is active. ?withdrawn= names a share just withdrawn, for the notice.
func (s *Server) handleMySharesPage(c *fiber.Ctx) error {
	L := s.pages.lang(c)
	base := "/me/shares"
	sess, err := s.currentSession(c)
	if err != nil {
		return s.signInFirst(c, L, err, base, c.OriginalURL())
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	shares, reg, err := s.holderShareRecords(ctx, sess.Holder)
	if err != nil {
		return s.holderPageError(c, L, err, base)
	}
	v := mySharesView{holderMeta: s.pages.holderMeta(L, "meshares", L.T("myshare.list.title"), base, sess.Holder, "shares")}
	now := s.now()
	withdrawn := c.Query("withdrawn")
	for _, sh := range shares {
		card := s.shareCardOf(L, reg, sh, now)
		if withdrawn != "" && sh.ID == withdrawn && card.State == string(credential.ShareWithdrawn) {
			v.Notice = "withdrawn"
		}
		v.Shares = append(v.Shares, card)
	}
	return s.pages.send(c, fiber.StatusOK, "meshares", v)
}

// handleMySharePage serves GET /me/shares/{id}: one of the holder's
// shares, where the form leads once it is created (?created=1).
func (s *Server) handleMySharePage(c *fiber.Ctx) error {
	L := s.pages.lang(c)
	id := pathID(c)
	base := "/me/shares/" + url.PathEscape(id)
	sess, err := s.currentSession(c)
	if err != nil {
		return s.signInFirst(c, L, err, base, base)
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	sh, reg, _, err := s.holdersShare(ctx, sess.Holder, id)
	if err != nil {
		return s.myShareError(c, L, err, base)
	}
	v := mySharesView{holderMeta: s.pages.holderMeta(L, "meshares", L.T("myshare.one.title"), base, sess.Holder, "shares"), One: true}
	v.Shares = []shareCard{s.shareCardOf(L, reg, sh, s.now())}
	if c.Query("created") != "" && v.Shares[0].Active {
		v.Notice = "created"
	}
	return s.pages.send(c, fiber.StatusOK, "meshares", v)
}

// handleWithdrawSharePage serves POST /me/shares/{id}/withdraw: the
// share is withdrawn and the holder sent back to the list (303), which
// says so.
func (s *Server) handleWithdrawSharePage(c *fiber.Ctx) error {
	L := s.pages.lang(c)
	id := pathID(c)
	sess, err := s.currentSession(c)
	if err != nil {
		return s.signInFirst(c, L, err, "/me/shares", "/me/shares")
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	if _, err := s.withdrawShare(ctx, sess.Holder, id); err != nil {
		return s.myShareError(c, L, err, "/me/shares")
	}
	return c.Redirect("/me/shares?withdrawn="+url.QueryEscape(id), fiber.StatusSeeOther)
}

// myShareError answers a failed read or withdrawal of one of the holder's
// shares: anyone else's share, like an unknown or malformed one, is the
// same 404 page; one kept by another department's gateway says so.
func (s *Server) myShareError(c *fiber.Ctx, L catalog, err error, base string) error {
	switch {
	case credential.ErrorReason(err) == credential.ReasonDocumentElsewhere:
		return s.pages.sendError(c, L, fiber.StatusConflict, "myshare_elsewhere", "", base)
	case credential.ErrorCode(err) == credential.CodeNotFound || credential.ErrorCode(err) == credential.CodeInvalid:
		return s.pages.sendError(c, L, fiber.StatusNotFound, "myshare_notfound", "", base)
	}
	return s.holderPageError(c, L, err, base)
}

// shareCardOf words one share; reg names its type, fields and the
// departments that opened it.
func (s *Server) shareCardOf(L catalog, reg credential.Registry, sh credential.Share, now time.Time) shareCard {
	esc := url.PathEscape(sh.ID)
	state := sh.State(now)
	card := shareCard{ID: sh.ID, URL: s.shareURL(sh.ID), PageURL: "/me/shares/" + esc, QRSrc: "/s/" + esc + "/qr.png",
		OfflineQR: "/api/v1/me/shares/" + esc + "/offline-qr.png", OfflineName: "share-offline-" + strings.ReplaceAll(sh.ID, ".", "-") + ".png",
		WithdrawAction: "/me/shares/" + esc + "/withdraw", CredentialURL: "/me/credentials/" + url.PathEscape(sh.Credential),
		Purpose: sh.Purpose, State: string(state), StateLabel: L.T("myshare.state." + string(state)), Tone: shareStateTones[state],
		Active: state == credential.ShareActive, Created: L.Time(sh.CreatedAt), Expires: L.Time(sh.ExpiresAt),
		ExpiresISO: sh.ExpiresAt.UTC().Format(time.RFC3339), Withdrawn: L.Time(sh.WithdrawnAt), OpenCount: sh.OpenCount,
		TypeName: sh.Credential, IssuerName: sh.Issuer}
	t, hasType := reg.Type(sh.Type)
	if hasType {
		card.TypeName = L.Pick(t.NameZh, t.NameEn)
	}
	if d, ok := reg.Department(sh.Issuer); ok {
		card.IssuerName = L.Pick(d.NameZh, d.NameEn)
	}
	for _, name := range sh.Fields {
		card.Fields = append(card.Fields, shareFieldLabel(L, t, name))
	}
	if n := len(sh.Openings); n > 0 {
		last := sh.Openings[n-1]
		card.LastOpened = L.Time(last.At)
		card.LastBy = last.By
		if d, ok := reg.Department(last.By); ok {
			card.LastBy = L.Pick(d.NameZh, d.NameEn)
		}
	}
	return card
}

// shareFieldLabel labels a claim name as the credential's page does; a
// field the type no longer has keeps its name.
func shareFieldLabel(L catalog, t credential.CredentialType, name string) string {
	switch name {
	case credential.ClaimHolderName, credential.ClaimHolderIDType, credential.ClaimHolderIDNumber:
		return L.T(name)
	}
	for _, spec := range t.Fields {
		if spec.Name == name {
			return L.Pick(spec.LabelZh, spec.LabelEn)
		}
	}
	return name
}
