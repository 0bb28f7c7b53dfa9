package gateway_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
)

// unknownID is a well-formed identifier that was never issued.
func unknownID(t testing.TB, like string) string {
	t.Helper()
	id, err := credential.ParseIdentifier(like)
	if err != nil {
		t.Fatal(err)
	}
	id.Serial = "ZZZZZZZZZZZZZZZZ"
	return id.String()
}

func wrongCheck(id string) string {
	last := id[len(id)-1]
	if last == '0' {
		return id[:len(id)-1] + "1"
	}
	return id[:len(id)-1] + "0"
}

func TestCredentialAccess(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "访问控制有限公司")
	base := "/api/v1/credentials/"
	ops := []struct {
		name, method, suffix string
		body                 any
	}{
		{"read", "GET", "", nil},
		{"history", "GET", "/history", nil},
		{"qr", "GET", "/qr.png", nil},
		{"suspend", "POST", "/suspend", map[string]string{"reason": "越权暂扣"}},
		{"reinstate", "POST", "/reinstate", map[string]string{"reason": "越权发还"}},
		{"revoke", "POST", "/revoke", map[string]string{"reason": "越权吊销", "code": "penalty"}},
		{"rotate token", "POST", "/token/rotate", nil},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			cases := []struct {
				name, id, key string
				status        int
				detail        string
				reason        string
			}{
				{"another department", lic.ID, e.key("edu"), 403, "another department", "not_issuer"},
				{"governance department", lic.ID, e.key("gov"), 403, "another department", "not_issuer"},
				{"no API key", lic.ID, "", 401, "Bearer", "missing_api_key"},
				{"wrong check character", wrongCheck(lic.ID), e.key("samr"), 400, "check", "invalid_identifier"},
				{"not an identifier", "hello", e.key("samr"), 400, "identifier", "invalid_identifier"},
				{"unknown credential", unknownID(t, lic.ID), e.key("samr"), 404, "no", "credential_not_found"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					p := expectReason(t, e.do(t, op.method, base+tc.id+op.suffix, tc.key, op.body), tc.status, tc.reason)
					if !strings.Contains(strings.ToLower(p.Detail), strings.ToLower(tc.detail)) {
						t.Errorf("detail %q does not mention %q", p.Detail, tc.detail)
					}
				})
			}
		})
	}
	if v := e.verify(t, map[string]any{"document": lic.Document}); !v.Valid {
		t.Fatalf("forbidden calls changed the credential: %+v", v)
	}
	if h := e.history(t, lic.ID); len(h) != 1 {
		t.Fatalf("forbidden calls left history %+v", h)
	}
}

func (e *apiEnv) history(t testing.TB, id string) []credential.Change {
	t.Helper()
	r := e.do(t, "GET", "/api/v1/credentials/"+id+"/history", e.key("samr"), nil)
	var body struct {
		ID      string
		History []credential.Change
	}
	r.decode(t, &body)
	if r.Status != 200 || body.ID != id {
		t.Fatalf("history: %d %s", r.Status, r.Body)
	}
	return body.History
}

func TestLifecycle(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "生命周期有限公司")
	steps := []struct {
		action  string
		body    any
		status  int
		pointer string            // for 400s: the field named
		reason  string            // the problem's reason
		after   credential.Status // what verification says afterwards
	}{
		{"suspend", map[string]string{}, 400, "#/reason", "invalid_field", "valid"},
		{"suspend", nil, 400, "", "malformed_request", "valid"},
		{"suspend", map[string]string{"reason": "x", "code": "penalty"}, 400, "#/code", "invalid_field", "valid"},
		{"suspend", map[string]string{"reason": "涉嫌虚假登记，暂扣待查"}, 200, "", "", "suspended"},
		{"suspend", map[string]string{"reason": "again"}, 409, "", "already_suspended", "suspended"},
		{"reinstate", map[string]string{"reason": "核查无误，发还"}, 200, "", "", "valid"},
		{"reinstate", nil, 409, "", "not_suspended", "valid"},
		{"revoke", map[string]string{"reason": "bad code", "code": "nonsense"}, 400, "#/code", "invalid_field", "valid"},
		{"revoke", map[string]string{"reason": "no code"}, 400, "#/code", "invalid_field", "valid"},
		{"revoke", map[string]string{"code": "penalty"}, 400, "#/reason", "invalid_field", "valid"},
		{"revoke", map[string]any{"reason": "x", "code": "penalty", "extra": 1}, 400, "", "malformed_request", "valid"},
		{"revoke", map[string]string{"reason": "严重违法，吊销营业执照", "code": "penalty"}, 200, "", "", "revoked"},
		{"reinstate", map[string]string{"reason": "revoked is final"}, 409, "", "credential_revoked", "revoked"},
		{"revoke", map[string]string{"reason": "twice", "code": "revoked"}, 409, "", "credential_revoked", "revoked"},
	}
	for i, st := range steps {
		t.Run(fmt.Sprintf("%02d %s %d", i, st.action, st.status), func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/credentials/"+lic.ID+"/"+st.action, e.key("samr"), st.body)
			if st.status == 200 {
				var body struct{ Record credential.Record }
				r.decode(t, &body)
				if r.Status != 200 || body.Record.ID != lic.ID || body.Record.Status != st.after {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
			} else {
				p := expectReason(t, r, st.status, st.reason)
				if st.pointer != "" && (len(p.Errors) == 0 || p.Errors[0].Pointer != st.pointer) {
					t.Fatalf("errors %+v, want pointer %s", p.Errors, st.pointer)
				}
			}
			if v := e.verify(t, map[string]any{"document": lic.Document}); v.Status != st.after || v.Valid != (st.after == "valid") {
				t.Fatalf("verification after: %s valid=%v, want %s", v.Status, v.Valid, st.after)
			}
		})
	}
	h := e.history(t, lic.ID)
	want := []credential.Action{credential.ActionIssue, credential.ActionSuspend, credential.ActionReinstate, credential.ActionRevoke}
	if len(h) != len(want) {
		t.Fatalf("history %+v", h)
	}
	for i, c := range h {
		if c.Action != want[i] || c.Actor != "samr" || c.TxID == "" || c.Time.IsZero() {
			t.Errorf("history[%d] = %+v, want %s by samr", i, c, want[i])
		}
	}
	if h[1].Reason != "涉嫌虚假登记，暂扣待查" || h[3].Code != credential.RevokedPenalty {
		t.Errorf("reasons lost: %+v", h)
	}
	v := e.verify(t, map[string]any{"document": lic.Document})
	if c := v.check(credential.CheckStatus); c.OK || !strings.Contains(c.Detail, "吊销营业执照") || !strings.Contains(c.Detail, "penalty") {
		t.Errorf("status check %+v", c)
	}
}

// zbarDecode decodes a PNG with zbarimg, an independent decoder.
func zbarDecode(t *testing.T, png []byte) string {
	t.Helper()
	if _, err := exec.LookPath("zbarimg"); err != nil {
		t.Skip("zbarimg not installed (apt-get install zbar-tools); CI installs it")
	}
	cmd := exec.Command("zbarimg", "--quiet", "--raw", "-Sbinary", "-")
	cmd.Stdin = bytes.NewReader(png)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("zbarimg: %v: %s", err, errb.String())
	}
	return strings.TrimRight(out.String(), "\n")
}

func TestQRPNG(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "二维码有限公司")
	_, token, _ := credential.ParseVerifyURL(lic.VerifyURL)
	qrPath := relative(t, lic.QRURL)
	cases := []struct {
		name, path, key string
		status          int
		reason          string
	}{
		{"issuer", qrPath, e.key("samr"), 200, ""},
		{"issuer, large", qrPath + "?size=1024", e.key("samr"), 200, ""},
		{"holder of the token", qrPath + "?t=" + token, "", 200, ""},
		{"wrong token", qrPath + "?t=" + strings.Repeat("A", len(token)), "", 403, "invalid_token"},
		{"token of another credential", relative(t, e.mustIssue(t, "另一个有限公司").QRURL) + "?t=" + token, "", 403, "invalid_token"},
		{"nobody", qrPath, "", 401, "missing_api_key"},
		{"size too small", qrPath + "?size=20", e.key("samr"), 400, "invalid_request"},
		{"size not a number", qrPath + "?size=big", e.key("samr"), 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "GET", tc.path, tc.key, nil)
			if tc.status != 200 {
				expectReason(t, r, tc.status, tc.reason)
				return
			}
			if r.Status != 200 || r.Header.Get("Content-Type") != "image/png" || !strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
				t.Fatalf("%d %v", r.Status, r.Header)
			}
			if got := zbarDecode(t, r.Body); got != lic.VerifyURL {
				t.Fatalf("QR holds %q, want %q", got, lic.VerifyURL)
			}
		})
	}
	t.Run("scanned text verifies with disclosure", func(t *testing.T) {
		r := e.do(t, "GET", qrPath, e.key("samr"), nil)
		v := e.verify(t, map[string]string{"qr": zbarDecode(t, r.Body)})
		if !v.Valid || !v.Disclosed || v.Token != "valid" {
			t.Fatalf("%+v", v)
		}
	})
}
