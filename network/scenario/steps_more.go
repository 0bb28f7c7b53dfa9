package scenario

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

func (s *suite) badInput(t *testing.T) {
	good := businessLicence("输入校验有限公司")
	with := func(mut func(m map[string]any)) map[string]any {
		m := businessLicence("输入校验有限公司")
		mut(m)
		return m
	}
	fields := func(m map[string]any) map[string]any { return m["fields"].(map[string]any) }
	wrongCheck := s.lic.ID[:len(s.lic.ID)-1] + flipCheck(s.lic.ID[len(s.lic.ID)-1])
	cases := []struct {
		name, method, path, key string
		body                    any
		status                  int
		reason                  string
	}{
		{"no API key", "POST", "/api/v1/credentials", "", good, 401, "missing_api_key"},
		{"unknown API key", "POST", "/api/v1/credentials", "not-a-key", good, 401, "invalid_api_key"},
		{"malformed JSON", "POST", "/api/v1/credentials", s.samr, `{"type": "business-licence",`, 400, "malformed_request"},
		{"unknown type", "POST", "/api/v1/credentials", s.samr, with(func(m map[string]any) { m["type"] = "flying-licence" }), 400, "invalid_field"},
		{"missing holder", "POST", "/api/v1/credentials", s.samr, with(func(m map[string]any) { delete(m, "holder") }), 400, "invalid_field"},
		{"missing required field", "POST", "/api/v1/credentials", s.samr, with(func(m map[string]any) { delete(fields(m), "companyName") }), 400, "invalid_field"},
		{"unknown field", "POST", "/api/v1/credentials", s.samr, with(func(m map[string]any) { fields(m)["colour"] = "red" }), 400, "invalid_field"},
		{"date breaks schema", "POST", "/api/v1/credentials", s.samr, with(func(m map[string]any) { fields(m)["establishedOn"] = "2020-13-45" }), 400, "invalid_field"},
		{"number breaks schema", "POST", "/api/v1/credentials", s.samr, with(func(m map[string]any) { fields(m)["registeredCapital"] = "五百万" }), 400, "invalid_field"},
		{"bad holder ID check character", "POST", "/api/v1/credentials", s.samr, with(func(m map[string]any) {
			m["holder"] = map[string]any{"name": "某公司", "idType": "uscc", "idNumber": "91350100M000100Y44"}
		}), 400, "invalid_field"},
		{"validUntil before validFrom", "POST", "/api/v1/credentials", s.samr, with(func(m map[string]any) { m["validUntil"] = "2023-01-01T00:00:00Z" }), 400, "invalid_field"},
		{"wrong identifier check character", "GET", "/api/v1/credentials/" + url.PathEscape(wrongCheck), s.samr, nil, 400, "invalid_identifier"},
		{"not an identifier", "GET", "/api/v1/credentials/hello", s.samr, nil, 400, "invalid_identifier"},
		{"unknown credential", "GET", "/api/v1/credentials/" + url.PathEscape(unknownID(t, s.lic.ID)), s.samr, nil, 404, "credential_not_found"},
		{"verify without input", "POST", "/api/v1/verify", "", map[string]any{}, 400, "malformed_request"},
		{"verify malformed QR", "POST", "/api/v1/verify", "", map[string]any{"qr": "%%%not a qr%%%"}, 400, "invalid_qr"},
		{"unknown route", "GET", "/api/v1/nothing-here", "", nil, 404, "no_route"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectProblem(t, s.c.Request(t, tc.method, tc.path, tc.key, tc.body), tc.status, tc.reason)
		})
	}
	t.Run("body too large", func(t *testing.T) {
		expectProblem(t, s.c.Announce(t, "POST", "/api/v1/credentials", s.samr, 300<<10), http.StatusRequestEntityTooLarge, "body_too_large")
	})
}

func flipCheck(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

// unknownID returns a well-formed identifier that was never issued: the same
// type and issuer with another serial.
func unknownID(t testing.TB, like string) string {
	id, err := credential.ParseIdentifier(like)
	if err != nil {
		t.Fatal(err)
	}
	id.Serial = "ZZZZZZZZZZZZZZZZ"
	return id.String()
}

func (s *suite) restart(t *testing.T) {
	before := s.historyOf(t)
	s.target.Restart(t)
	s.c = newClient(s.target.URL())
	if s.target.Keys()["samr"].APIKey != s.samr {
		t.Fatal("restart with the same data folder changed the demo API keys")
	}
	if after := s.historyOf(t); len(after) != len(before) {
		t.Fatalf("history has %d entries after restart, %d before", len(after), len(before))
	}
	if v := s.verify(t, map[string]any{"document": s.lic.Document}); v.Status != "revoked" {
		t.Fatalf("revoked credential is %q after restart", v.Status)
	}
	again, r := s.issueAs(t, s.samr, businessLicence("幂等测试有限公司"), "Idempotency-Key", "scenario-idem-1")
	if r.Status != http.StatusCreated || again.ID != s.idemID {
		t.Fatalf("idempotent retry after restart: %d %q, want %q", r.Status, again.ID, s.idemID)
	}
	r = s.c.Request(t, "GET", "/api/v1/credentials/"+url.PathEscape(s.idemID), s.samr, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("read after restart: %d %s", r.Status, r.Body)
	}
}

// crash issues from many clients, kills the gateway with SIGKILL while they
// run, restarts it and checks that every acknowledged issuance is there.
func (s *suite) crash(t *testing.T) {
	const clients = 16
	var (
		mu    sync.Mutex
		acked []string
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for n := 0; !stop.Load() && n < 200; n++ {
				body := businessLicence(fmt.Sprintf("持久性测试%d号%d有限公司", i, n))
				r, err := s.c.Do("POST", "/api/v1/credentials", s.samr, body)
				if err != nil {
					return // the server died under us
				}
				if r.Status == http.StatusCreated {
					var out issued
					if r.decode(&out) == nil {
						mu.Lock()
						acked = append(acked, out.ID)
						mu.Unlock()
					}
				}
			}
		}(i)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.target.Crash(t)
	stop.Store(true)
	wg.Wait()
	s.c = newClient(s.target.URL())
	if len(acked) == 0 {
		t.Fatal("no issuance was acknowledged before the kill")
	}
	for _, id := range acked {
		r := s.c.Request(t, "GET", "/api/v1/credentials/"+url.PathEscape(id), s.samr, nil)
		if r.Status != http.StatusOK {
			t.Errorf("acknowledged %s is gone after kill -9: %d %s", id, r.Status, r.Body)
		}
	}
	t.Logf("%d acknowledged issuances all present after kill -9", len(acked))
}
