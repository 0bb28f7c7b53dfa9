package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
)

func TestCatalogue(t *testing.T) {
	e := newAPIEnv(t)
	t.Run("types without authentication", func(t *testing.T) {
		r := e.do(t, "GET", "/api/v1/types", "", nil)
		var body struct{ Types []credential.CredentialType }
		r.decode(t, &body)
		if r.Status != 200 || len(body.Types) != 3 {
			t.Fatalf("%d, %d types", r.Status, len(body.Types))
		}
		for _, ty := range body.Types {
			if len(ty.Fields) == 0 || len(ty.Issuers) != 1 || ty.NameZh == "" {
				t.Errorf("type %+v", ty)
			}
		}
		// Each type names the holder ID types it is issued to.
		if !strings.Contains(string(r.Body), `"id":"business-licence"`) || !strings.Contains(string(r.Body), `"holderIdTypes":["uscc"]`) {
			t.Errorf("the catalogue does not say a business licence is held by a company: %s", r.Body)
		}
	})
	t.Run("departments with public keys", func(t *testing.T) {
		r := e.do(t, "GET", "/api/v1/departments", "", nil)
		var body struct{ Departments []credential.Department }
		r.decode(t, &body)
		if len(body.Departments) != 4 {
			t.Fatalf("%d departments", len(body.Departments))
		}
		for _, d := range body.Departments {
			if len(d.Keys) == 0 || d.Keys[0].PublicKey == "" {
				t.Errorf("department %s has no public key", d.ID)
			}
		}
		if strings.Contains(string(r.Body), "seed") || strings.Contains(string(r.Body), "apiKey") {
			t.Fatal("departments answer leaks secrets")
		}
	})
	t.Run("me", func(t *testing.T) {
		r := e.do(t, "GET", "/api/v1/me", e.key("edu"), nil)
		var body struct {
			Department   credential.Department
			Types        []credential.CredentialType
			SigningKeyID string
		}
		r.decode(t, &body)
		if r.Status != 200 || body.Department.ID != "edu" || len(body.Types) != 1 || body.Types[0].ID != "diploma" || body.SigningKeyID == "" {
			t.Fatalf("me: %d %+v", r.Status, body)
		}
		if body.Department.Keys[0].ID != body.SigningKeyID {
			t.Fatalf("signing key %s is not the registered key %s", body.SigningKeyID, body.Department.Keys[0].ID)
		}
	})
	t.Run("me without a key", func(t *testing.T) {
		r := e.do(t, "GET", "/api/v1/me", "", nil)
		expectProblem(t, r, 401)
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
		}
	})
}

func TestIssue(t *testing.T) {
	e := newAPIEnv(t)
	before := time.Now().UTC().Add(-time.Second)
	out, r := e.issue(t, "samr", licenceBody("福州数字未来科技有限公司"))
	if r.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	if r.Header.Get("Location") != "/api/v1/credentials/"+out.ID || r.Header.Get(gateway.HeaderIdempotentReplay) != "" {
		t.Fatalf("headers %v", r.Header)
	}
	if _, err := credential.ParseIdentifier(out.ID); err != nil || out.Document.ID != out.ID || out.Record.ID != out.ID {
		t.Fatalf("identifiers: %q %q %q (%v)", out.ID, out.Document.ID, out.Record.ID, err)
	}
	// validUntil "2034-01-01" includes that day in Asia/Shanghai.
	if out.Document.IssuedAt.Before(before) || out.Document.ValidFrom != time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) ||
		out.Document.ValidUntil != time.Date(2034, 1, 1, 16, 0, 0, 0, time.UTC) {
		t.Fatalf("times: issued %v from %v until %v", out.Document.IssuedAt, out.Document.ValidFrom, out.Document.ValidUntil)
	}
	if c, _ := out.Document.Claim("registeredCapital"); c.Value != "500" {
		t.Fatalf("number field sent as a JSON number: %+v", c)
	}
	if out.Record.IssueTxID == "" || out.Record.Digest != out.Document.Proof.Digest || out.Record.Status != credential.StatusValid {
		t.Fatalf("record %+v", out.Record)
	}
	if strings.Contains(string(mustJSON(t, out.Record)), "91350100M000100Y43") {
		t.Fatal("the public record carries the holder's ID number")
	}
	id, tok, err := credential.ParseVerifyURL(out.VerifyURL)
	if err != nil || id != out.ID || len(tok) != gateway.TokenLength || !strings.HasPrefix(out.VerifyURL, publicURL+"/v/") {
		t.Fatalf("verifyUrl %q: %q %q %v", out.VerifyURL, id, tok, err)
	}
	if out.QRURL != publicURL+"/api/v1/credentials/"+out.ID+"/qr.png" {
		t.Fatalf("qrUrl %q", out.QRURL)
	}
	reg, _ := e.ledger.Registry(t.Context())
	v := credential.Verify(credential.VerifyInput{Document: &out.Document, Registry: reg, Record: &out.Record, Online: true, Now: time.Now()})
	if !v.Valid {
		t.Fatalf("issued document does not verify: %+v", v)
	}

	t.Run("read back by the issuer", func(t *testing.T) {
		r := e.do(t, "GET", "/api/v1/credentials/"+out.ID, e.key("samr"), nil)
		var got issuedAnswer
		r.decode(t, &got)
		if r.Status != 200 || got.Document.Proof != out.Document.Proof || got.Record.IssueTxID != out.Record.IssueTxID || got.VerifyURL != out.VerifyURL {
			t.Fatalf("read back: %d %+v", r.Status, got)
		}
	})
	t.Run("defaults: validFrom now, type's default validity", func(t *testing.T) {
		body := licenceBody("默认有效期有限公司")
		delete(body, "validFrom")
		delete(body, "validUntil")
		got, r := e.issue(t, "samr", body)
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if !got.Document.ValidFrom.Equal(got.Document.IssuedAt) || !got.Document.ValidUntil.Equal(got.Document.ValidFrom.AddDate(0, 0, 3650)) {
			t.Fatalf("from %v until %v issued %v", got.Document.ValidFrom, got.Document.ValidUntil, got.Document.IssuedAt)
		}
	})
	t.Run("type by code, optional field blank", func(t *testing.T) {
		body := licenceBody("按代码签发有限公司")
		body["type"] = "11100000MB02000124001"
		body["fields"].(map[string]any)["registeredCapital"] = ""
		got, r := e.issue(t, "samr", body)
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if _, ok := got.Document.Claim("registeredCapital"); ok {
			t.Fatal("a blank optional field became a claim")
		}
	})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIssueRejects(t *testing.T) {
	e := newAPIEnv(t)
	with := func(mut func(m map[string]any)) map[string]any {
		m := licenceBody("输入校验有限公司")
		mut(m)
		return m
	}
	fields := func(m map[string]any) map[string]any { return m["fields"].(map[string]any) }
	samr := e.key("samr")
	cases := []struct {
		name    string
		key     string
		body    any
		headers []string
		status  int
		detail  string // the detail must contain it
		pointer string // an errors entry must have it
		reason  string // the problem's reason
	}{
		{"no API key", "", licenceBody("x"), nil, 401, "Bearer", "", "missing_api_key"},
		{"basic auth", "", licenceBody("x"), []string{"Authorization", "Basic c2FtcjpzYW1y"}, 401, "Bearer", "", "missing_api_key"},
		{"unknown API key", "clk_not-a-key", licenceBody("x"), nil, 401, "not valid", "", "invalid_api_key"},
		{"empty body", samr, "", nil, 400, "empty", "", "malformed_request"},
		{"malformed JSON", samr, `{"type": "business-licence",`, nil, 400, "not valid JSON", "", "malformed_request"},
		{"syntax error", samr, `{"type": business-licence}`, nil, 400, "not valid JSON", "", "malformed_request"},
		{"two JSON values", samr, `{"type":"diploma"} {}`, nil, 400, "more than one", "", "malformed_request"},
		{"array body", samr, `[1,2]`, nil, 400, "object", "", "malformed_request"},
		{"unknown member", samr, with(func(m map[string]any) { m["colour"] = "red" }), nil, 400, "colour", "", "malformed_request"},
		{"unknown holder member", samr, with(func(m map[string]any) { m["holder"].(map[string]any)["age"] = 3 }), nil, 400, "age", "", "malformed_request"},
		{"fields not an object", samr, with(func(m map[string]any) { m["fields"] = "x" }), nil, 400, "fields", "", "malformed_request"},
		{"missing type", samr, with(func(m map[string]any) { delete(m, "type") }), nil, 400, "type is required", "#/type", "invalid_field"},
		{"unknown type", samr, with(func(m map[string]any) { m["type"] = "flying-licence" }), nil, 400, "flying-licence", "#/type", "invalid_field"},
		{"missing holder", samr, with(func(m map[string]any) { delete(m, "holder") }), nil, 400, "holder", "#/holder", "invalid_field"},
		{"holder without name", samr, with(func(m map[string]any) { delete(m["holder"].(map[string]any), "name") }), nil, 400, "holder.name", "#/holder/name", "invalid_field"},
		{"bad holder ID check character", samr, with(func(m map[string]any) {
			m["holder"] = map[string]any{"name": "某公司", "idType": "uscc", "idNumber": "91350100M000100Y44"}
		}), nil, 400, "idNumber", "#/holder/idNumber", "invalid_field"},
		{"unknown holder ID type", samr, with(func(m map[string]any) { m["holder"].(map[string]any)["idType"] = "library_card" }), nil, 400, "idType", "#/holder/idType", "invalid_field"},
		{"a resident as a business licence's holder", samr, with(func(m map[string]any) {
			m["holder"] = map[string]any{"name": "张三", "idType": "resident_id", "idNumber": "11010519491231002X"}
		}), nil, 400, "uscc", "#/holder/idType", "holder_id_type_not_accepted"},
		{"missing required field", samr, with(func(m map[string]any) { delete(fields(m), "companyName") }), nil, 400, "companyName", "#/fields/companyName", "invalid_field"},
		{"required field blank", samr, with(func(m map[string]any) { fields(m)["companyName"] = "  " }), nil, 400, "companyName", "#/fields/companyName", "invalid_field"},
		{"unknown field", samr, with(func(m map[string]any) { fields(m)["colour"] = "red" }), nil, 400, "colour", "#/fields/colour", "invalid_field"},
		{"date breaks schema", samr, with(func(m map[string]any) { fields(m)["establishedOn"] = "2020-13-45" }), nil, 400, "establishedOn", "#/fields/establishedOn", "invalid_field"},
		{"number breaks schema", samr, with(func(m map[string]any) { fields(m)["registeredCapital"] = "五百万" }), nil, 400, "registeredCapital", "#/fields/registeredCapital", "invalid_field"},
		{"number in exponent form", samr, with(func(m map[string]any) { fields(m)["registeredCapital"] = 5e30 }), nil, 400, "registeredCapital", "#/fields/registeredCapital", "invalid_field"},
		{"field is a boolean", samr, with(func(m map[string]any) { fields(m)["entityType"] = true }), nil, 400, "string or a number", "#/fields/entityType", "invalid_field"},
		{"string too long", samr, with(func(m map[string]any) { fields(m)["companyName"] = strings.Repeat("长", 201) }), nil, 400, "maximum is 200", "#/fields/companyName", "invalid_field"},
		{"several problems at once", samr, with(func(m map[string]any) {
			delete(fields(m), "companyName")
			fields(m)["establishedOn"] = "soon"
		}), nil, 400, "2 problems", "#/fields/establishedOn", "invalid_field"},
		{"validFrom not a time", samr, with(func(m map[string]any) { m["validFrom"] = "yesterday" }), nil, 400, "validFrom", "#/validFrom", "invalid_field"},
		{"validUntil before validFrom", samr, with(func(m map[string]any) { m["validUntil"] = "2023-01-01T00:00:00Z" }), nil, 400, "validUntil", "#/validUntil", "invalid_field"},
		{"another department's type", e.key("edu"), licenceBody("越权公司"), nil, 403, "not authorized", "", "not_authorized_for_type"},
		{"governance issues nothing", e.key("gov"), licenceBody("越权公司"), nil, 403, "not authorized", "", "not_authorized_for_type"},
		{"empty idempotency key", samr, licenceBody("x"), []string{"Idempotency-Key", ""}, 400, "Idempotency-Key", "", "malformed_request"},
		{"idempotency key too long", samr, licenceBody("x"), []string{"Idempotency-Key", strings.Repeat("k", 256)}, 400, "Idempotency-Key", "", "malformed_request"},
		{"idempotency key with spaces", samr, licenceBody("x"), []string{"Idempotency-Key", "a b"}, 400, "Idempotency-Key", "", "malformed_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/credentials", tc.key, tc.body, tc.headers...)
			p := expectReason(t, r, tc.status, tc.reason)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not mention %q", p.Detail, tc.detail)
			}
			if tc.pointer != "" {
				found := false
				for _, fe := range p.Errors {
					found = found || fe.Pointer == tc.pointer
					if fe.Reason != tc.reason {
						t.Errorf("field problem %+v has reason %q, want %s", fe, fe.Reason, tc.reason)
					}
				}
				if !found {
					t.Errorf("errors %+v lack pointer %s", p.Errors, tc.pointer)
				}
			}
		})
	}
}

func TestIdempotentRetry(t *testing.T) {
	e := newAPIEnv(t)
	body := licenceBody("幂等测试有限公司")
	first, r := e.issue(t, "samr", body, "Idempotency-Key", "order-42")
	if r.Status != 201 || r.Header.Get(gateway.HeaderIdempotentReplay) != "" {
		t.Fatalf("first: %d %v", r.Status, r.Header)
	}

	t.Run("same request again", func(t *testing.T) {
		again, r := e.issue(t, "samr", body, "Idempotency-Key", "order-42")
		if r.Status != 201 || r.Header.Get(gateway.HeaderIdempotentReplay) != "true" {
			t.Fatalf("replay: %d %v %s", r.Status, r.Header, r.Body)
		}
		if again.ID != first.ID || again.Document.Proof != first.Document.Proof || again.VerifyURL != first.VerifyURL {
			t.Fatalf("replay answered %s, want the first credential %s", again.ID, first.ID)
		}
	})
	t.Run("same content, other JSON spelling", func(t *testing.T) {
		raw := `{"validUntil":"2034-01-01","validFrom":"2024-01-01T00:00:00Z",
			"fields":{"address":"福建省福州市鼓楼区五四路100号","registeredCapital":"500","establishedOn":"2020-03-15",
			"legalRepresentative":"张三","entityType":"有限责任公司","companyName":"幂等测试有限公司"},
			"holder":{"idNumber":"91350100M000100Y43","idType":"uscc","name":"幂等测试有限公司"},"type":"business-licence"}`
		again, r := e.issue(t, "samr", raw, "Idempotency-Key", "order-42")
		if r.Status != 201 || again.ID != first.ID {
			t.Fatalf("reformatted retry: %d %q, want %q: %s", r.Status, again.ID, first.ID, r.Body)
		}
	})
	t.Run("concurrent retries", func(t *testing.T) {
		body := licenceBody("并发幂等有限公司")
		ids := make([]string, 8)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				out, r := e.issue(t, "samr", body, "Idempotency-Key", "order-43")
				if r.Status != 201 {
					t.Errorf("retry %d: %d %s", i, r.Status, r.Body)
				}
				ids[i] = out.ID
			}(i)
		}
		wg.Wait()
		for i, id := range ids {
			if id != ids[0] {
				t.Fatalf("retry %d got %s, retry 0 got %s", i, id, ids[0])
			}
		}
	})
	t.Run("same key, different request", func(t *testing.T) {
		p := expectReason(t, e.do(t, "POST", "/api/v1/credentials", e.key("samr"), licenceBody("另一家有限公司"), "Idempotency-Key", "order-42"), 409, "idempotency_key_reused")
		if !strings.Contains(p.Detail, "idempotency key") {
			t.Fatalf("detail %q", p.Detail)
		}
	})
	t.Run("keys are scoped to the department", func(t *testing.T) {
		diploma := map[string]any{
			"type":   "diploma",
			"holder": map[string]any{"name": "李四", "idType": "resident_id", "idNumber": "11010519491231002X"},
			"fields": map[string]any{"school": "福州大学", "major": "计算机科学与技术", "level": "本科", "graduatedOn": "2024-06-30", "certificateNumber": "103861202405000123"},
		}
		out, r := e.issue(t, "edu", diploma, "Idempotency-Key", "order-42")
		if r.Status != 201 || out.ID == first.ID || r.Header.Get(gateway.HeaderIdempotentReplay) != "" {
			t.Fatalf("edu with samr's key value: %d %s", r.Status, r.Body)
		}
	})
	t.Run("without a key every request issues", func(t *testing.T) {
		a := e.mustIssue(t, "无幂等键有限公司")
		b := e.mustIssue(t, "无幂等键有限公司")
		if a.ID == b.ID {
			t.Fatal("two requests without Idempotency-Key gave one credential")
		}
	})
}

// collidingLedger makes the first issuance of each request fail as the
// ledger does for an identifier it already holds.
type collidingLedger struct {
	credential.Ledger
	mu       sync.Mutex
	collided int
	ids      []string
}

func (l *collidingLedger) Issue(ctx context.Context, msp string, req credential.IssueRequest) (credential.IssueResult, error) {
	l.mu.Lock()
	l.ids = append(l.ids, req.Document.ID)
	first := l.collided == 0
	if first {
		l.collided++
	}
	l.mu.Unlock()
	if first {
		return credential.IssueResult{}, credential.Errorf(credential.ReasonDuplicateID, "credential %s already exists", req.Document.ID)
	}
	return l.Ledger.Issue(ctx, msp, req)
}

func TestIssueRetriesAnIdentifierCollision(t *testing.T) {
	cl := &collidingLedger{}
	e := newAPIEnv(t, func(_ *gateway.Config, w *ledgerWrap) {
		w.wrap = func(l credential.Ledger) credential.Ledger { cl.Ledger = l; return cl }
	})
	out := e.mustIssue(t, "撞号重试有限公司")
	if len(cl.ids) != 2 || cl.ids[0] == cl.ids[1] || out.ID != cl.ids[1] {
		t.Fatalf("attempted %v, answered %s", cl.ids, out.ID)
	}
}

func ExampleConfig_WithDefaults() {
	c := gateway.Config{Addr: "0.0.0.0:9000"}.WithDefaults()
	fmt.Println(c.PublicURL, c.BodyLimit, c.RegistryTTL)
	// Output: http://localhost:9000 262144 5s
}

func TestRegistryChangesAreSeenWithoutWaiting(t *testing.T) {
	e := newAPIEnv(t)
	e.mustIssue(t, "缓存预热有限公司") // fills the registry cache
	permit := credential.CredentialType{ID: "food-permit", Code: "11100000MB02000124002", NameZh: "食品经营许可证", NameEn: "Food Business Permit",
		Issuers: []string{"samr"}, DefaultValidityDays: 1825,
		Fields: []credential.FieldSpec{{Name: "premises", Type: credential.FieldString, Required: true, LabelZh: "经营场所", LabelEn: "Premises"}}}
	if err := e.ledger.PutCredentialType(t.Context(), "GovMSP", permit); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{
		"type":   "food-permit",
		"holder": map[string]any{"name": "某餐饮公司", "idType": "uscc", "idNumber": "91350100M000100Y43"},
		"fields": map[string]any{"premises": "福州市鼓楼区"},
	}
	if _, r := e.issue(t, "samr", body); r.Status != 201 {
		t.Fatalf("issuing a type registered after the cache was filled: %d %s", r.Status, r.Body)
	}
}

// laggingPeerLedger refuses the first lagBehind issuances with unknown_key,
// as a Fabric peer does that has not yet committed a key the gateway has
// just registered.
type laggingPeerLedger struct {
	credential.Ledger
	lagBehind int
	tries     int
}

func (l *laggingPeerLedger) Issue(ctx context.Context, msp string, req credential.IssueRequest) (credential.IssueResult, error) {
	l.tries++
	if l.tries <= l.lagBehind {
		return credential.IssueResult{}, credential.Errorf(credential.ReasonUnknownKey, "key %q is not registered", req.Document.Proof.KeyID)
	}
	return l.Ledger.Issue(ctx, msp, req)
}

// An endorsing peer that does not know the signing key yet is waited for;
// one that never learns it is the client's 400.
func TestIssueWaitsForAPeerBehindOnKeys(t *testing.T) {
	for _, tc := range []struct {
		name      string
		lagBehind int
		status    int
	}{
		{"behind once", 1, http.StatusCreated},
		{"never catches up", 100, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ll := &laggingPeerLedger{lagBehind: tc.lagBehind}
			e := newAPIEnv(t, func(_ *gateway.Config, w *ledgerWrap) {
				w.wrap = func(l credential.Ledger) credential.Ledger { ll.Ledger = l; return ll }
			})
			_, r := e.issue(t, "samr", licenceBody("密钥同步等待有限公司"))
			if r.Status != tc.status {
				t.Fatalf("issue: %d %s", r.Status, r.Body)
			}
			if tc.status == http.StatusBadRequest {
				expectReason(t, r, http.StatusBadRequest, "unknown_key")
			}
		})
	}
}
