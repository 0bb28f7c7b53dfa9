package gateway

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
)

// metrics are the gateway's Prometheus series. Each Server has its own
// registry, so tests can run several servers in one process.
type metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	issuances     *prometheus.CounterVec
	verifications *prometheus.CounterVec
	statusChanges *prometheus.CounterVec
	presentations *prometheus.CounterVec
	keyChanges    *prometheus.CounterVec
	rateLimited   *prometheus.CounterVec
	// registerScanned counts the department index entries register
	// queries read (register.go), the cost filters add to a page.
	registerScanned prometheus.Counter
}

// unmatchedRoute labels requests that matched no route, so probing random
// paths cannot blow up the number of series.
const unmatchedRoute = "unmatched"

// RecordCacheLedger is a ledger backend that keeps a cache of public
// records (the fabric backend); /metrics exports its counters.
type RecordCacheLedger interface {
	RecordCacheStats() RecordCacheStats
}

// RecordCacheStats is spelled out because the gateway does not import the
// backends; fabricledger.RecordCacheStats is an alias of the same struct.
type RecordCacheStats = struct {
	Hits, Misses, Bypasses, Evictions uint64
	Entries                           int
	Live                              bool
}

func newMetrics(ledger any) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certledger_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "certledger_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern, method and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		issuances: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certledger_issuances_total",
			Help: "Credentials issued by type and outcome (issued, replayed for an idempotent retry, reissued as a new version, renewed or changed).",
		}, []string{"type", "outcome"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certledger_verifications_total",
			Help: "Verifications by input kind (document, presentation, compact, qr) and resulting status.",
		}, []string{"input", "status"}),
		statusChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certledger_status_changes_total",
			Help: "Suspensions, reinstatements and revocations recorded.",
		}, []string{"action"}),
		presentations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certledger_presentations_total",
			Help: "Presentations derived, by format (json, compact).",
		}, []string{"format"}),
		keyChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certledger_key_changes_total",
			Help: "Department signing key changes recorded in the registry (add, retire, compromise).",
		}, []string{"action"}),
	}
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "certledger_rate_limited_total", Help: "Requests refused with 429, by rate limit.",
	}, []string{"limit"})
	m.reg.MustRegister(m.rateLimited)
	m.registerScanned = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "certledger_register_scanned_entries_total",
		Help: "Department index entries read by register queries (GET /api/v1/credentials), pages and CSV exports alike.",
	})
	m.reg.MustRegister(m.registerScanned)
	m.reg.MustRegister(m.requests, m.latency, m.issuances, m.verifications, m.statusChanges, m.presentations, m.keyChanges,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if rc, ok := ledger.(RecordCacheLedger); ok {
		m.reg.MustRegister(recordCacheCollectors(rc)...)
	}
	return m
}

func recordCacheCollectors(rc RecordCacheLedger) []prometheus.Collector {
	counter := func(name, help string, v func(RecordCacheStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(rc.RecordCacheStats())) })
	}
	gauge := func(name, help string, v func(RecordCacheStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return v(rc.RecordCacheStats()) })
	}
	return []prometheus.Collector{
		counter("certledger_record_cache_hits_total", "Record reads answered from the ledger backend's record cache.",
			func(s RecordCacheStats) uint64 { return s.Hits }),
		counter("certledger_record_cache_misses_total", "Record reads the cache did not hold, read from the ledger and cached.",
			func(s RecordCacheStats) uint64 { return s.Misses }),
		counter("certledger_record_cache_bypasses_total", "Record reads sent to the ledger because the event stream that keeps the cache current was down.",
			func(s RecordCacheStats) uint64 { return s.Bypasses }),
		counter("certledger_record_cache_evictions_total", "Records dropped from the cache to keep it within its size.",
			func(s RecordCacheStats) uint64 { return s.Evictions }),
		gauge("certledger_record_cache_entries", "Records held in the cache.",
			func(s RecordCacheStats) float64 { return float64(s.Entries) }),
		gauge("certledger_record_cache_live", "1 while the event stream is up and the cache answers, else 0.",
			func(s RecordCacheStats) float64 {
				if s.Live {
					return 1
				}
				return 0
			}),
	}
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	s := strconv.Itoa(status)
	m.requests.WithLabelValues(route, method, s).Inc()
	m.latency.WithLabelValues(route, method, s).Observe(d.Seconds())
}

// handler serves the registry in the Prometheus text format through
// Fiber's net/http adaptor.
func (m *metrics) handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}
