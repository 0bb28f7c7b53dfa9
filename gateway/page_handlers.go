package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"mime/multipart"
	"net/url"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/qrscan"
	"github.com/certledger/certledger/credential/verifier"
	"github.com/gofiber/fiber/v2"
)

// pageBackend is what the pages need from the gateway: the registry and
// the verification of a credential by identifier and access token. The
// Server provides it (see pages.go).
type pageBackend interface {
	pageRegistry(ctx context.Context) (credential.Registry, error)
	pageVerify(ctx context.Context, id, token string) (idVerification, error)
	// pageVerifyPresented verifies a document, presentation or compact
	// payload the visitor pasted or uploaded.
	pageVerifyPresented(ctx context.Context, doc *credential.Document) (verifyFacts, error)
	// pageLogError records what a page hid behind a friendly message.
	pageLogError(c *fiber.Ctx, msg string, err error)
	// pageQRHost names the host a verification URL points at, and whether
	// it is foreign to this deployment; pageOwnHost names this gateway's.
	pageQRHost(verifyURL string) (host string, foreign bool)
	pageOwnHost() string
	// pageSignInOn reports whether sign-in through an identity provider
	// is configured, for the console's staff sign-in button.
	pageSignInOn() bool
	// pageOpenShare opens a share for its reader, the opening recorded.
	pageOpenShare(ctx context.Context, id, by string) (openedShare, error)
}

// pages serves the HTML side of the gateway.
type pages struct {
	r       *renderer
	b       pageBackend
	qr      *qrDecoder // reads uploaded pictures, a bounded number at once
	apiDocs string     // URL of the API description, linked from every page
}

// lang picks the request's language and remembers an explicit choice in a
// cookie, so the switch holds while following links.
func (p *pages) lang(c *fiber.Ctx) catalog {
	q := normalizeLang(c.Query("lang"))
	if q != "" {
		c.Cookie(&fiber.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: fiber.CookieSameSiteLaxMode, HTTPOnly: true})
	}
	return p.r.catalog(pickLang(q, c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage)))
}

// meta fills the fields every page shares. switchBase is the URL the
// language links point at, without the lang parameter.
func (p *pages) meta(L catalog, page, title, switchBase string) pageMeta {
	sep := "?"
	if strings.Contains(switchBase, "?") {
		sep = "&"
	}
	return pageMeta{
		L: L, Title: title, Page: page,
		SwitchZh: switchBase + sep + "lang=zh",
		SwitchEn: switchBase + sep + "lang=en",
	}
}

func (p *pages) send(c *fiber.Ctx, status int, page string, data any) error {
	body, err := p.r.render(page, data)
	if err != nil {
		return err
	}
	setPageHeaders(c)
	if m, ok := data.(interface{ ReferrerPolicy() string }); ok {
		c.Set(fiber.HeaderReferrerPolicy, m.ReferrerPolicy())
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderVary, "Accept-Language, Cookie")
	return c.Status(status).Send(body)
}

// errorView is the data of the friendly error page.
type errorView struct {
	pageMeta
	Code    string
	Tone    string
	Kicker  string
	Heading string
	Message string
	Detail  string
}

// sendError renders the error page of kind; detail is what the page says
// about the error itself, in the page's language (see catalog.problemText).
func (p *pages) sendError(c *fiber.Ctx, L catalog, status int, kind, detail, switchBase string) error {
	v := errorView{
		pageMeta: p.meta(L, "error", L.T("error."+kind+".title"), switchBase),
		Code:     kind, Tone: "bad",
		Kicker:  L.T("error." + kind + ".kicker"),
		Heading: L.T("error." + kind + ".title"),
		Message: L.T("error." + kind + ".desc"),
		Detail:  detail,
	}
	if kind == "unavailable" || kind == "busy" {
		v.Tone = "muted"
	}
	v.NoIndex = true
	return p.send(c, status, "error", v)
}

// verify serves GET /v/:id, the page a phone opens from a credential's QR
// code. The token in ?t= is checked but never echoed into any other URL,
// header or log line; only the language switch links back to this same
// page with it.
func (p *pages) verify(c *fiber.Ctx) error {
	L := p.lang(c)
	raw := c.Params("id")
	id, err := url.PathUnescape(raw)
	if err != nil {
		id = raw
	}
	base := "/v/" + url.PathEscape(id)
	if _, err := credential.ParseIdentifier(id); err != nil {
		return p.sendError(c, L, fiber.StatusBadRequest, "badid", L.problemText(err, credential.ReasonInvalidIdentifier), base)
	}
	return p.showVerified(c, L, id, c.Query("t"), base, "")
}

// showVerified renders the verification of id. base is the page's own URL
// for the language switch ("" when the page answers a form and has none);
// foreignHost names the look-alike site a pasted or scanned QR pointed at.
func (p *pages) showVerified(c *fiber.Ctx, L catalog, id, token, base, foreignHost string) error {
	errBase := base
	if errBase == "" {
		errBase = "/"
	}
	res, err := p.b.pageVerify(c.UserContext(), id, token)
	if err != nil {
		if credential.ErrorCode(err) == credential.CodeInvalid {
			return p.sendError(c, L, fiber.StatusBadRequest, "badid", L.problemText(err, credential.ReasonInvalidIdentifier), errBase)
		}
		p.b.pageLogError(c, "verification page: ledger unavailable", err)
		return p.sendError(c, L, fiber.StatusServiceUnavailable, "unavailable", "", errBase)
	}
	facts := pageFacts(res)
	switchBase := errBase
	if base != "" && facts.Token == tokenValid {
		switchBase = base + "?t=" + url.QueryEscape(token)
	}
	v := buildVerifyView(L, facts)
	v.pageMeta = p.meta(L, "verify", L.T("verify.title"), switchBase)
	v.NoIndex = true
	if foreignHost != "" {
		v.ForeignHost, v.OwnHost = foreignHost, p.b.pageOwnHost()
	}
	status := fiber.StatusOK
	if facts.Record == nil {
		status = fiber.StatusNotFound
	}
	return p.send(c, status, "verify", v)
}

// pageFacts picks from a verification what the page may show: the
// document and the checks only when the token matched.
func pageFacts(v idVerification) verifyFacts {
	f := verifyFacts{ID: v.ID, Registry: v.Registry, Record: v.Record, Status: v.Result.Status, Now: v.Now}
	if v.Result.Record != nil {
		f.Record = v.Result.Record
	}
	switch v.Token {
	case tokValid:
		f.Token = tokenValid
		if v.Document != nil {
			f.Document, f.Checks = v.Document, v.Result.Checks
		}
	case tokInvalid:
		f.Token = tokenWrong
	}
	return f
}

// lookup serves POST /v, the home page's forms: an identifier or URL (redirected
// to its page), a CL1: payload or presentation JSON (shown at once), or a QR
// picture. A POST, so that tokens and personal data stay out of access logs.
func (p *pages) lookup(c *fiber.Ctx) error {
	L := p.lang(c)
	in := strings.TrimSpace(c.FormValue("id"))
	var picture []byte
	if fh, err := c.FormFile("qr"); err == nil {
		if picture, err = readUpload(fh); err != nil {
			return p.sendError(c, L, fiber.StatusBadRequest, "badqr", L.problemText(err, credential.ReasonInvalidQR), "/")
		}
	} else if qrscan.IsImage([]byte(in)) {
		// A picture sent as the text field takes the same bounded path.
		picture = []byte(in)
	}
	uploaded := picture != nil
	if uploaded {
		text, err := p.qr.read(c.UserContext(), picture)
		switch {
		case errors.Is(err, qrscan.ErrTooLarge):
			return p.sendError(c, L, fiber.StatusRequestEntityTooLarge, "bigqr", pictureSizeText(L, err), "/")
		case errors.Is(err, errDecodersBusy):
			c.Set(fiber.HeaderRetryAfter, "2")
			return p.sendError(c, L, fiber.StatusServiceUnavailable, "busy", "", "/")
		case err != nil:
			return p.sendError(c, L, fiber.StatusBadRequest, "badqr", L.problemText(err, credential.ReasonInvalidQR), "/")
		}
		in = strings.TrimSpace(text)
	}
	read, err := verifier.Read([]byte(in))
	if err != nil {
		kind, reason := "badid", credential.ReasonInvalidIdentifier
		if uploaded || credential.IsCompact(in) || strings.HasPrefix(in, "{") {
			kind, reason = "badqr", credential.ReasonInvalidQR
		}
		return p.sendError(c, L, fiber.StatusBadRequest, kind, L.problemText(err, reason), "/")
	}
	if read.Kind != verifier.KindReference {
		doc := read.Document
		if read.Kind == verifier.KindCompact {
			if doc, err = credential.DecodeCompact(read.Text); err != nil {
				return p.sendError(c, L, fiber.StatusBadRequest, "badqr", L.problemText(err, credential.ReasonInvalidQR), "/")
			}
		}
		return p.showPresented(c, L, doc)
	}
	id, token := read.Text, ""
	if !strings.HasPrefix(id, credential.IdentifierPrefix) {
		if id, token, err = credential.ParseVerifyURL(read.Text); err != nil {
			return p.sendError(c, L, fiber.StatusBadRequest, "badid", L.problemText(err, credential.ReasonInvalidQR), "/")
		}
	}
	if _, err := credential.ParseIdentifier(id); err != nil {
		return p.sendError(c, L, fiber.StatusBadRequest, "badid", L.problemText(err, credential.ReasonInvalidIdentifier), "/")
	}
	if host, foreign := p.b.pageQRHost(read.Text); foreign {
		// A redirect would forget where the QR code points; say it here.
		return p.showVerified(c, L, id, token, "", host)
	}
	target := "/v/" + url.PathEscape(id)
	if token != "" {
		target += "?t=" + url.QueryEscape(token)
	}
	setPageHeaders(c)
	return c.Redirect(target, fiber.StatusSeeOther)
}

// showPresented renders the verification of what the visitor presented:
// its disclosed fields, the withheld ones marked, and every check.
func (p *pages) showPresented(c *fiber.Ctx, L catalog, doc *credential.Document) error {
	facts, err := p.b.pageVerifyPresented(c.UserContext(), doc)
	if err != nil {
		p.b.pageLogError(c, "verification page: ledger unavailable", err)
		return p.sendError(c, L, fiber.StatusServiceUnavailable, "unavailable", "", "/")
	}
	v := buildVerifyView(L, facts)
	v.pageMeta = p.meta(L, "verify", L.T("verify.title"), "/")
	v.NoIndex = true
	status := fiber.StatusOK
	if facts.Record == nil {
		status = fiber.StatusNotFound
	}
	return p.send(c, status, "verify", v)
}

// pictureSizeText says how large a refused picture is, in the page's
// language.
func pictureSizeText(L catalog, err error) string {
	var se *qrscan.SizeError
	if errors.As(err, &se) {
		return L.T("error.bigqr.size", se.Width, se.Height)
	}
	return ""
}

// readUpload reads an uploaded file. The body limit (Config.UploadLimit)
// already bounds its size; this keeps a bound of its own.
func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, verifier.MaxInputSize))
}

// homeType is one catalogue entry on the home page.
type homeType struct {
	Name    string
	Issuers string
}

type homeView struct {
	pageMeta
	APIDocs string
	Types   []homeType
}

// home serves GET /.
func (p *pages) home(c *fiber.Ctx) error {
	L := p.lang(c)
	v := homeView{pageMeta: p.meta(L, "home", L.T("site.tagline"), "/"), APIDocs: p.apiDocs}
	// Its lookup forms post to /v, also for a signed-in citizen, whose
	// session cookie then needs the page's Origin to go along.
	v.SameOriginReferrer = true
	if reg, err := p.b.pageRegistry(c.UserContext()); err == nil {
		for _, t := range reg.Types {
			var names []string
			for _, id := range t.Issuers {
				if d, ok := reg.Department(id); ok {
					names = append(names, L.Pick(d.NameZh, d.NameEn))
				}
			}
			sep := ", "
			if L.Lang() == langZh {
				sep = "、"
			}
			v.Types = append(v.Types, homeType{Name: L.Pick(t.NameZh, t.NameEn), Issuers: strings.Join(names, sep)})
		}
	}
	return p.send(c, fiber.StatusOK, "home", v)
}

type consoleView struct {
	pageMeta
	// Messages is the catalog for console.js, emitted as a JSON data block
	// (never executed, so the CSP needs no inline-script exception).
	Messages template.JS
	// Settings is the deployment's time zone for console.js, in a JSON
	// data block of its own: the console states times in it, not in the
	// browser's.
	Settings template.JS
	// TimeZone names that zone for the form's hint.
	TimeZone string
	// StaffSignIn offers staff sign-in through the identity provider
	// beside the API key form, when one is configured.
	StaffSignIn bool
}

// consoleSettings is console.js's view of the deployment: the IANA name of
// its time zone, and the zone's offset now, for a browser that does not
// know the name.
type consoleSettings struct {
	TimeZone      string `json:"timeZone"`
	OffsetMinutes int    `json:"offsetMinutes"`
}

// console serves GET /console: a static shell that console.js drives
// through the REST API with the department's key.
func (p *pages) console(c *fiber.Ctx) error {
	L := p.lang(c)
	msgs, err := json.Marshal(L.msgs)
	if err != nil {
		return err
	}
	_, offset := time.Now().In(L.loc).Zone()
	settings, err := json.Marshal(consoleSettings{TimeZone: L.loc.String(), OffsetMinutes: offset / 60})
	if err != nil {
		return err
	}
	v := consoleView{pageMeta: p.meta(L, "console", L.T("console.title"), "/console"), Messages: template.JS(msgs),
		Settings: template.JS(settings), TimeZone: L.loc.String(), StaffSignIn: p.b.pageSignInOn()}
	js, err := p.r.assetURL("console.js")
	if err != nil {
		return err
	}
	v.Scripts = []string{js}
	v.NoIndex = true
	return p.send(c, fiber.StatusOK, "console", v)
}

// mount registers the page routes on r.
func (p *pages) mount(r fiber.Router) {
	r.Get("/", p.home)
	r.Get("/console", p.console)
	r.Post("/v", p.lookup)
	r.Get("/v", func(c *fiber.Ctx) error { return c.Redirect("/", fiber.StatusSeeOther) })
	r.Get("/v/:id", p.verify)
	r.Get("/assets/:name", p.r.serveAsset)
}
