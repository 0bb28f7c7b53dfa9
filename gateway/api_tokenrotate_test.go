package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
)

type rotateAnswer struct {
	ID        string            `json:"id"`
	VerifyURL string            `json:"verifyUrl"`
	QRURL     string            `json:"qrUrl"`
	Record    credential.Record `json:"record"`
}

func (e *apiEnv) rotate(t testing.TB, id string) rotateAnswer {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/credentials/"+id+"/token/rotate", e.key("samr"), nil)
	var out rotateAnswer
	r.decode(t, &out)
	if r.Status != http.StatusOK || out.ID != id {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	return out
}

func tokenOf(t testing.TB, verifyURL string) string {
	t.Helper()
	_, tok, err := credential.ParseVerifyURL(verifyURL)
	if err != nil || tok == "" {
		t.Fatalf("verify URL %q: token %q, %v", verifyURL, tok, err)
	}
	return tok
}

// TestRotateToken: after a rotation the old link shows no fields and the
// new one does; each link, the QR code and the VC export follow the
// record's current generation.
func TestRotateToken(t *testing.T) {
	e := newAPIEnv(t)
	const company = "令牌轮换有限公司"
	lic := e.mustIssue(t, company)
	tok0 := tokenOf(t, lic.VerifyURL)
	if lic.Record.TokenGeneration != 0 {
		t.Fatalf("a new credential is at generation %d", lic.Record.TokenGeneration)
	}

	first := e.rotate(t, lic.ID)
	tok1 := tokenOf(t, first.VerifyURL)
	if first.Record.TokenGeneration != 1 || tok1 == tok0 || first.QRURL != lic.QRURL {
		t.Fatalf("first rotation: %+v", first)
	}
	second := e.rotate(t, lic.ID)
	tok2 := tokenOf(t, second.VerifyURL)
	if second.Record.TokenGeneration != 2 || tok2 == tok1 || tok2 == tok0 {
		t.Fatalf("second rotation: %+v", second)
	}

	page := "/v/" + lic.ID + "?t="
	for _, tc := range []struct {
		name, token string
		fields      bool
	}{
		{"original token", tok0, false},
		{"previous token", tok1, false},
		{"current token", tok2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.pageGet(t, page+tc.token, "zh")
			if r.Status != 200 {
				t.Fatalf("page: %d", r.Status)
			}
			body := string(r.Body)
			if strings.Contains(body, company) != tc.fields || strings.Contains(body, `data-note="wrong"`) == tc.fields {
				t.Errorf("page with the %s: fields shown %v, want %v", tc.name, strings.Contains(body, company), tc.fields)
			}
			v := e.verify(t, map[string]any{"qr": publicURL + page + tc.token})
			if v.Disclosed != tc.fields || (tc.fields && v.Token != "valid") || (!tc.fields && v.Token != "invalid") {
				t.Errorf("API verification with the %s: token %q disclosed %v", tc.name, v.Token, v.Disclosed)
			}
			qr := e.do(t, "GET", relative(t, lic.QRURL)+"?t="+tc.token, "", nil)
			vcr := e.do(t, "GET", "/api/v1/credentials/"+lic.ID+"/vc?t="+tc.token, "", nil)
			if tc.fields {
				if qr.Status != 200 || vcr.Status != 200 {
					t.Errorf("QR %d, VC %d with the current token", qr.Status, vcr.Status)
				}
				return
			}
			expectReason(t, qr, 403, "invalid_token")
			expectReason(t, vcr, 403, "invalid_token")
		})
	}

	qr := e.do(t, "GET", relative(t, lic.QRURL), e.key("samr"), nil)
	if qr.Status != 200 {
		t.Fatalf("QR: %d", qr.Status)
	}
	if got := zbarDecode(t, qr.Body); got != second.VerifyURL {
		t.Errorf("the QR code carries %q, want the new link %q", got, second.VerifyURL)
	}
}

// TestRotateTokenHistoryAndRevoked: a rotation is its own history entry
// with the acting API key, keeps the status, and works after revocation.
func TestRotateTokenHistoryAndRevoked(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "轮换历史有限公司")
	e.pageChangeStatus(t, lic.ID, "revoke", map[string]string{"reason": "注销登记", "code": "cancelled"})
	rot := e.rotate(t, lic.ID)
	if rot.Record.Status != credential.StatusRevoked || rot.Record.RevocationCode != credential.RevokedCancelled {
		t.Fatalf("rotation changed the status: %+v", rot.Record)
	}
	h := e.history(t, lic.ID)
	if len(h) != 3 {
		t.Fatalf("history %+v", h)
	}
	last := h[2]
	if last.Action != credential.ActionRotateToken || last.Actor != "samr" || last.Status != credential.StatusRevoked ||
		last.APIKeyID == "" || last.APIKeyID != h[1].APIKeyID || last.TxID == "" || last.Reason != "" {
		t.Errorf("rotation entry %+v (revocation %+v)", last, h[1])
	}
	v := e.verify(t, map[string]any{"qr": rot.VerifyURL})
	if v.Status != credential.StatusRevoked || v.Token != "valid" {
		t.Errorf("the new link of a revoked credential: %s token %q", v.Status, v.Token)
	}
}
