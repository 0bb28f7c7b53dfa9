package gateway

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
)

// Page languages. Chinese is the default: the pages serve Chinese
// departments and citizens, and English is offered for everyone else.
const (
	langZh      = "zh"
	langEn      = "en"
	defaultLang = langZh
)

// langCookie remembers a language chosen with the switch, so following a
// link without ?lang= keeps it.
const langCookie = "certledger_lang"

// catalog holds one language's page strings, keyed by message name, and
// the deployment's time zone, in which every page states times.
type catalog struct {
	lang string
	msgs map[string]string
	loc  *time.Location
}

// T returns the message for key, formatted with args when given. A missing
// key shows as the key itself, which the catalog test forbids for shipped
// templates but which keeps a page readable instead of failing.
func (c catalog) T(key string, args ...any) string {
	m, ok := c.msgs[key]
	if !ok {
		m = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

// Lang is the catalog's language code (zh or en).
func (c catalog) Lang() string { return c.lang }

// HTMLLang is the value for the html lang attribute.
func (c catalog) HTMLLang() string {
	if c.lang == langZh {
		return "zh-CN"
	}
	return "en"
}

// Pick returns zh or en, whichever matches the catalog: the registry keeps
// both names for every department, type and field.
func (c catalog) Pick(zh, en string) string {
	if c.lang == langZh {
		return zh
	}
	return en
}

// Time formats an instant to the minute in the deployment's zone, naming
// the zone's offset ("UTC+8"), so the same instant is never ambiguous, in
// either language.
func (c catalog) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	l := t.In(c.loc)
	return l.Format("2006-01-02 15:04") + " (" + offsetName(l) + ")"
}

// Date formats the calendar day of an instant in the deployment's zone.
func (c catalog) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.loc).Format(time.DateOnly)
}

// From formats the start of a validity: the day alone when it starts at
// midnight, as one given as a plain date does.
func (c catalog) From(t time.Time) string {
	if !t.IsZero() && credential.IsMidnight(t, c.loc) {
		return c.Date(t)
	}
	return c.Time(t)
}

// Until formats the end of a validity: an end at midnight is shown as the
// day before, the last day it includes (有效期至 2027-12-31 ends as
// 2028-01-01 starts), as docs/api.md says a plain validUntil means.
func (c catalog) Until(t time.Time) string {
	if !t.IsZero() && credential.IsMidnight(t, c.loc) {
		return credential.LastDay(t, c.loc)
	}
	return c.Time(t)
}

// LastDay is the last calendar day a validity ending at until includes.
func (c catalog) LastDay(until time.Time) string {
	if until.IsZero() {
		return ""
	}
	return credential.LastDay(until, c.loc)
}

// offsetName names the zone offset of t: UTC, UTC+8, UTC-3:30.
func offsetName(t time.Time) string {
	_, off := t.Zone()
	if off == 0 {
		return "UTC"
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s := "UTC" + sign + strconv.Itoa(off/3600)
	if m := off % 3600 / 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
}

// loadCatalogs reads web/i18n/<lang>.json for every supported language,
// with the reason catalogue's messages in that language; the catalogs
// state times in loc.
func loadCatalogs(fsys fs.FS, loc *time.Location) (map[string]catalog, error) {
	reasons, err := loadReasonMessages(fsys)
	if err != nil {
		return nil, err
	}
	out := map[string]catalog{}
	for _, l := range []string{langZh, langEn} {
		b, err := fs.ReadFile(fsys, "web/i18n/"+l+".json")
		if err != nil {
			return nil, err
		}
		var msgs map[string]string
		if err := json.Unmarshal(b, &msgs); err != nil {
			return nil, fmt.Errorf("web/i18n/%s.json: %w", l, err)
		}
		addReasonMessages(msgs, reasons, l)
		out[l] = catalog{lang: l, msgs: msgs, loc: loc}
	}
	return out, nil
}

// normalizeLang maps a ?lang= value or cookie to a supported language, or ""
// when it names none.
func normalizeLang(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	switch {
	case v == "zh" || strings.HasPrefix(v, "zh-"):
		return langZh
	case v == "en" || strings.HasPrefix(v, "en-"):
		return langEn
	}
	return ""
}

// pickLang chooses the page language: an explicit ?lang= wins, then the
// cookie the switch set, then the browser's Accept-Language, then Chinese.
func pickLang(query, cookie, acceptLanguage string) string {
	if l := normalizeLang(query); l != "" {
		return l
	}
	if l := normalizeLang(cookie); l != "" {
		return l
	}
	if l := fromAcceptLanguage(acceptLanguage); l != "" {
		return l
	}
	return defaultLang
}

// fromAcceptLanguage returns the supported language with the highest
// quality in an Accept-Language header (RFC 9110 12.5.4); on equal quality
// the earlier one wins. "" when none is acceptable.
func fromAcceptLanguage(header string) string {
	best, bestQ := "", 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				q = f
			}
		}
		l := normalizeLang(tag)
		if l != "" && q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}
