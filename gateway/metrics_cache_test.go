package gateway

import (
	"strings"
	"testing"
)

type cachingLedger struct{ s RecordCacheStats }

func (c *cachingLedger) RecordCacheStats() RecordCacheStats { return c.s }

// recordCacheSeries gathers the record cache's series of m by name.
func recordCacheSeries(t *testing.T, m *metrics) map[string]float64 {
	t.Helper()
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, s := range f.GetMetric() {
			switch {
			case s.GetCounter() != nil:
				out[f.GetName()] = s.GetCounter().GetValue()
			case s.GetGauge() != nil:
				out[f.GetName()] = s.GetGauge().GetValue()
			}
		}
	}
	for name := range out {
		if !strings.HasPrefix(name, "certledger_record_cache_") {
			delete(out, name)
		}
	}
	return out
}

// TestRecordCacheMetrics: a ledger with a record cache has its counters
// exported, read at scrape time; any other ledger adds no series.
func TestRecordCacheMetrics(t *testing.T) {
	l := &cachingLedger{s: RecordCacheStats{Hits: 7, Misses: 2, Bypasses: 1, Evictions: 3, Entries: 5}}
	m := newMetrics(l)
	l.s.Hits, l.s.Live = 9, true
	want := map[string]float64{
		"certledger_record_cache_hits_total": 9, "certledger_record_cache_misses_total": 2,
		"certledger_record_cache_bypasses_total": 1, "certledger_record_cache_evictions_total": 3,
		"certledger_record_cache_entries": 5, "certledger_record_cache_live": 1,
	}
	got := recordCacheSeries(t, m)
	if len(got) != len(want) {
		t.Fatalf("series %v, want %v", got, want)
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %v, want %v", name, got[name], v)
		}
	}
	if got := recordCacheSeries(t, newMetrics(struct{}{})); len(got) != 0 {
		t.Fatalf("a ledger without a cache has record cache series %v", got)
	}
}
