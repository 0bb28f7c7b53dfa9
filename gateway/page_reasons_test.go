package gateway_test

import (
	"bytes"
	"encoding/json"
	"html"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
)

// reasonText is the catalogue's message for a reason in lang (zh or en);
// field asks for the form worded next to a form field.
func reasonText(t testing.TB, reason credential.Reason, lang string, field bool) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("web", "i18n", "reasons.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]map[string]string
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	key := lang
	if field {
		key += "Field"
	}
	m := all[string(reason)][key]
	if m == "" {
		t.Fatalf("the catalogue has no %s for %s", key, reason)
	}
	return m
}

// postPage sends the home page's form, text or picture, in a language.
func (e *apiEnv) postPage(t *testing.T, acceptLanguage, text string, picture []byte) apiResponse {
	t.Helper()
	if picture == nil {
		return e.do(t, "POST", "/v", "", "id="+url.QueryEscape(text), "Content-Type", "application/x-www-form-urlencoded", "Accept-Language", acceptLanguage)
	}
	var body bytes.Buffer
	body.WriteString("--b\r\nContent-Disposition: form-data; name=\"qr\"; filename=\"qr.png\"\r\nContent-Type: image/png\r\n\r\n")
	body.Write(picture)
	body.WriteString("\r\n--b--\r\n")
	return e.do(t, "POST", "/v", "", body.Bytes(), "Content-Type", "multipart/form-data; boundary=b", "Accept-Language", acceptLanguage)
}

// A problem on a Chinese page is worded in Chinese from its reason: the
// domain's English explanation does not appear. The English page words
// the same reason from the catalogue too.
func TestPagesWordProblemsByReason(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "页面原因有限公司")
	p, _ := e.present(t, lic.ID, map[string]any{"fields": []string{"companyName"}})
	for i, c := range p.Presentation.Claims {
		if c.Name == "companyName" {
			p.Presentation.Claims[i].Value = "冒名顶替有限公司"
		}
	}
	altered, err := json.Marshal(p.Presentation)
	if err != nil {
		t.Fatal(err)
	}
	var blank, big bytes.Buffer
	png.Encode(&blank, blankImage(200))
	png.Encode(&big, blankImage(4096))

	cases := []struct {
		name    string
		lang    string
		send    func(lang string) apiResponse
		status  int
		want    []string
		english []string // the domain's or the decoder's English, never on the page
	}{
		{"identifier with a wrong check character", "zh-CN,zh;q=0.9",
			func(l string) apiResponse { return e.pageGet(t, "/v/"+url.PathEscape(pageWrongCheck(lic.ID)), l) },
			http.StatusBadRequest, []string{"证照标识无效", reasonText(t, credential.ReasonInvalidIdentifier, "zh", false)},
			[]string{"check character"}},
		{"pasted text that is no identifier", "zh",
			func(l string) apiResponse { return e.postPage(t, l, "hello", nil) },
			http.StatusBadRequest, []string{reasonText(t, credential.ReasonInvalidIdentifier, "zh", false)},
			[]string{"not a credential identifier"}},
		{"picture without a QR code", "zh",
			func(l string) apiResponse { return e.postPage(t, l, "", blank.Bytes()) },
			http.StatusBadRequest, []string{"未识别到证照二维码", reasonText(t, credential.ReasonInvalidQR, "zh", false)},
			[]string{"no readable QR code"}},
		{"picture over the pixel cap", "zh",
			func(l string) apiResponse { return e.postPage(t, l, "", big.Bytes()) },
			http.StatusRequestEntityTooLarge, []string{"图片过大", "4096×4096 像素"},
			[]string{"too many pixels", "megapixels"}},
		{"altered presentation", "zh",
			func(l string) apiResponse { return e.postPage(t, l, string(altered), nil) },
			http.StatusOK, []string{`data-status="forged"`, "未通过", reasonText(t, credential.ReasonInvalidSignature, "zh", false)},
			[]string{"does not match its digest", "altered"}},
		{"altered presentation in English", "en",
			func(l string) apiResponse { return e.postPage(t, l, string(altered), nil) },
			http.StatusOK, []string{`data-status="forged"`, reasonText(t, credential.ReasonInvalidSignature, "en", false)},
			[]string{"does not match its digest"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.send(tc.lang)
			page := html.UnescapeString(string(r.Body))
			if r.Status != tc.status || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("%d %s\n%s", r.Status, r.Header.Get("Content-Type"), page)
			}
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			for _, en := range tc.english {
				if strings.Contains(page, en) {
					t.Errorf("the page shows %q", en)
				}
			}
		})
	}
}
