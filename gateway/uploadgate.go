package gateway

import (
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// uploadGate bounds how many picture uploads have their bodies in memory at
// once: the body of a request is read before any handler runs, so the slot
// is taken when its headers arrive and given back when the request ends.
// Its memory is then at most cap(slots) × the upload limit.
type uploadGate struct {
	slots chan struct{}
	// wait is how long a request's headers wait for a slot before the
	// upload is refused unread; it holds only that connection.
	wait time.Duration
	// hold bounds a slot's lease, in case a request ends on a path that
	// neither runs a handler nor Fiber's error handler.
	hold time.Duration
	// byHeader keys the request's ticket by its header, which is the one
	// thing the header callback, the handlers and the error handler share.
	byHeader sync.Map // *fasthttp.RequestHeader → *uploadTicket
}

// uploadTicket is one upload's claim: a held slot, or a refusal to report.
type uploadTicket struct {
	refused bool
	once    sync.Once
	timer   *time.Timer
	gate    *uploadGate
}

func newUploadGate(slots int, wait, hold time.Duration) *uploadGate {
	return &uploadGate{slots: make(chan struct{}, slots), wait: wait, hold: hold}
}

// admit claims a slot for the request whose headers are h, waiting up to
// g.wait. It reports false when none came free: the caller then refuses
// the body unread.
func (g *uploadGate) admit(h *fasthttp.RequestHeader) bool {
	// A connection's requests come one after another, so a ticket still
	// filed under h belongs to an earlier request that has ended.
	g.end(h)
	t := &uploadTicket{gate: g}
	select {
	case g.slots <- struct{}{}:
	default:
		timer := time.NewTimer(g.wait)
		select {
		case g.slots <- struct{}{}:
			timer.Stop()
		case <-timer.C:
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
// admit for want of a slot.
func (g *uploadGate) refused(h *fasthttp.RequestHeader) bool {
	v, ok := g.byHeader.Load(h)
	return ok && v.(*uploadTicket).refused
}

// end gives back the slot of the request with headers h, if it holds one,
// and reports whether the request had a ticket.
func (g *uploadGate) end(h *fasthttp.RequestHeader) bool {
	v, ok := g.byHeader.LoadAndDelete(h)
	if ok {
		t := v.(*uploadTicket)
		t.timer.Stop()
		t.release()
	}
	return ok
}

func (t *uploadTicket) release() {
	if t.refused {
		return
	}
	t.once.Do(func() { <-t.gate.slots })
}

// endUpload ends the request's upload, if it is one. The body's buffer is
// dropped rather than left to fasthttp, which keeps it with the pooled
// request: idle megabyte buffers, one per connection, add up.
func (s *Server) endUpload(c *fiber.Ctx) {
	if s.uploads.end(&c.Context().Request.Header) {
		c.Request().SwapBody(nil)
	}
}

// uploadsBusy is the answer to an upload admit turned away.
func (s *Server) uploadsBusy(c *fiber.Ctx) error {
	s.metrics.rateLimited.WithLabelValues(limitUploads).Inc()
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(uploadWait/time.Second)))
	return newAPIError(kindUnavailable, "every upload slot is busy; try again in a moment")
}
