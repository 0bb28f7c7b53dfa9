package gateway

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	cats, err := loadCatalogs(webFS, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	zh, en := slices.Sorted(maps.Keys(cats[langZh].msgs)), slices.Sorted(maps.Keys(cats[langEn].msgs))
	if strings.Join(zh, "\n") != strings.Join(en, "\n") {
		t.Fatalf("zh and en catalogs differ:\nzh: %v\nen: %v", zh, en)
	}
	for _, k := range zh {
		if strings.TrimSpace(cats[langZh].msgs[k]) == "" || strings.TrimSpace(cats[langEn].msgs[k]) == "" {
			t.Errorf("message %s is empty", k)
		}
		if strings.Count(cats[langZh].msgs[k], "%") != strings.Count(cats[langEn].msgs[k], "%") {
			t.Errorf("message %s has different placeholders in zh and en", k)
		}
	}
}

// TestTemplatesAndScriptUseKnownKeys catches a typo in a message key, which
// would otherwise show the raw key on a page.
func TestTemplatesAndScriptUseKnownKeys(t *testing.T) {
	cats, err := loadCatalogs(webFS, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	patterns := map[string]*regexp.Regexp{
		"web/templates/": regexp.MustCompile(`\.L\.T "([a-zA-Z0-9_.]+)"`),
		"web/static/":    regexp.MustCompile(`\bt\("([a-zA-Z0-9_.]+)"`),
	}
	found := 0
	for dir, re := range patterns {
		entries, err := webFS.ReadDir(strings.TrimSuffix(dir, "/"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := webFS.ReadFile(dir + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				if strings.HasSuffix(m[1], ".") {
					continue // a prefix completed at run time; the page tests cover those
				}
				found++
				if _, ok := cats[langZh].msgs[m[1]]; !ok {
					t.Errorf("%s%s uses unknown message %q", dir, e.Name(), m[1])
				}
			}
		}
	}
	if found < 50 {
		t.Fatalf("found only %d message uses; the patterns no longer match the sources", found)
	}
}

func TestPickLang(t *testing.T) {
	cases := []struct {
		name, query, cookie, accept, want string
	}{
		{"default is Chinese", "", "", "", langZh},
		{"browser prefers English", "", "", "en-US,en;q=0.9", langEn},
		{"browser prefers Chinese", "", "", "zh-CN,zh;q=0.9,en;q=0.8", langZh},
		{"quality decides", "", "", "en;q=0.5, zh-TW;q=0.8", langZh},
		{"unsupported languages fall back", "", "", "fr-FR, de;q=0.9", langZh},
		{"unsupported first, English later", "", "", "fr, en;q=0.4", langEn},
		{"q=0 refuses", "", "", "en;q=0, fr", langZh},
		{"cookie beats browser", "", "en", "zh-CN", langEn},
		{"query beats cookie", "zh", "en", "en", langZh},
		{"garbage query is ignored", "xx", "", "en", langEn},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pickLang(tc.query, tc.cookie, tc.accept); got != tc.want {
				t.Fatalf("pickLang(%q, %q, %q) = %q, want %q", tc.query, tc.cookie, tc.accept, got, tc.want)
			}
		})
	}
}

func TestMaskIDNumber(t *testing.T) {
	cases := []struct{ idType, in, want string }{
		{credential.IDResidentCard, "11010519491231002X", "1101**********002X"},
		{credential.IDPassport, "E12345678", "E1*****78"},
		{credential.IDUSCC, "91350100M000100Y43", "91350100M000100Y43"},
		{credential.IDOther, "AB12", "AB12"},
	}
	for _, tc := range cases {
		if got := maskIDNumber(tc.idType, tc.in); got != tc.want {
			t.Errorf("maskIDNumber(%s, %s) = %s, want %s", tc.idType, tc.in, got, tc.want)
		}
	}
}

// Both languages state times in the deployment's zone, naming its offset;
// a validity bound at midnight there is a day, and an end at midnight is
// shown as the last day it includes.
func TestTimesAreInTheDeploymentZone(t *testing.T) {
	at := time.Date(2026, 11, 25, 20, 40, 0, 0, time.UTC)
	midnight := time.Date(2028, 1, 1, 0, 0, 0, 0, shanghai(t))
	cases := []struct {
		zone        string
		time, date  string
		from, until string // of midnight
	}{
		{"Asia/Shanghai", "2026-11-26 04:40 (UTC+8)", "2026-11-26", "2028-01-01", "2027-12-31"},
		{"UTC", "2026-11-25 20:40 (UTC)", "2026-11-25", "2027-12-31 16:00 (UTC)", "2027-12-31 16:00 (UTC)"},
		{"America/St_Johns", "2026-11-25 17:10 (UTC-3:30)", "2026-11-25", "2027-12-31 12:30 (UTC-3:30)", "2027-12-31 12:30 (UTC-3:30)"},
	}
	for _, c := range cases {
		loc, err := LoadTimeZone(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		cats, err := loadCatalogs(webFS, loc)
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range []string{langZh, langEn} {
			L := cats[lang]
			for _, g := range []struct{ what, got, want string }{
				{"Time", L.Time(at), c.time}, {"Date", L.Date(at), c.date},
				{"From", L.From(midnight), c.from}, {"Until", L.Until(midnight), c.until},
				{"zero Time", L.Time(time.Time{}), ""}, {"zero Until", L.Until(time.Time{}), ""},
			} {
				if g.got != g.want {
					t.Errorf("%s %s: %s = %q, want %q", c.zone, lang, g.what, g.got, g.want)
				}
			}
		}
	}
}

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := LoadTimeZone("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestBuildVerifyViewNotYetValid(t *testing.T) {
	cats, err := loadCatalogs(webFS, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := credential.Record{ID: "x", Status: credential.StatusValid, ValidFrom: now.AddDate(0, 1, 0)}
	v := buildVerifyView(cats[langEn], verifyFacts{ID: "x", Record: &rec, Now: now})
	if v.Status.Code != string(credential.StatusNotYetValid) || !strings.Contains(v.Status.Detail, "2026-02-01") || v.Status.Tone != "info" {
		t.Fatalf("not-yet-valid view: %+v", v.Status)
	}
}
