package gateway

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"golang.org/x/sync/semaphore"
)

// gatedBody is the size above which a request body needs room in the body
// budget before it is read. Smaller ones are bounded by the connection cap
// alone: 1024 connections × 64 KiB.
const gatedBody = 64 << 10

// bodyWait is how long a large body waits for room in the budget before it
// is refused unread: a burst of honest uploads clears within it, while a
// flood is turned away instead of piling up bodies held in memory.
const bodyWait = 2 * time.Second

// bodyGate bounds the bytes of large request bodies held in memory at once.
// A body is read before any handler runs, so its room is claimed when its
// headers arrive, for its declared length (or its route's limit when it
// has none), and given back when the request ends.
type bodyGate struct {
	budget *semaphore.Weighted
	size   int64
	wait   time.Duration
	// hold bounds a claim's lease, in case a request ends on a path that
	// neither runs a handler nor Fiber's error handler.
	hold time.Duration
	// byHeader keys the request's ticket by its header, which is the one
	// thing the header callback, the handlers and the error handler share.
	byHeader sync.Map // *fasthttp.RequestHeader → *bodyTicket
}

// bodyTicket is one request's claim: bytes held, or a refusal to report.
type bodyTicket struct {
	refused bool
	bytes   int64
	once    sync.Once
	timer   *time.Timer
	gate    *bodyGate
}

func newBodyGate(budget int64, wait, hold time.Duration) *bodyGate {
	return &bodyGate{budget: semaphore.NewWeighted(budget), size: budget, wait: wait, hold: hold}
}

// admit claims n bytes for the request whose headers are h, waiting up to
// g.wait. It reports false when the room did not come free: the caller
// then refuses the body unread.
func (g *bodyGate) admit(h *fasthttp.RequestHeader, n int64) bool {
	// A connection's requests come one after another, so a ticket still
	// filed under h belongs to an earlier request that has ended.
	g.end(h)
	n = min(n, g.size)
	t := &bodyTicket{gate: g, bytes: n}
	if !g.budget.TryAcquire(n) {
		ctx, cancel := context.WithTimeout(context.Background(), g.wait)
		err := g.budget.Acquire(ctx, n)
		cancel()
		if err != nil {
			t.refused = true
			t.timer = time.AfterFunc(g.hold, func() { g.byHeader.CompareAndDelete(h, t) })
			g.byHeader.Store(h, t)
			return false
		}
	}
	t.timer = time.AfterFunc(g.hold, func() {
		// The entry must go too: its key keeps the whole request, body
		// included, from the garbage collector.
		g.byHeader.CompareAndDelete(h, t)
		t.release()
	})
	g.byHeader.Store(h, t)
	return true
}

// refused reports whether the request with headers h was turned away by
// admit for want of room.
func (g *bodyGate) refused(h *fasthttp.RequestHeader) bool {
	v, ok := g.byHeader.Load(h)
	return ok && v.(*bodyTicket).refused
}

// end gives back the room of the request with headers h, if it holds any,
// and reports whether the request had a ticket.
func (g *bodyGate) end(h *fasthttp.RequestHeader) bool {
	v, ok := g.byHeader.LoadAndDelete(h)
	if ok {
		t := v.(*bodyTicket)
		t.timer.Stop()
		t.release()
	}
	return ok
}

func (t *bodyTicket) release() {
	if t.refused {
		return
	}
	t.once.Do(func() { t.gate.budget.Release(t.bytes) })
}

// gateBody claims room for the body of the request whose headers are h and
// reports whether it may be read. limit is its route's body limit.
func (s *Server) gateBody(h *fasthttp.RequestHeader, limit int) bool {
	n := int64(h.ContentLength())
	if n < 0 { // chunked: it may be as long as the route allows
		n = int64(limit)
	}
	// A body over the limit is refused from its headers, unread.
	if n <= gatedBody || n > int64(limit) || h.IsGet() || h.IsHead() {
		return true
	}
	return s.bodies.admit(h, n)
}

// endBody ends the request's claim, if it has one. The body's buffer is
// dropped rather than left to fasthttp, which keeps it with the pooled
// request: idle megabyte buffers, one per connection, add up.
func (s *Server) endBody(c *fiber.Ctx) {
	if s.bodies.end(&c.Context().Request.Header) {
		c.Request().SwapBody(nil)
	}
}

// bodiesBusy is the answer to a body turned away for want of room.
func (s *Server) bodiesBusy(c *fiber.Ctx) error {
	s.metrics.rateLimited.WithLabelValues(limitBodies).Inc()
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(bodyWait/time.Second)))
	return newAPIError(kindUnavailable, "the gateway is receiving as many large requests as it can hold; try again in a moment")
}
