package gateway_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	qrcode "github.com/skip2/go-qrcode"
)

type presentationAnswer struct {
	ID           string               `json:"id"`
	Format       string               `json:"format"`
	Presentation *credential.Document `json:"presentation"`
	Payload      string               `json:"payload"`
	QRURL        string               `json:"qrUrl"`
	QRNote       string               `json:"qrNote"`
}

func (e *apiEnv) present(t testing.TB, id string, body any) (presentationAnswer, apiResponse) {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/credentials/"+id+"/presentations", e.key("samr"), body)
	var out presentationAnswer
	if r.Status == http.StatusCreated {
		r.decode(t, &out)
	}
	return out, r
}

// qrDataPNG returns the PNG of a data: URL.
func qrDataPNG(t testing.TB, u string) []byte {
	t.Helper()
	b64, ok := strings.CutPrefix(u, "data:image/png;base64,")
	if !ok {
		t.Fatalf("qrUrl %.40q is not a PNG data URL", u)
	}
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return png
}

func TestPresentationJSON(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "选择性披露有限公司")
	p, r := e.present(t, lic.ID, map[string]any{"fields": []string{"companyName", "holder.idNumber"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	doc := p.Presentation
	if p.Format != "json" || doc == nil || len(doc.Claims) != 2 || len(doc.Hidden) != len(lic.Document.Claims)-2 || doc.Proof != lic.Document.Proof {
		t.Fatalf("presentation %+v", p)
	}
	if r.Header.Get("Cache-Control") != "no-store" || p.QRURL == "" {
		t.Fatalf("headers %v, qrUrl %q", r.Header, p.QRURL)
	}

	v := e.verify(t, map[string]any{"presentation": doc})
	if !v.Valid || v.Status != credential.StatusValid {
		t.Fatalf("presentation does not verify: %+v", v)
	}
	var names []string
	for _, f := range v.Fields {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "holder.idNumber,companyName" {
		t.Errorf("disclosed fields %v", names)
	}

	t.Run("altered disclosed field", func(t *testing.T) {
		bad := *doc
		bad.Claims = append([]credential.Claim(nil), doc.Claims...)
		bad.Claims[1].Value = "冒名有限公司"
		v := e.verify(t, map[string]any{"presentation": &bad})
		if v.Valid || v.Status != credential.StatusForged || v.check(credential.CheckIntegrity).OK {
			t.Fatalf("%+v", v)
		}
	})
	t.Run("swapped hidden commitment", func(t *testing.T) {
		other := e.mustIssue(t, "另一家有限公司")
		op, _ := e.present(t, other.ID, map[string]any{"fields": []string{"companyName", "holder.idNumber"}})
		bad := *doc
		bad.Hidden = append([]string(nil), doc.Hidden...)
		bad.Hidden[0] = op.Presentation.Hidden[0]
		v := e.verify(t, map[string]any{"presentation": &bad})
		if v.Valid || v.check(credential.CheckIntegrity).OK {
			t.Fatalf("%+v", v)
		}
	})
}

func TestPresentationCompact(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "离线核验有限公司")
	p, r := e.present(t, lic.ID, map[string]any{"fields": []string{"companyName", "holder.idNumber"}, "format": "compact"})
	if r.Status != http.StatusCreated {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if !strings.HasPrefix(p.Payload, credential.CompactPrefix) || p.Presentation != nil {
		t.Fatalf("answer %+v", p)
	}
	png := qrDataPNG(t, p.QRURL)
	t.Run("QR in alphanumeric mode at level Q", func(t *testing.T) {
		// Byte mode holds at most 715 characters in a version 25 symbol at
		// level Q; alphanumeric mode 1041. A longer payload in version 25
		// or lower can only be alphanumeric.
		q, err := qrcode.New(p.Payload, qrcode.High)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Payload) <= 715 || q.VersionNumber > 25 {
			t.Fatalf("payload of %d characters in QR version %d", len(p.Payload), q.VersionNumber)
		}
	})
	t.Run("zbarimg reads the payload", func(t *testing.T) {
		if got := zbarDecode(t, png); got != p.Payload {
			t.Fatalf("QR holds %q, want %q", got, p.Payload)
		}
	})
	v := e.verify(t, map[string]any{"qr": p.Payload})
	if !v.Valid || v.Status != credential.StatusValid || len(v.Fields) != 2 || len(v.Withheld) == 0 {
		t.Fatalf("compact payload: %+v", v)
	}

	t.Run("flipped character", func(t *testing.T) {
		b := []byte(p.Payload)
		i := len(b) / 2
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		r := e.do(t, "POST", "/api/v1/verify", "", map[string]string{"qr": string(b)})
		if r.Status == http.StatusOK {
			var v verifyAnswer
			r.decode(t, &v)
			if v.Valid {
				t.Fatalf("altered payload verifies: %+v", v)
			}
			return
		}
		expectProblem(t, r, http.StatusBadRequest)
	})
	t.Run("revoked", func(t *testing.T) {
		r := e.do(t, "POST", "/api/v1/credentials/"+lic.ID+"/revoke", e.key("samr"), map[string]string{"reason": "注销", "code": "cancelled"})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		v := e.verify(t, map[string]any{"qr": p.Payload})
		if v.Valid || v.Status != credential.StatusRevoked {
			t.Fatalf("%+v", v)
		}
	})
}

func TestPresentationRefusals(t *testing.T) {
	e := newAPIEnv(t)
	body := licenceBody("超长经营范围有限公司")
	body["fields"].(map[string]any)["businessScope"] = strings.Repeat("软件开发；信息技术咨询服务；数据处理和存储支持服务；", 8)
	lic, r := e.issue(t, "samr", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	all := []string{}
	for _, c := range lic.Document.Claims {
		all = append(all, c.Name)
	}
	t.Run("over the QR budget", func(t *testing.T) {
		_, r := e.present(t, lic.ID, map[string]any{"fields": all, "format": "compact"})
		p := expectProblem(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(p.Detail, "disclose fewer fields") || !strings.Contains(p.Detail, "by-reference QR") {
			t.Fatalf("detail %q", p.Detail)
		}
	})
	t.Run("json over the QR budget has no qrUrl", func(t *testing.T) {
		p, r := e.present(t, lic.ID, map[string]any{"fields": all})
		if r.Status != http.StatusCreated || p.QRURL != "" || !strings.Contains(p.QRNote, "by-reference QR") {
			t.Fatalf("%d %+v", r.Status, p)
		}
	})
	cases := []struct {
		name   string
		key    string
		body   any
		status int
	}{
		{"unknown field", e.key("samr"), map[string]any{"fields": []string{"shoeSize"}}, 400},
		{"field named twice", e.key("samr"), map[string]any{"fields": []string{"companyName", "companyName"}}, 400},
		{"no fields member", e.key("samr"), map[string]any{"format": "json"}, 400},
		{"unknown format", e.key("samr"), map[string]any{"fields": []string{}, "format": "pdf"}, 400},
		{"another department", e.key("edu"), map[string]any{"fields": []string{}}, 403},
		{"no API key", "", map[string]any{"fields": []string{}}, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/credentials/"+lic.ID+"/presentations", tc.key, tc.body)
			expectProblem(t, r, tc.status)
		})
	}
}
