package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
)

func TestVerify(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "核验测试有限公司")
	revoked := e.mustIssue(t, "已吊销有限公司")
	if r := e.do(t, "POST", "/api/v1/credentials/"+revoked.ID+"/revoke", e.key("samr"), map[string]string{"reason": "吊销", "code": "penalty"}); r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	_, token, _ := credential.ParseVerifyURL(lic.VerifyURL)
	tampered := lic.Document
	tampered.Claims = append([]credential.Claim(nil), lic.Document.Claims...)
	for i := range tampered.Claims {
		if tampered.Claims[i].Name == "registeredCapital" {
			tampered.Claims[i].Value = "5000"
		}
	}
	unsigned := lic.Document
	unsigned.Proof.Signature = strings.Repeat("A", 86)
	garbageID := lic.Document
	garbageID.ID = "not-an-identifier"
	unknown := unknownID(t, lic.ID)

	cases := []struct {
		name      string
		body      any
		valid     bool
		status    credential.Status
		failed    string // a check that must fail
		disclosed bool
		token     string
	}{
		{"document", map[string]any{"document": lic.Document}, true, "valid", "", false, ""},
		{"tampered field", map[string]any{"document": tampered}, false, "forged", credential.CheckIntegrity, false, ""},
		{"bad signature", map[string]any{"document": unsigned}, false, "forged", credential.CheckSignature, false, ""},
		{"identifier not parseable", map[string]any{"document": garbageID}, false, "forged", credential.CheckIntegrity, false, ""},
		{"revoked document", map[string]any{"document": revoked.Document}, false, "revoked", credential.CheckStatus, false, ""},
		{"QR with token", map[string]any{"qr": lic.VerifyURL}, true, "valid", "", true, "valid"},
		{"QR from another host", map[string]any{"qr": "http://elsewhere.example/v/" + lic.ID + "?t=" + token}, true, "valid", "", true, "valid"},
		{"QR without token", map[string]any{"qr": publicURL + "/v/" + lic.ID}, true, "valid", "", false, ""},
		{"QR with wrong token", map[string]any{"qr": publicURL + "/v/" + lic.ID + "?t=" + strings.Repeat("x", len(token))}, true, "valid", "", false, "invalid"},
		{"bare identifier", map[string]any{"qr": lic.ID}, true, "valid", "", false, ""},
		{"QR of a revoked credential", map[string]any{"qr": revoked.VerifyURL}, false, "revoked", credential.CheckStatus, true, "valid"},
		{"QR of an unknown credential", map[string]any{"qr": publicURL + "/v/" + unknown}, false, "not_found", credential.CheckLedger, false, ""},
		{"unknown document", map[string]any{"document": func() credential.Document { d := lic.Document; d.ID = unknown; return d }()}, false, "forged", credential.CheckIntegrity, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := e.verify(t, tc.body)
			if v.Valid != tc.valid || v.Status != tc.status || v.Disclosed != tc.disclosed || v.Token != tc.token {
				t.Fatalf("valid=%v status=%s disclosed=%v token=%q; want %v %s %v %q\n%+v",
					v.Valid, v.Status, v.Disclosed, v.Token, tc.valid, tc.status, tc.disclosed, tc.token, v.Checks)
			}
			if tc.failed != "" && v.check(tc.failed).OK {
				t.Fatalf("check %s passed: %+v", tc.failed, v.Checks)
			}
			if tc.valid {
				for _, name := range []string{credential.CheckIntegrity, credential.CheckSignature, credential.CheckIssuer, credential.CheckLedger, credential.CheckStatus, credential.CheckValidity} {
					if c := v.check(name); !c.OK {
						t.Errorf("check %s: %+v", name, c)
					}
				}
			}
			if v.Status != "not_found" && v.Status != "forged" {
				if v.TxID == "" || v.Record == nil || v.Type == nil || v.Type.ID != "business-licence" || v.Issuer == nil || v.Issuer.ID != "samr" {
					t.Fatalf("answer lacks transaction, record, type or issuer: %+v", v)
				}
			}
			if tc.disclosed {
				if v.Document == nil || len(v.Fields) == 0 || v.Fields[0].Name != credential.ClaimHolderName || v.Fields[0].LabelZh == "" {
					t.Fatalf("disclosed answer lacks document or labelled fields: %+v", v)
				}
			} else if v.Document != nil || len(v.Fields) > 0 {
				t.Fatalf("answer discloses content without a valid token: %+v", v)
			}
		})
	}
	t.Run("no personal data without a token", func(t *testing.T) {
		r := e.do(t, "POST", "/api/v1/verify", "", map[string]any{"qr": publicURL + "/v/" + lic.ID})
		for _, secret := range []string{"核验测试有限公司", "91350100M000100Y43", "张三"} {
			if strings.Contains(string(r.Body), secret) {
				t.Fatalf("answer without token contains %q", secret)
			}
		}
	})
}

func TestVerifyRejects(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "核验拒绝有限公司")
	cases := []struct {
		name   string
		body   any
		detail string
	}{
		{"empty object", map[string]any{}, "document"},
		{"both inputs", map[string]any{"document": lic.Document, "qr": lic.VerifyURL}, "not several"},
		{"empty QR", map[string]any{"qr": ""}, "empty"},
		{"malformed QR", map[string]any{"qr": "%%%not a qr%%%"}, "qr"},
		{"QR with a bad identifier", map[string]any{"qr": publicURL + "/v/" + wrongCheck(lic.ID)}, "check"},
		{"bare identifier with a bad check", map[string]any{"qr": wrongCheck(lic.ID)}, "check"},
		{"QR of a web page", map[string]any{"qr": "https://example.com/"}, "/v/"},
		{"unknown member", map[string]any{"certificate": map[string]any{}}, "certificate"},
		{"document not an object", map[string]any{"document": "abc"}, "document"},
		{"malformed JSON", `{"qr":`, "JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := expectProblem(t, e.do(t, "POST", "/api/v1/verify", "", tc.body), 400)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("detail %q does not mention %q", p.Detail, tc.detail)
			}
		})
	}
}

// A suspension's free text may accuse the holder: only whoever holds the
// whole credential (its access token or full document) reads it; anyone
// else gets the status, its code and the date of the change.
func TestVerifyShowsTheStatusReasonOnlyToTheHolder(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "理由测试有限公司")
	const reason = "涉嫌虚假登记，暂扣待查"
	pres, r := e.present(t, lic.ID, map[string]any{"fields": []string{"companyName"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("presentation: %d %s", r.Status, r.Body)
	}
	e.pageChangeStatus(t, lic.ID, "suspend", map[string]string{"reason": reason})
	cases := []struct {
		name   string
		body   any
		reason bool
	}{
		{"QR with token", map[string]any{"qr": lic.VerifyURL}, true},
		{"full document", map[string]any{"document": lic.Document}, true},
		{"QR without token", map[string]any{"qr": publicURL + "/v/" + lic.ID}, false},
		{"QR with wrong token", map[string]any{"qr": publicURL + "/v/" + lic.ID + "?t=AAAAAAAAAAAAAAAAAAAAAA"}, false},
		{"bare identifier", map[string]any{"qr": lic.ID}, false},
		{"presentation", map[string]any{"presentation": pres.Presentation}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/verify", "", tc.body)
			var v verifyAnswer
			r.decode(t, &v)
			if v.Status != credential.StatusSuspended || v.Record == nil || v.Record.LastChange.Time.IsZero() || v.Record.LastChange.Action != credential.ActionSuspend {
				t.Fatalf("answer lacks the suspension or its date: %s", r.Body)
			}
			if got := strings.Contains(string(r.Body), "涉嫌虚假登记"); got != tc.reason {
				t.Fatalf("reason in the answer: %v, want %v\n%s", got, tc.reason, r.Body)
			}
		})
	}
}

// A phone scanning a QR code opens the host it names, so an answer that
// vouches for its contents must also say whether that host is a gateway of
// this deployment or a look-alike site.
func TestVerifyNamesTheQRHost(t *testing.T) {
	e := newAPIEnv(t, func(c *gateway.Config, _ *ledgerWrap) {
		c.GatewayURLs = []string{"https://Other-Gateway.example.test:443/certledger"}
		c.DepartmentGateways = map[string]string{"edu": "https://edu.example.test"}
	})
	lic := e.mustIssue(t, "主机测试有限公司")
	_, token, _ := credential.ParseVerifyURL(lic.VerifyURL)
	path := "/v/" + lic.ID + "?t=" + token
	cases := []struct {
		name    string
		qr      string
		host    string
		foreign bool
	}{
		{"this gateway", lic.VerifyURL, "verify.example.test", false},
		{"this gateway, host in capitals and default port", "https://VERIFY.example.test:443" + path, "verify.example.test", false},
		{"another gateway of the deployment", "https://other-gateway.example.test/certledger" + path, "other-gateway.example.test", false},
		{"a department's own gateway", "https://edu.example.test" + path, "edu.example.test", false},
		{"a look-alike site", "https://evil.example" + path, "evil.example", true},
		{"this host on another port", "https://verify.example.test:8443" + path, "verify.example.test:8443", true},
		{"this host over plain http", "http://verify.example.test" + path, "verify.example.test", true},
		{"bare identifier names no host", lic.ID, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/verify", "", map[string]any{"qr": tc.qr})
			var v struct {
				Valid       bool   `json:"valid"`
				QRHost      string `json:"qrHost"`
				ForeignHost bool   `json:"foreignHost"`
			}
			r.decode(t, &v)
			if !v.Valid || v.QRHost != tc.host || v.ForeignHost != tc.foreign {
				t.Fatalf("valid=%v qrHost=%q foreignHost=%v, want true %q %v\n%s", v.Valid, v.QRHost, v.ForeignHost, tc.host, tc.foreign, r.Body)
			}
		})
	}
}
