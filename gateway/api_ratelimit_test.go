package gateway_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway"
)

// stepClock is a clock a test moves by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func limitedEnv(t *testing.T, set func(*gateway.Config)) (*apiEnv, *stepClock) {
	clock := &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := newAPIEnv(t, func(c *gateway.Config, _ *ledgerWrap) {
		c.LimiterClock = clock.now
		c.TrustedProxies = []string{"0.0.0.0"} // app.Test's peer, so X-Forwarded-For names the client
		set(c)
	})
	return e, clock
}

func expectRateLimited(t *testing.T, r apiResponse, retryAfter string) {
	t.Helper()
	expectReason(t, r, 429, "rate_limited")
	if got := r.Header.Get("Retry-After"); got != retryAfter {
		t.Fatalf("Retry-After %q, want %q", got, retryAfter)
	}
}

func TestRateLimitAuthFailures(t *testing.T) {
	e, clock := limitedEnv(t, func(c *gateway.Config) { c.AuthFailureLimit = gateway.RateLimit{Rate: 0.2, Burst: 3} })
	from := func(addr, key string) apiResponse {
		return e.do(t, "GET", "/api/v1/me", key, nil, "X-Forwarded-For", addr)
	}
	for range 3 {
		expectReason(t, from("203.0.113.7", "clk_wrong"), 401, "invalid_api_key")
	}
	expectRateLimited(t, from("203.0.113.7", "clk_wrong"), "5")
	// The right key is not even checked while the budget is spent.
	expectRateLimited(t, from("203.0.113.7", e.key("samr")), "5")
	if r := from("198.51.100.1", e.key("samr")); r.Status != 200 {
		t.Fatalf("another address: %d %s", r.Status, r.Body)
	}
	clock.add(5 * time.Second)
	if r := from("203.0.113.7", e.key("samr")); r.Status != 200 {
		t.Fatalf("after the wait: %d %s", r.Status, r.Body)
	}
	// A right key does not spend the budget.
	for range 5 {
		from("203.0.113.7", e.key("samr"))
	}
	expectReason(t, from("203.0.113.7", "clk_wrong"), 401, "invalid_api_key")
	metrics := string(e.do(t, "GET", "/metrics", "", nil).Body)
	if !strings.Contains(metrics, `certledger_rate_limited_total{limit="auth_failure"} 2`) {
		t.Fatalf("metrics lack the refusals:\n%s", grepLines(metrics, "rate_limited"))
	}
}

func TestRateLimitPublicPerAddress(t *testing.T) {
	e, clock := limitedEnv(t, func(c *gateway.Config) { c.PublicLimit = gateway.RateLimit{Rate: 1, Burst: 2} })
	verify := func(addr string, headers ...string) apiResponse {
		return e.do(t, "POST", "/api/v1/verify", "", `{"qr":"x"}`, append([]string{"X-Forwarded-For", addr}, headers...)...)
	}
	verify("203.0.113.7")
	verify("203.0.113.7")
	expectRateLimited(t, verify("203.0.113.7"), "1")
	// The page is public too, under the same budget.
	expectRateLimited(t, e.do(t, "GET", "/", "", nil, "X-Forwarded-For", "203.0.113.7"), "1")
	// A client cannot pick its address by prepending to the header.
	expectRateLimited(t, verify("198.51.100.9, 203.0.113.7"), "1")
	if r := verify("198.51.100.9"); r.Status == 429 {
		t.Fatal("another address was limited")
	}
	// The authenticated API is not under the public budget.
	if r := e.do(t, "GET", "/api/v1/me", e.key("samr"), nil, "X-Forwarded-For", "203.0.113.7"); r.Status != 200 {
		t.Fatalf("authenticated: %d %s", r.Status, r.Body)
	}
	clock.add(time.Second)
	if r := verify("203.0.113.7"); r.Status == 429 {
		t.Fatal("still limited after the wait")
	}
}

func TestRateLimitPerAPIKey(t *testing.T) {
	e, _ := limitedEnv(t, func(c *gateway.Config) { c.APIKeyLimit = gateway.RateLimit{Rate: 1, Burst: 2} })
	for range 2 {
		if r := e.do(t, "GET", "/api/v1/me", e.key("samr"), nil); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	expectRateLimited(t, e.do(t, "GET", "/api/v1/me", e.key("samr"), nil), "1")
	if r := e.do(t, "GET", "/api/v1/me", e.key("hrss"), nil); r.Status != 200 {
		t.Fatalf("another key: %d %s", r.Status, r.Body)
	}
}

func TestUntrustedForwardedForIgnored(t *testing.T) {
	e := newAPIEnv(t, func(c *gateway.Config, _ *ledgerWrap) { c.PublicLimit = gateway.RateLimit{Rate: 1, Burst: 1} })
	e.do(t, "POST", "/api/v1/verify", "", `{"qr":"x"}`, "X-Forwarded-For", "203.0.113.1")
	expectReason(t, e.do(t, "POST", "/api/v1/verify", "", `{"qr":"x"}`, "X-Forwarded-For", "203.0.113.2"), 429, "rate_limited")
}

func grepLines(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
