package gateway_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
)

// apiKeyView is an entry of GET /api/v1/departments/{dept}/api-keys.
type apiKeyView struct {
	ID           string    `json:"id"`
	Department   string    `json:"department"`
	Prefix       string    `json:"prefix"`
	Label        string    `json:"label"`
	Status       string    `json:"status"`
	Created      time.Time `json:"created"`
	CreatedBy    string    `json:"createdBy"`
	CreatedByKey string    `json:"createdByKey"`
	ExpiresAt    time.Time `json:"expiresAt"`
	RevokedAt    time.Time `json:"revokedAt"`
	RevokedBy    string    `json:"revokedBy"`
	RevokedByKey string    `json:"revokedByKey"`
	LastUsed     time.Time `json:"lastUsed"`
}

type newKeyAnswer struct {
	ID         string     `json:"id"`
	Department string     `json:"department"`
	APIKey     string     `json:"apiKey"`
	Key        apiKeyView `json:"key"`
}

func (e *apiEnv) newAPIKey(t *testing.T, dept, caller string, body any) newKeyAnswer {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/departments/"+dept+"/api-keys", caller, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create an API key of %s: %d %s", dept, r.Status, r.Body)
	}
	var out newKeyAnswer
	r.decode(t, &out)
	return out
}

func (e *apiEnv) apiKeys(t *testing.T, dept, caller string) map[string]apiKeyView {
	t.Helper()
	r := e.do(t, "GET", "/api/v1/departments/"+dept+"/api-keys", caller, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list the API keys of %s: %d %s", dept, r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), "sha256") || strings.Contains(string(r.Body), "clk_") && strings.Contains(string(r.Body), `"apiKey"`) {
		t.Fatalf("the list shows a key or its hash: %s", r.Body)
	}
	var out struct {
		Department string       `json:"department"`
		APIKeys    []apiKeyView `json:"apiKeys"`
	}
	r.decode(t, &out)
	m := map[string]apiKeyView{}
	for _, k := range out.APIKeys {
		m[k.ID] = k
	}
	return m
}

// TestAPIKeyLifecycle: governance creates a key for samr with a label and
// an expiry; samr sees it, with who made it, uses it (the history names the
// key), lists, revokes it and is refused with it; an expired key is refused
// for its own reason. No answer and no log line holds a key.
func TestAPIKeyLifecycle(t *testing.T) {
	var offset atomic.Int64
	e := newAPIEnv(t, withClock(&offset))
	gov, samr, edu := e.key("gov"), e.key("samr"), e.key("edu")
	govID := credential.APIKeyIDOf(credential.APIKeyHash(gov))
	samrID := credential.APIKeyIDOf(credential.APIKeyHash(samr))
	expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)

	made := e.newAPIKey(t, "samr", gov, map[string]any{"label": "批量导入", "expiresAt": expires.Format(time.RFC3339)})
	if made.ID != credential.APIKeyIDOf(credential.APIKeyHash(made.APIKey)) || made.Department != "samr" || made.Key.Prefix != made.APIKey[:12] ||
		made.Key.Label != "批量导入" || !made.Key.ExpiresAt.Equal(expires) || made.Key.CreatedBy != "gov" || made.Key.CreatedByKey != govID ||
		made.Key.Status != "active" {
		t.Fatalf("created %+v", made)
	}
	own := e.newAPIKey(t, "samr", samr, nil) // a department creates its own
	if own.Key.CreatedBy != "samr" || own.Key.CreatedByKey != samrID || own.Key.Label != "" || !own.Key.ExpiresAt.IsZero() {
		t.Fatalf("samr's own key %+v", own.Key)
	}

	// The key governance made shows in samr's list, and it works.
	if k, ok := e.apiKeys(t, "samr", samr)[made.ID]; !ok || k.CreatedBy != "gov" || k.Label != "批量导入" || !k.LastUsed.IsZero() {
		t.Fatalf("samr's list shows %+v (present %v)", k, ok)
	}
	lic, r := e.issue(t, "samr", licenceBody("密钥测试有限公司"))
	if r.Status != http.StatusCreated {
		t.Fatal(r.Status, string(r.Body))
	}
	if r := e.do(t, "POST", "/api/v1/credentials/"+lic.ID+"/suspend", made.APIKey, map[string]string{"reason": "待查"}); r.Status != http.StatusOK {
		t.Fatalf("suspend with the new key: %d %s", r.Status, r.Body)
	}
	var h struct{ History []credential.Change }
	e.do(t, "GET", "/api/v1/credentials/"+lic.ID+"/history", samr, nil).decode(t, &h)
	if len(h.History) != 2 || h.History[0].APIKeyID != samrID || h.History[1].APIKeyID != made.ID || h.History[1].Actor != "samr" {
		t.Fatalf("history %+v, want issued with %s and suspended with %s", h.History, samrID, made.ID)
	}
	if k := e.apiKeys(t, "samr", samr)[made.ID]; k.LastUsed.IsZero() {
		t.Fatalf("the key used has no lastUsed: %+v", k)
	}

	refusals := []struct {
		name, method, path, key string
		status                  int
		reason                  credential.Reason
	}{
		{"another department lists", "GET", "/api/v1/departments/samr/api-keys", edu, http.StatusForbidden, credential.ReasonNotKeyOwner},
		{"another department revokes", "DELETE", "/api/v1/departments/samr/api-keys/" + made.ID, edu, http.StatusForbidden, credential.ReasonNotKeyOwner},
		{"another department creates", "POST", "/api/v1/departments/samr/api-keys", edu, http.StatusForbidden, credential.ReasonNotGovernance},
		{"unknown department", "GET", "/api/v1/departments/nosuch/api-keys", gov, http.StatusNotFound, credential.ReasonDepartmentNotFound},
		{"malformed key id", "DELETE", "/api/v1/departments/samr/api-keys/clk_abc", samr, http.StatusNotFound, credential.ReasonAPIKeyNotFound},
		{"key of another department", "DELETE", "/api/v1/departments/edu/api-keys/" + made.ID, gov, http.StatusNotFound, credential.ReasonAPIKeyNotFound},
		{"without a key", "GET", "/api/v1/departments/samr/api-keys", "", http.StatusUnauthorized, credential.ReasonMissingAPIKey},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			expectReason(t, e.do(t, tc.method, tc.path, tc.key, nil), tc.status, string(tc.reason))
		})
	}
	for _, body := range []map[string]any{{"label": "a\tb"}, {"expiresAt": "tomorrow"}, {"expiresAt": time.Now().Add(-time.Minute).Format(time.RFC3339)}} {
		expectReason(t, e.do(t, "POST", "/api/v1/departments/samr/api-keys", samr, body), http.StatusBadRequest, string(credential.ReasonInvalidField))
	}

	// samr revokes the key governance made: refused at once, for good.
	r = e.do(t, "DELETE", "/api/v1/departments/samr/api-keys/"+made.ID, samr, nil)
	var rev struct{ Key apiKeyView }
	r.decode(t, &rev)
	if r.Status != http.StatusOK || rev.Key.Status != "revoked" || rev.Key.RevokedBy != "samr" || rev.Key.RevokedByKey != samrID {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	expectReason(t, e.do(t, "GET", "/api/v1/me", made.APIKey, nil), http.StatusUnauthorized, string(credential.ReasonAPIKeyRevoked))
	expectReason(t, e.do(t, "DELETE", "/api/v1/departments/samr/api-keys/"+made.ID, gov, nil), http.StatusConflict, string(credential.ReasonAPIKeyAlreadyRevoked))
	if k := e.apiKeys(t, "samr", gov)[made.ID]; k.Status != "revoked" || k.RevokedBy != "samr" || k.CreatedBy != "gov" {
		t.Fatalf("after the revocation governance sees %+v", k)
	}

	// Governance cannot lock itself out.
	expectReason(t, e.do(t, "DELETE", "/api/v1/departments/gov/api-keys/"+govID, gov, nil), http.StatusConflict, string(credential.ReasonLastGovernanceAPIKey))

	// Expiry follows the gateway's clock.
	short := e.newAPIKey(t, "edu", edu, map[string]any{"expiresAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	if r := e.do(t, "GET", "/api/v1/me", short.APIKey, nil); r.Status != http.StatusOK {
		t.Fatalf("an unexpired key: %d %s", r.Status, r.Body)
	}
	offset.Store(int64(2 * time.Hour))
	expectReason(t, e.do(t, "GET", "/api/v1/me", short.APIKey, nil), http.StatusUnauthorized, string(credential.ReasonAPIKeyExpired))
	if k := e.apiKeys(t, "edu", edu)[short.ID]; k.Status != "expired" {
		t.Fatalf("listed as %q, want expired", k.Status)
	}
	expectReason(t, e.do(t, "GET", "/api/v1/me", "clk_"+strings.Repeat("A", 43), nil), http.StatusUnauthorized, string(credential.ReasonInvalidAPIKey))

	logs := e.logs.String()
	for _, secret := range []string{made.APIKey, own.APIKey, short.APIKey, gov, samr} {
		if strings.Contains(logs, secret) {
			t.Fatal("an API key was logged")
		}
	}
	for _, want := range []string{`"msg":"API key created"`, `"msg":"API key revoked"`, `"msg":"API keys listed"`, `"apiKey":"` + made.ID + `"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
}

// TestRevocationReachesAnotherGateway: two gateways on one ledger. A key
// revoked through one is refused by the other once its copy of the key
// list is older than the TTL, without a ledger read per request; a key
// created through one is accepted by the other at once.
func TestRevocationReachesAnotherGateway(t *testing.T) {
	e := newAPIEnv(t)
	var bOffset atomic.Int64
	b := newAPIEnvOn(t, e, gateway.Config{PublicURL: publicURL, Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Now().Add(time.Duration(bOffset.Load())) }})
	onB := func(key string) apiResponse {
		t.Helper()
		return b.do(t, "GET", "/api/v1/me", key, nil)
	}
	samr := e.key("samr")
	k := e.newAPIKey(t, "samr", samr, nil)
	if r := onB(k.APIKey); r.Status != http.StatusOK {
		t.Fatalf("B refuses a key A just created: %d %s", r.Status, r.Body)
	}
	if r := e.do(t, "DELETE", "/api/v1/departments/samr/api-keys/"+k.ID, samr, nil); r.Status != http.StatusOK {
		t.Fatal(r.Status, string(r.Body))
	}
	if r := onB(k.APIKey); r.Status != http.StatusOK {
		t.Fatalf("B read the ledger again within its TTL: %d %s", r.Status, r.Body)
	}
	bOffset.Store(int64(gateway.DefaultAPIKeyTTL))
	expectReason(t, onB(k.APIKey), http.StatusUnauthorized, string(credential.ReasonAPIKeyRevoked))

	// A key created through A: B's copy is fresh, but a key it does not
	// know makes it read the list again once the copy is a second old.
	fresh := e.newAPIKey(t, "samr", samr, nil)
	bOffset.Add(int64(time.Second))
	if r := onB(fresh.APIKey); r.Status != http.StatusOK {
		t.Fatalf("B refuses a key created a moment ago: %d %s", r.Status, r.Body)
	}
}

// keyReportingLedger reports API key changes the way the Fabric backend does
// from the channel's events.
type keyReportingLedger struct {
	credential.Ledger
	fn func(credential.APIKey)
}

func (l *keyReportingLedger) NotifyAPIKeyChanges(fn func(credential.APIKey)) { l.fn = fn }

// A revocation the ledger reports takes effect at once, inside the TTL.
func TestReportedRevocationTakesEffectAtOnce(t *testing.T) {
	nl := &keyReportingLedger{}
	e := newAPIEnv(t, func(_ *gateway.Config, w *ledgerWrap) {
		w.wrap = func(l credential.Ledger) credential.Ledger { nl.Ledger = l; return nl }
	})
	samr := e.key("samr")
	k := e.newAPIKey(t, "samr", samr, nil)
	if r := e.do(t, "GET", "/api/v1/me", k.APIKey, nil); r.Status != http.StatusOK {
		t.Fatal(r.Status)
	}
	// Revoked behind this gateway's back, as through another gateway.
	revoked, err := nl.Ledger.RevokeAPIKey(t.Context(), "SamrMSP", credential.APIKeyRevocation{Dept: "samr", ID: k.ID})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do(t, "GET", "/api/v1/me", k.APIKey, nil); r.Status != http.StatusOK {
		t.Fatalf("refused before the report: %d", r.Status)
	}
	nl.fn(revoked)
	expectReason(t, e.do(t, "GET", "/api/v1/me", k.APIKey, nil), http.StatusUnauthorized, string(credential.ReasonAPIKeyRevoked))
	// A stale report of the same key does not undo the revocation.
	stale := revoked
	stale.RevokedAt, stale.RevokedBy, stale.RevokeTxID = time.Time{}, "", ""
	nl.fn(stale)
	expectReason(t, e.do(t, "GET", "/api/v1/me", k.APIKey, nil), http.StatusUnauthorized, string(credential.ReasonAPIKeyRevoked))
}

// TestKeystoreAPIKeysMoveToTheLedger: the API keys a keystore.json of an
// earlier release holds are recorded on the ledger at start, keep working,
// can be listed and revoked, and leave the keystore.
func TestKeystoreAPIKeysMoveToTheLedger(t *testing.T) {
	e := newAPIEnv(t)
	dir := t.TempDir()
	old := "clk_" + strings.Repeat("L", 43) // a key an earlier gateway handed out
	secret := strings.Repeat("A", 43) + "="
	file := `{"version": 1, "holderKey": "` + secret + `", "tokenKey": "` + secret + `", "idempotencyKey": "` + secret + `",
		"apiKeys": [{"dept": "samr", "sha256": "` + credential.APIKeyHash(old) + `", "created": "2025-06-01T08:00:00Z"},
		            {"dept": "gone", "sha256": "` + strings.Repeat("ab", 32) + `", "created": "2025-06-01T08:00:00Z"}],
		"signingKeys": []}`
	if err := os.WriteFile(filepath.Join(dir, keystore.FileName), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	ks, err := keystore.Open(dir, atrest.Generate())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if n, err := gateway.MigrateAPIKeys(t.Context(), e.ledger, ks, log); err != nil || n != 1 {
		t.Fatalf("migrated %d: %v", n, err)
	}
	if n, err := gateway.MigrateAPIKeys(t.Context(), e.ledger, ks, log); err != nil || n != 0 {
		t.Fatalf("second run migrated %d: %v", n, err)
	}
	if left := ks.LegacyAPIKeys(); len(left) != 1 || left[0].DeptID != "gone" {
		t.Fatalf("left in the keystore: %+v, want only the key of the unregistered department", left)
	}
	if r := e.do(t, "GET", "/api/v1/me", old, nil); r.Status != http.StatusOK {
		t.Fatalf("the migrated key: %d %s", r.Status, r.Body)
	}
	id := credential.APIKeyIDOf(credential.APIKeyHash(old))
	k, ok := e.apiKeys(t, "samr", e.key("samr"))[id]
	if !ok || k.CreatedBy != "samr" || k.Prefix != "" || k.Label != "migrated from keystore.json (created 2025-06-01)" {
		t.Fatalf("listed as %+v (present %v)", k, ok)
	}
	if r := e.do(t, "DELETE", "/api/v1/departments/samr/api-keys/"+id, e.key("samr"), nil); r.Status != http.StatusOK {
		t.Fatal(r.Status, string(r.Body))
	}
	expectReason(t, e.do(t, "GET", "/api/v1/me", old, nil), http.StatusUnauthorized, string(credential.ReasonAPIKeyRevoked))
}

// TestAPIKeyLastUsedPersists: last-used times are written at most once a
// minute (by the gateway's clock) and at shutdown, and read back at start.
func TestAPIKeyLastUsedPersists(t *testing.T) {
	var offset atomic.Int64
	path := filepath.Join(t.TempDir(), "api-key-use.json")
	e := newAPIEnv(t, withClock(&offset), func(c *gateway.Config, _ *ledgerWrap) { c.APIKeyUseFile = path })
	samr := e.key("samr")
	samrID := credential.APIKeyIDOf(credential.APIKeyHash(samr))
	for range 3 {
		e.do(t, "GET", "/api/v1/me", samr, nil)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the use file was written within the first minute: %v", err)
	}
	offset.Store(int64(time.Minute + time.Second))
	e.do(t, "GET", "/api/v1/me", samr, nil)
	used := readUse(t, path)
	if used[samrID].IsZero() {
		t.Fatalf("after a minute the file holds %v, want samr's key", used)
	}
	offset.Add(int64(time.Second))
	e.do(t, "GET", "/api/v1/me", e.key("edu"), nil)
	if len(readUse(t, path)) != 1 {
		t.Fatal("the file was written again within the minute")
	}
	if err := e.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	used = readUse(t, path)
	eduID := credential.APIKeyIDOf(credential.APIKeyHash(e.key("edu")))
	if len(used) != 2 || used[eduID].IsZero() {
		t.Fatalf("after shutdown the file holds %v", used)
	}
	// A new gateway on the same file shows what the first one saw.
	again := newAPIEnvOn(t, e, gateway.Config{PublicURL: publicURL, APIKeyUseFile: path, Logger: slog.New(slog.DiscardHandler)})
	if k := again.apiKeys(t, "samr", e.key("gov"))[samrID]; !k.LastUsed.Equal(used[samrID]) {
		t.Fatalf("lastUsed after restart %v, want %v", k.LastUsed, used[samrID])
	}
}

func readUse(t *testing.T, path string) map[string]time.Time {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		LastUsed map[string]time.Time `json:"lastUsed"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.LastUsed
}

// newAPIEnvOn is another gateway on e's ledger and keystore.
func newAPIEnvOn(t *testing.T, e *apiEnv, cfg gateway.Config) *apiEnv {
	t.Helper()
	srv, err := gateway.New(cfg, e.ledger, e.ks)
	if err != nil {
		t.Fatal(err)
	}
	return &apiEnv{srv: srv, ledger: e.ledger, ks: e.ks, keys: e.keys, logs: &syncBuffer{}}
}
