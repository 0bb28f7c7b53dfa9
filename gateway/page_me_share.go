package gateway

import (
	"net/url"
	"slices"
	"strconv"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// shareExpiries are the lifetimes the share form offers, in seconds: ten
// minutes (the default, for a link read at a counter) up to the longest a
// share may last.
var shareExpiries = []int64{600, 3600, 86400, 7 * 86400, 30 * 86400}

// shareFormView is the data of the share form at
// /me/credentials/{id}/share.
type shareFormView struct {
	holderMeta
	ID            string
	TypeName      string
	IssuerName    string
	CredentialURL string
	Action        string
	// Elsewhere: this gateway does not read the document, so it cannot
	// share it; IssuerGateway is the same form on the issuer's gateway.
	Elsewhere     bool
	IssuerGateway string
	Choices       []shareChoice
	Purpose       string
	MaxPurpose    int
	Expiries      []expiryChoice
	// Problems of a refused post, in the page language.
	FieldsProblem  string
	PurposeProblem string
	Problem        string
}

// shareChoice is one field the holder may tick: the claim name the share
// records, labelled and valued as the credential's page shows it.
type shareChoice struct {
	Name    string
	InputID string
	Label   string
	Value   string
	Mono    bool
	Checked bool
}

// expiryChoice is one lifetime on offer.
type expiryChoice struct {
	Seconds int64
	Label   string
	Checked bool
}

// shareForm is what a holder posted, or nothing on a first GET.
type shareForm struct {
	fields  []string
	purpose string
	expires int64
}

// handleShareFormPage serves GET /me/credentials/{id}/share: the form to
// share chosen fields of one of the holder's credentials. Nothing is
// ticked in advance, so every field shared is one the holder chose.
func (s *Server) handleShareFormPage(c *fiber.Ctx) error {
	return s.shareFormPage(c, nil)
}

// handleShareFormPost serves POST /me/credentials/{id}/share: the share is
// created and the holder sent to it (303), or the form comes back with
// what to correct (400).
func (s *Server) handleShareFormPost(c *fiber.Ctx) error {
	f := shareForm{purpose: c.FormValue("purpose")}
	for _, v := range c.Request().PostArgs().PeekMulti("field") {
		f.fields = append(f.fields, string(v))
	}
	if v := c.FormValue("expires"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			n = -1 // not a choice the form offers; refused below
		}
		f.expires = n
	}
	return s.shareFormPage(c, &f)
}

// shareFormPage reads the holder's credential and either shows the form
// (posted nil, or a post to correct) or creates the share.
func (s *Server) shareFormPage(c *fiber.Ctx, posted *shareForm) error {
	L := s.pages.lang(c)
	id := pathID(c)
	credURL := "/me/credentials/" + url.PathEscape(id)
	base := credURL + "/share"
	sess, err := s.currentSession(c)
	if err != nil {
		return s.signInFirst(c, L, err, base, base)
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	wc, err := s.holderCredential(ctx, sess.Holder, id)
	if err != nil {
		if code := credential.ErrorCode(err); code == credential.CodeNotFound || code == credential.CodeInvalid {
			return s.pages.sendError(c, L, fiber.StatusNotFound, "mine_notfound", "", base)
		}
		return s.holderPageError(c, L, err, base)
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return s.holderPageError(c, L, err, base)
	}
	v := shareFormView{ID: wc.ID, CredentialURL: credURL, Action: base, MaxPurpose: credential.MaxSharePurpose}
	v.holderMeta = s.pages.holderMeta(L, "meshare", L.T("myshare.form.title"), base, sess.Holder, "shares")
	v.TypeName, v.IssuerName = summaryNames(L, wc.walletItem)
	if wc.Document == nil {
		v.Elsewhere = true
		if wc.IssuerGateway != "" {
			v.IssuerGateway = wc.IssuerGateway + base
		}
		return s.pages.send(c, fiber.StatusOK, "meshare", v)
	}
	t, _ := reg.Type(wc.Document.Type)
	v.Choices = shareChoices(L, t, wc.Document)
	form := shareForm{expires: shareExpiries[0]}
	if posted != nil {
		form = *posted
		if form.expires == 0 {
			form.expires = shareExpiries[0]
		}
	}
	v.Purpose = form.purpose
	for i := range v.Choices {
		v.Choices[i].Checked = slices.Contains(form.fields, v.Choices[i].Name)
	}
	for _, sec := range shareExpiries {
		v.Expiries = append(v.Expiries, expiryChoice{Seconds: sec, Label: L.T("myshare.expiry." + strconv.FormatInt(sec, 10)), Checked: sec == form.expires})
	}
	if posted == nil {
		return s.pages.send(c, fiber.StatusOK, "meshare", v)
	}

	// The form's own words for what a holder can get wrong; the domain
	// checks everything again in createShare.
	switch {
	case len(form.fields) == 0:
		v.FieldsProblem = L.T("myshare.problem.nofield")
	case credential.CheckShareFields(wc.Document, form.fields) != nil:
		v.FieldsProblem = L.T("myshare.problem.field")
	}
	if credential.CheckSharePurpose(form.purpose) != nil {
		v.PurposeProblem = L.T("myshare.problem.purpose", credential.MaxSharePurpose)
	}
	if !slices.Contains(shareExpiries, form.expires) {
		v.Problem = L.T("myshare.problem.expiry")
	}
	if v.FieldsProblem != "" || v.PurposeProblem != "" || v.Problem != "" {
		return s.pages.send(c, fiber.StatusBadRequest, "meshare", v)
	}
	sh, err := s.createShare(ctx, sess.Holder, shareRequest{Credential: wc.ID, Fields: form.fields, Purpose: form.purpose, ExpiresIn: form.expires})
	if err != nil {
		switch credential.ErrorCode(err) {
		case credential.CodeInvalid:
			v.Problem = L.problemText(err, credential.ReasonInvalidRequest)
			return s.pages.send(c, fiber.StatusBadRequest, "meshare", v)
		case credential.CodeNotFound:
			return s.pages.sendError(c, L, fiber.StatusNotFound, "mine_notfound", "", base)
		}
		return s.holderPageError(c, L, err, base)
	}
	return c.Redirect("/me/shares/"+url.PathEscape(sh.ID)+"?created=1", fiber.StatusSeeOther)
}

// pathID is the :id path parameter, unescaped when it can be.
func pathID(c *fiber.Ctx) string {
	raw := c.Params("id")
	id, err := url.PathUnescape(raw)
	if err != nil {
		return raw
	}
	return id
}

// shareChoices lists the fields of d a share may disclose, holder claims
// first, in the order and with the labels and values of the credential's
// page (the ID number masked there, so here too).
func shareChoices(L catalog, t credential.CredentialType, d *credential.Document) []shareChoice {
	var out []shareChoice
	add := func(name, label, value string, mono bool) {
		if _, ok := d.Claim(name); ok {
			out = append(out, shareChoice{Name: name, InputID: "field-" + strconv.Itoa(len(out)), Label: label, Value: value, Mono: mono})
		}
	}
	h := d.Holder()
	add(credential.ClaimHolderName, L.T("holder.name"), h.Name, false)
	add(credential.ClaimHolderIDType, L.T("holder.idType"), L.T("idtype."+h.IDType), false)
	add(credential.ClaimHolderIDNumber, L.T("holder.idNumber"), maskIDNumber(h.IDType, h.IDNumber), true)
	for _, spec := range t.Fields {
		c, _ := d.Claim(spec.Name)
		add(spec.Name, L.Pick(spec.LabelZh, spec.LabelEn), c.Value, false)
	}
	return out
}
