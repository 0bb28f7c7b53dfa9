package gateway

import (
	"net/url"
	"strings"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// myCredentialView is the data of one of the holder's credentials in full
// at /me/credentials/{id}.
type myCredentialView struct {
	holderMeta
	ID         string
	TypeName   string
	IssuerName string
	Status     statusView
	Version    int
	ValidFrom  string
	ValidUntil string
	IssuedAt   string
	// Disclosed: this gateway read the document, so the fields, the QR
	// code, the verification link and sharing are there.
	Disclosed    bool
	HolderFields []fieldView
	Fields       []fieldView
	Checks       []checkView
	QRSrc        string // same-origin path of the QR code PNG, with the token
	VerifyURL    string
	ShareURL     string
	// Elsewhere: the issuing department's gateway holds the document;
	// IssuerGateway is this credential's page there, when configured.
	Elsewhere     bool
	IssuerGateway string
}

// handleMyCredentialPage serves GET /me/credentials/{id}: one of the
// signed-in holder's credentials in full. Anything that is not theirs,
// like an identifier that is no identifier, is the same 404 page.
func (s *Server) handleMyCredentialPage(c *fiber.Ctx) error {
	L := s.pages.lang(c)
	raw := c.Params("id")
	id, err := url.PathUnescape(raw)
	if err != nil {
		id = raw
	}
	base := "/me/credentials/" + url.PathEscape(id)
	sess, err := s.currentSession(c)
	if err != nil {
		return s.signInFirst(c, L, err, base, c.OriginalURL())
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	wc, err := s.holderCredential(ctx, sess.Holder, id)
	if err != nil {
		if credential.ErrorCode(err) == credential.CodeNotFound || credential.ErrorCode(err) == credential.CodeInvalid {
			return s.pages.sendError(c, L, fiber.StatusNotFound, "mine_notfound", "", base)
		}
		return s.holderPageError(c, L, err, base)
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return s.holderPageError(c, L, err, base)
	}
	v := s.myCredentialViewOf(L, reg, wc)
	v.holderMeta = s.pages.holderMeta(L, "mecredential", v.TypeName, base, sess.Holder, "credentials")
	return s.pages.send(c, fiber.StatusOK, "mecredential", v)
}

// myCredentialViewOf words the holder's credential; reg names its type's
// fields.
func (s *Server) myCredentialViewOf(L catalog, reg credential.Registry, wc walletCredential) myCredentialView {
	rec := wc.record
	v := myCredentialView{ID: wc.ID, Version: wc.Version, Elsewhere: wc.DocumentElsewhere,
		ValidFrom: L.From(wc.ValidFrom), ValidUntil: L.Until(wc.ValidUntil), IssuedAt: L.Time(wc.IssuedAt)}
	if wc.ValidUntil.IsZero() {
		v.ValidUntil = L.T("validity.none")
	}
	v.TypeName, v.IssuerName = summaryNames(L, wc.walletItem)
	v.Status = describeStatus(L, wc.Status, &rec, wc.ValidFrom, wc.ValidUntil)
	if wc.DocumentElsewhere && wc.IssuerGateway != "" {
		v.IssuerGateway = wc.IssuerGateway + "/me/credentials/" + url.PathEscape(wc.ID)
	}
	keyID := ""
	if wc.Document != nil {
		t, _ := reg.Type(wc.Document.Type)
		v.Disclosed = true
		v.HolderFields, v.Fields = documentFields(L, t, wc.Document)
		v.VerifyURL = wc.VerifyURL
		// Same origin, whatever host the public URL names: the page's
		// Content-Security-Policy loads images from this origin only.
		v.QRSrc = strings.TrimPrefix(wc.QRURL, s.cfg.PublicURL)
		v.ShareURL = "/me/credentials/" + url.PathEscape(wc.ID) + "/share"
		keyID = wc.Document.Proof.KeyID
	}
	if len(wc.Checks) > 0 {
		v.Checks = localizeChecks(L, wc.Checks, &rec, v.TypeName, v.IssuerName, keyID)
	}
	return v
}
