package scenario

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// apiKey is an entry of a department's API key list.
type apiKey struct {
	ID           string    `json:"id"`
	Department   string    `json:"department"`
	Prefix       string    `json:"prefix"`
	Label        string    `json:"label"`
	Status       string    `json:"status"`
	CreatedBy    string    `json:"createdBy"`
	CreatedByKey string    `json:"createdByKey"`
	ExpiresAt    time.Time `json:"expiresAt"`
	RevokedBy    string    `json:"revokedBy"`
	RevokedByKey string    `json:"revokedByKey"`
	LastUsed     time.Time `json:"lastUsed"`
}

type createdKey struct {
	ID     string `json:"id"`
	APIKey string `json:"apiKey"`
	Key    apiKey `json:"key"`
}

func (s *suite) createKey(t testing.TB, dept, caller string, body any) createdKey {
	t.Helper()
	r := s.c.Request(t, "POST", "/api/v1/departments/"+dept+"/api-keys", caller, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create an API key of %s: %d %s", dept, r.Status, r.Body)
	}
	var k createdKey
	r.JSON(t, &k)
	return k
}

func (s *suite) keysOf(t testing.TB, dept, caller string) map[string]apiKey {
	t.Helper()
	r := s.c.Request(t, "GET", "/api/v1/departments/"+dept+"/api-keys", caller, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list the API keys of %s: %d %s", dept, r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), "sha256") || strings.Contains(string(r.Body), `"apiKey"`) {
		t.Fatalf("the list shows a key or its hash: %s", r.Body)
	}
	var out struct {
		APIKeys []apiKey `json:"apiKeys"`
	}
	r.JSON(t, &out)
	m := map[string]apiKey{}
	for _, k := range out.APIKeys {
		m[k.ID] = k
	}
	return m
}

// apiKeyLifecycle: governance creates a key for samr with a label and an
// expiry; samr sees it and who made it, issues with it (the history names
// the key), revokes it and is refused with it; a key of samr's own expires
// when the gateway's clock passes its expiry.
func (s *suite) apiKeyLifecycle(t *testing.T) {
	samrID := credential.APIKeyIDOf(credential.APIKeyHash(s.samr))
	govID := credential.APIKeyIDOf(credential.APIKeyHash(s.gov))
	expires := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	made := s.createKey(t, "samr", s.gov, map[string]any{"label": "scenario import", "expiresAt": expires.Format(time.RFC3339)})
	if !credential.ValidAPIKeyID(made.ID) || made.Key.Prefix != made.APIKey[:12] || made.Key.CreatedBy != "gov" || made.Key.CreatedByKey != govID {
		t.Fatalf("created %+v", made)
	}
	k, ok := s.keysOf(t, "samr", s.samr)[made.ID]
	if !ok || k.CreatedBy != "gov" || k.Label != "scenario import" || !k.ExpiresAt.Equal(expires) || k.Status != "active" {
		t.Fatalf("samr's list shows the key governance made as %+v (present %v)", k, ok)
	}
	expectProblem(t, s.c.Request(t, "GET", "/api/v1/departments/samr/api-keys", s.edu, nil), http.StatusForbidden, "not_key_owner")

	lic, r := s.issueAs(t, made.APIKey, businessLicence("密钥场景有限公司"))
	if r.Status != http.StatusCreated {
		t.Fatalf("issue with the new key: %d %s", r.Status, r.Body)
	}
	path := "/api/v1/credentials/" + url.PathEscape(lic.ID)
	if r := s.c.Request(t, "POST", path+"/suspend", s.samr, map[string]string{"reason": "核查"}); r.Status != http.StatusOK {
		t.Fatalf("suspend: %d %s", r.Status, r.Body)
	}
	r = s.c.Request(t, "GET", path+"/history", s.samr, nil)
	var h historyAnswer
	r.JSON(t, &h)
	if len(h.History) != 2 || h.History[0].APIKeyID != made.ID || h.History[1].APIKeyID != samrID || h.History[0].Actor != "samr" {
		t.Fatalf("history %+v, want issued with %s and suspended with %s, by samr", h.History, made.ID, samrID)
	}
	if k := s.keysOf(t, "samr", s.gov)[made.ID]; k.LastUsed.IsZero() {
		t.Fatalf("the key just used has no lastUsed: %+v", k)
	}

	r = s.c.Request(t, "DELETE", "/api/v1/departments/samr/api-keys/"+made.ID, s.samr, nil)
	var rev struct{ Key apiKey }
	r.JSON(t, &rev)
	if r.Status != http.StatusOK || rev.Key.Status != "revoked" || rev.Key.RevokedBy != "samr" || rev.Key.RevokedByKey != samrID {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	expectProblem(t, s.c.Request(t, "GET", "/api/v1/me", made.APIKey, nil), http.StatusUnauthorized, "api_key_revoked")
	if _, r := s.issueAs(t, made.APIKey, businessLicence("吊销密钥有限公司")); r.Status != http.StatusUnauthorized {
		t.Fatalf("issue with the revoked key: %d %s", r.Status, r.Body)
	}
	expectProblem(t, s.c.Request(t, "DELETE", "/api/v1/departments/samr/api-keys/"+made.ID, s.gov, nil), http.StatusConflict, "api_key_already_revoked")
	if k := s.keysOf(t, "samr", s.samr)[made.ID]; k.Status != "revoked" || k.CreatedBy != "gov" || k.RevokedBy != "samr" {
		t.Fatalf("after the revocation samr sees %+v", k)
	}

	own := s.createKey(t, "samr", s.samr, map[string]any{"expiresAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	if r := s.c.Request(t, "GET", "/api/v1/me", own.APIKey, nil); r.Status != http.StatusOK {
		t.Fatalf("samr's own key before its expiry: %d %s", r.Status, r.Body)
	}
	s.target.MoveClock(t, 2*time.Hour)
	defer s.target.MoveClock(t, 0)
	expectProblem(t, s.c.Request(t, "GET", "/api/v1/me", own.APIKey, nil), http.StatusUnauthorized, "api_key_expired")
	if k := s.keysOf(t, "samr", s.samr)[own.ID]; k.Status != "expired" || k.CreatedBy != "samr" {
		t.Fatalf("listed past its expiry as %+v", k)
	}
}
