package gateway

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/certledger/certledger/credential"
)

// pageMeta is what every page template needs besides its own content.
type pageMeta struct {
	L        catalog
	Title    string
	Page     string // body class: home, verify, console, error
	SwitchZh string // href of the language switch links
	SwitchEn string
	Scripts  []string // same-origin script URLs; pages never carry inline scripts
	NoIndex  bool
	// SameOriginReferrer relaxes the referrer policy from no-referrer to
	// same-origin on pages that post with the session cookie: under
	// no-referrer a browser sends "Origin: null", which the cross-site
	// check refuses. No other site learns more.
	SameOriginReferrer bool
}

// ReferrerPolicy is the page's referrer policy, sent as a header and a
// meta element.
func (m pageMeta) ReferrerPolicy() string {
	if m.SameOriginReferrer {
		return "same-origin"
	}
	return "no-referrer"
}

// tokenState says what the request's access token unlocked.
type tokenState int

const (
	tokenNone  tokenState = iota // no ?t=
	tokenValid                   // the token matches the identifier
	tokenWrong                   // a token was given but does not match
)

// statusView is how a status appears on the page: a tone that picks the
// colour, an icon, and words; colour is never the only signal.
type statusView struct {
	Code   string // machine name, also a data attribute for tests and styles
	Tone   string // ok, warn, bad, info, muted
	Icon   string // icon template name
	Title  string
	Detail string
	Reason string // the free-text reason, only for whoever holds the credential
	Since  string // date of the suspension or revocation
}

type fieldView struct {
	Label    string
	Value    string
	Mono     bool
	Withheld bool // a presentation does not disclose it; Value says so
}

type checkView struct {
	Name   string
	Label  string
	OK     bool
	Detail string
}

// verifyFacts is what the verification handler found out; buildVerifyView
// turns it into words without touching the ledger.
type verifyFacts struct {
	ID       string
	Registry credential.Registry
	Record   *credential.Record   // nil: the ledger has no such credential
	Status   credential.Status    // the verdict of the full verification
	Document *credential.Document // set only when the token matched, or presented by the visitor
	Checks   []credential.Check   // set with Document
	Token    tokenState
	// Presented: Document is a presentation or compact payload the visitor
	// pasted or uploaded, not the ledger's copy.
	Presented bool
	Now       time.Time
}

// verifyView is the verification page's template data.
type verifyView struct {
	pageMeta
	ID         string
	Status     statusView
	Found      bool
	TypeName   string
	IssuerName string
	Disclosed  bool
	Presented  bool
	TokenNote  string // "", "missing", "wrong" or "unavailable"
	// ForeignHost is the look-alike site a pasted or uploaded QR code
	// points at instead of OwnHost, this gateway.
	ForeignHost  string
	OwnHost      string
	HolderFields []fieldView
	Fields       []fieldView
	Checks       []checkView
	ValidFrom    string
	ValidUntil   string // "no expiry" in words when open-ended
	IssuedAt     string
	CheckedAt    string
	// Share is set on a share's page (/s/{id}).
	Share *shareNote
	// SupersededBy is the newer version a renewal or change replaced this
	// one with, and SupersededURL its page (decision 0017).
	SupersededBy  string
	SupersededURL string
}

// describeStatus words a status. rec supplies the reason and revocation
// code; it may be nil.
func describeStatus(L catalog, st credential.Status, rec *credential.Record, validFrom, validUntil time.Time) statusView {
	v := statusView{Code: string(st)}
	switch st {
	case credential.StatusValid:
		v.Tone, v.Icon = "ok", "icon-ok"
		v.Title, v.Detail = L.T("status.valid"), L.T("status.valid.desc")
	case credential.StatusSuspended:
		v.Tone, v.Icon = "warn", "icon-pause"
		v.Title, v.Detail = L.T("status.suspended"), L.T("status.suspended.desc")
	case credential.StatusRevoked:
		v.Tone, v.Icon = "bad", "icon-revoked"
		code := credential.RevokedWithdrawn
		if rec != nil && credential.ValidRevocationCode(rec.RevocationCode) {
			code = rec.RevocationCode
		}
		v.Code = "revoked-" + string(code)
		v.Title = L.T("status.revoked." + string(code))
		v.Detail = L.T("status.revoked." + string(code) + ".desc")
	case credential.StatusExpired:
		v.Tone, v.Icon = "muted", "icon-clock"
		v.Title, v.Detail = L.T("status.expired"), L.T("status.expired.desc", L.LastDay(validUntil))
	case credential.StatusNotYetValid:
		v.Tone, v.Icon = "info", "icon-clock"
		v.Title, v.Detail = L.T("status.not_yet_valid"), L.T("status.not_yet_valid.desc", L.From(validFrom))
	case credential.StatusSuperseded:
		v.Tone, v.Icon = "muted", "icon-clock"
		v.Title, v.Detail = L.T("status.superseded"), L.T("status.superseded.desc")
	case credential.StatusNotFound:
		v.Tone, v.Icon = "bad", "icon-alert"
		v.Title, v.Detail = L.T("status.not_found"), L.T("status.not_found.desc")
	case credential.StatusForged:
		v.Tone, v.Icon = "bad", "icon-alert"
		v.Title, v.Detail = L.T("status.forged"), L.T("status.forged.desc")
	default:
		v.Tone, v.Icon = "muted", "icon-alert"
		v.Title, v.Detail = L.T("status.unknown"), L.T("status.unknown.desc")
	}
	if rec != nil && (st == credential.StatusSuspended || st == credential.StatusRevoked) {
		v.Reason = rec.StatusReason
		if !rec.LastChange.Time.IsZero() {
			v.Since = L.Date(rec.LastChange.Time)
		}
	}
	return v
}

// validityText words a validity period; the end is its last day when the
// period runs to a midnight (see catalog.Until).
func validityText(L catalog, from, until time.Time) string {
	if until.IsZero() {
		return L.T("validity.open", L.From(from))
	}
	return L.T("validity.range", L.From(from), L.Until(until))
}

// maskIDNumber hides the middle of a personal identity number, as printed
// receipts in China do; the verifier compares the visible ends with the
// document shown in person. Organization codes (USCC) are public and stay
// whole.
func maskIDNumber(idType, n string) string {
	if idType == credential.IDUSCC || utf8.RuneCountInString(n) <= 6 {
		return n
	}
	r := []rune(n)
	keepHead, keepTail := 4, 4
	if len(r) < 12 {
		keepHead, keepTail = 2, 2
	}
	return string(r[:keepHead]) + strings.Repeat("*", len(r)-keepHead-keepTail) + string(r[len(r)-keepTail:])
}

// buildVerifyView turns verification facts into the page's words.
func buildVerifyView(L catalog, f verifyFacts) verifyView {
	v := verifyView{ID: f.ID, CheckedAt: L.Time(f.Now)}
	v.Title = L.T("verify.title")
	if f.Record == nil {
		v.Status = describeStatus(L, credential.StatusNotFound, nil, time.Time{}, time.Time{})
		return v
	}
	rec := f.Record
	v.Found = true
	t, _ := f.Registry.Type(rec.Type)
	dept, _ := f.Registry.Department(rec.Issuer)
	v.TypeName = L.Pick(t.NameZh, t.NameEn)
	if v.TypeName == "" {
		v.TypeName = rec.Type
	}
	v.IssuerName = L.Pick(dept.NameZh, dept.NameEn)
	if v.IssuerName == "" {
		v.IssuerName = rec.Issuer
	}
	v.ValidFrom, v.ValidUntil = L.From(rec.ValidFrom), L.Until(rec.ValidUntil)
	if rec.ValidUntil.IsZero() {
		v.ValidUntil = L.T("validity.none")
	}
	v.IssuedAt = L.Time(rec.IssuedAt)

	status := f.Status
	if status == "" {
		status = rec.EffectiveStatus(f.Now)
	}
	switch {
	case f.Token == tokenValid && f.Document != nil:
		v.Disclosed, v.Presented = true, f.Presented
		v.HolderFields, v.Fields = documentFields(L, t, f.Document)
		v.Checks = localizeChecks(L, f.Checks, rec, v.TypeName, v.IssuerName, f.Document.Proof.KeyID)
	case f.Token == tokenValid:
		v.TokenNote = "unavailable"
	case f.Token == tokenWrong:
		v.TokenNote = "wrong"
	default:
		v.TokenNote = "missing"
	}
	v.Status = describeStatus(L, status, rec, rec.ValidFrom, rec.ValidUntil)
	if rec.SupersededBy != "" {
		v.SupersededBy, v.SupersededURL = rec.SupersededBy, credential.VerifyURL("", rec.SupersededBy, "")
	}
	if status == credential.StatusValid && !(v.Disclosed && f.Document.Holder().Name != "") {
		// Without the holder's name a "valid" proves nothing about the person
		// showing this page: it may be someone else's credential.
		v.Status.Tone, v.Status.Icon = "info", "icon-registered"
		v.Status.Title, v.Status.Detail = L.T("status.registered"), L.T("status.registered.desc")
	}
	return v
}

// documentFields lists the holder and the type's fields in schema order,
// each under its label in the page language. For a presentation every field
// it withholds appears too, marked as not disclosed.
func documentFields(L catalog, t credential.CredentialType, d *credential.Document) (holder, fields []fieldView) {
	partial := d.IsPresentation()
	withheld := func(label string) fieldView {
		return fieldView{Label: label, Value: L.T("verify.notDisclosed"), Withheld: true}
	}
	h := d.Holder()
	for _, hc := range []struct {
		key, value string
		view       func() fieldView
	}{
		{"holder.name", h.Name, func() fieldView { return fieldView{Label: L.T("holder.name"), Value: h.Name} }},
		{"holder.idType", h.IDType, func() fieldView { return fieldView{Label: L.T("holder.idType"), Value: L.T("idtype." + h.IDType)} }},
		{"holder.idNumber", h.IDNumber, func() fieldView {
			return fieldView{Label: L.T("holder.idNumber"), Value: maskIDNumber(h.IDType, h.IDNumber), Mono: true}
		}},
	} {
		switch {
		case hc.value != "":
			holder = append(holder, hc.view())
		case partial:
			holder = append(holder, withheld(L.T(hc.key)))
		}
	}
	for _, spec := range t.Fields {
		c, ok := d.Claim(spec.Name)
		switch {
		case ok:
			fields = append(fields, fieldView{Label: L.Pick(spec.LabelZh, spec.LabelEn), Value: c.Value})
		case partial:
			fields = append(fields, withheld(L.Pick(spec.LabelZh, spec.LabelEn)))
		}
	}
	return holder, fields
}

// localizeChecks words the domain's checks in the page language. Passing
// checks get a sentence built from the record; failing ones the message of
// their reason, or the domain's own explanation for a reason the catalogue
// does not word.
func localizeChecks(L catalog, checks []credential.Check, rec *credential.Record, typeName, issuerName, keyID string) []checkView {
	out := make([]checkView, 0, len(checks))
	for _, c := range checks {
		cv := checkView{Name: c.Name, Label: L.T("check." + c.Name), OK: c.OK, Detail: c.Detail}
		switch {
		case c.Name == credential.CheckStatus:
			cv.Detail = L.T("check.status.is", L.T("recorded."+string(rec.Status)))
			if rec.Status == credential.StatusRevoked && credential.ValidRevocationCode(rec.RevocationCode) {
				cv.Detail = L.T("check.status.is", L.T("status.revoked."+string(rec.RevocationCode)))
			}
			if rec.Superseded() && rec.Status != credential.StatusRevoked {
				cv.Detail = L.T("check.status.is", L.T("status.superseded"))
			}
			if rec.StatusReason != "" && rec.Status != credential.StatusValid {
				cv.Detail += " — " + rec.StatusReason
			}
		case c.Name == credential.CheckValidity:
			cv.Detail = validityText(L, rec.ValidFrom, rec.ValidUntil)
		case !c.OK:
			if m, ok := L.Reason(string(c.Reason)); ok {
				cv.Detail = m
			}
		case c.Name == credential.CheckIntegrity:
			cv.Detail = L.T("check.integrity.ok")
		case c.Name == credential.CheckSignature:
			cv.Detail = L.T("check.signature.ok", issuerName, keyID)
		case c.Name == credential.CheckIssuer:
			cv.Detail = L.T("check.issuer.ok", issuerName, typeName)
		case c.Name == credential.CheckLedger:
			if rec.BlockNumber > 0 {
				cv.Detail = L.T("check.ledger.ok.block", rec.IssueTxID, rec.BlockNumber)
			} else {
				cv.Detail = L.T("check.ledger.ok", rec.IssueTxID)
			}
		}
		out = append(out, cv)
	}
	return out
}
