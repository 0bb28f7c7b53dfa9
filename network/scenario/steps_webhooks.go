package scenario

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// webhooks: a department subscribes a receiver on this machine (serve
// --demo allows loopback), issues and suspends a licence, and the receiver
// gets both events, signed as Standard Webhooks says, in order, on either
// ledger (the events come from the ledger's change feed).
func (s *suite) webhooks(t *testing.T) {
	var mu sync.Mutex
	var secret string
	var got []string
	bad := 0
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		mu.Lock()
		defer mu.Unlock()
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		m := hmac.New(sha256.New, key)
		m.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "."))
		m.Write(body)
		if !hmac.Equal([]byte("v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil))), []byte(r.Header.Get("webhook-signature"))) {
			bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var b struct {
			Data struct{ Event, CredentialID string }
		}
		_ = json.Unmarshal(body, &b)
		got = append(got, b.Data.Event+" "+b.Data.CredentialID)
	}))
	defer rcv.Close()

	r := s.c.Request(t, "POST", "/api/v1/subscriptions", s.samr, map[string]any{"url": rcv.URL, "events": []string{"issued", "suspended"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", r.Status, r.Body)
	}
	var sub struct{ ID, Secret string }
	r.JSON(t, &sub)
	mu.Lock()
	secret = sub.Secret
	mu.Unlock()
	lic, ir := s.issueAs(t, s.samr, businessLicence("福州事件推送测试有限公司"))
	if ir.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", ir.Status, ir.Body)
	}
	if sr := s.c.Request(t, "POST", "/api/v1/credentials/"+lic.ID+"/suspend", s.samr, map[string]any{"reason": "核查"}); sr.Status != http.StatusOK {
		t.Fatalf("suspend: %d %s", sr.Status, sr.Body)
	}
	want := []string{"issued " + lic.ID, "suspended " + lic.ID}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n, b := append([]string(nil), got...), bad
		mu.Unlock()
		if b > 0 {
			t.Fatalf("%d deliveries with a bad signature", b)
		}
		if len(n) >= 2 {
			if n[0] != want[0] || n[1] != want[1] {
				t.Fatalf("events %v, want %v", n, want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events %v after 60 s, want %v", n, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if dr := s.c.Request(t, "DELETE", "/api/v1/subscriptions/"+sub.ID, s.samr, nil); dr.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", dr.Status, dr.Body)
	}
}
