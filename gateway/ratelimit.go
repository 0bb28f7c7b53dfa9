package gateway

import (
	"crypto/sha256"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"
)

// RateLimit is a token bucket: Rate requests a second on average, Burst at
// once. A negative Rate turns the limit off; zero values take the default.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Off is a RateLimit that never refuses.
var Off = RateLimit{Rate: -1}

func (l RateLimit) withDefault(d RateLimit) RateLimit {
	if l.Rate == 0 {
		l.Rate = d.Rate
	}
	if l.Burst <= 0 {
		l.Burst = d.Burst
	}
	return l
}

// Names of the rate limits, as the metrics label them.
const (
	limitPublic      = "public"
	limitAPIKey      = "api_key"
	limitAuthFailure = "auth_failure"
	// limitBodies counts large bodies refused unread because the body
	// budget stayed full (Config.BodyMemory).
	limitBodies = "bodies"
)

// maxLimiterKeys bounds each keyed limiter's table, so an attacker cycling
// client addresses cannot grow memory without bound.
const maxLimiterKeys = 65536

var kindRateLimited = problemKind{fiber.StatusTooManyRequests, "rate-limited", "Too many requests", "rate_limited"}

// keyedLimiter holds one token bucket per key (a client address, an API
// key).
type keyedLimiter struct {
	limit   rate.Limit
	burst   int
	now     func() time.Time
	maxKeys int

	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	lastSweep time.Time
}

// newKeyedLimiter returns nil for a limit that is off.
func newKeyedLimiter(l RateLimit, now func() time.Time) *keyedLimiter {
	if l.Rate < 0 {
		return nil
	}
	return &keyedLimiter{limit: rate.Limit(l.Rate), burst: l.Burst, now: now, maxKeys: maxLimiterKeys,
		buckets: map[string]*rate.Limiter{}}
}

// take spends a token of key's bucket and returns a refund, for a request
// that turns out not to count (a successful authentication is no failure).
// Without a token it returns how long until there is one.
func (k *keyedLimiter) take(key string) (refund func(), retryAfter time.Duration) {
	if k == nil {
		return func() {}, 0
	}
	k.mu.Lock()
	now := k.now()
	r := k.bucket(key, now).ReserveN(now, 1)
	k.mu.Unlock()
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return nil, d
	}
	// Cancelling at the reservation's own time restores the token; at a
	// later time, CancelAt restores nothing.
	return func() { r.CancelAt(now) }, 0
}

// bucket returns key's bucket, making room for a new one when the table
// is full: first by dropping the buckets that have refilled (a full bucket
// is the same as a new one, so nothing is lost), at most once a second;
// else by dropping any one bucket.
func (k *keyedLimiter) bucket(key string, now time.Time) *rate.Limiter {
	if b, ok := k.buckets[key]; ok {
		return b
	}
	if len(k.buckets) >= k.maxKeys {
		if now.Sub(k.lastSweep) >= time.Second {
			k.lastSweep = now
			for key, b := range k.buckets {
				if b.TokensAt(now) >= float64(k.burst) {
					delete(k.buckets, key)
				}
			}
		}
		for key := range k.buckets {
			if len(k.buckets) < k.maxKeys {
				break
			}
			delete(k.buckets, key)
		}
	}
	b := rate.NewLimiter(k.limit, k.burst)
	k.buckets[key] = b
	return b
}

// rateLimited is the 429 answer of limit, telling the client when to try
// again.
func (s *Server) rateLimited(c *fiber.Ctx, limit string, retryAfter time.Duration) error {
	s.metrics.rateLimited.WithLabelValues(limit).Inc()
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(max(retryAfter, time.Second).Seconds()))))
	return newAPIError(kindRateLimited, "too many requests; try again after the Retry-After delay")
}

// limitPublicRoutes spends a token of the client address's bucket on every
// public route; the authenticated API is limited per API key instead, in
// authenticate.
func (s *Server) limitPublicRoutes(c *fiber.Ctx) error {
	if publicRoute(c.Path()) || publicServiceRead(c.Method(), c.Path()) {
		if _, d := s.publicLimit.take(s.clientAddr(c)); d > 0 {
			return s.rateLimited(c, limitPublic, d)
		}
	}
	return c.Next()
}

// publicRoute tells the routes anyone may call, by path: the
// verification API, the registry's public reads, the pages, and any
// unknown path. Health, metrics and the pages' static assets are left
// out: they are cheap and a page view fetches several assets.
func publicRoute(path string) bool {
	path = strings.ToLower(path)
	switch {
	case path == "/healthz" || path == "/metrics" || strings.HasPrefix(path, "/assets/"):
		return false
	case !strings.HasPrefix(path, "/api/v1/"):
		return true
	}
	switch strings.TrimSuffix(strings.TrimPrefix(path, "/api/v1"), "/") {
	case "/verify", "/vc", "/trust-list", "/types", "/departments", "/openapi.json":
		return true
	}
	return false
}

// apiKeyBucket names an API key in the limiter without keeping the key
// itself in memory.
func apiKeyBucket(key string) string {
	h := sha256.Sum256([]byte(key))
	return string(h[:16])
}
