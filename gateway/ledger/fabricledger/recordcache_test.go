package fabricledger

import (
	"fmt"
	"sync"
	"testing"

	"github.com/certledger/certledger/credential"
)

func rec(id string, rev uint64, st credential.Status) credential.Record {
	return credential.Record{ID: id, Revision: rev, Status: st, IssueTxID: "tx-" + id}
}

// liveCache is a cache of max records, live from block 100.
func liveCache(max int) *recordCache {
	c := newRecordCache(max)
	c.goLive(&fakeSource{id: "peer"}, 100)
	return c
}

func held(t *testing.T, c *recordCache, id string) (credential.Record, bool) {
	t.Helper()
	r, _, hit := c.lookup(id)
	return r, hit
}

func TestRecordCacheKeepsHigherRevision(t *testing.T) {
	c := liveCache(10)
	c.offer(rec("a", 2, credential.StatusRevoked), 100)
	c.offer(rec("a", 1, credential.StatusValid), 101) // a late copy of the issuance
	if r, ok := held(t, c, "a"); !ok || r.Revision != 2 || r.Status != credential.StatusRevoked {
		t.Fatalf("after an older offer: %+v %v", r, ok)
	}
	tie := rec("a", 2, credential.StatusRevoked)
	tie.StatusReason = "other copy"
	c.offer(tie, 102)
	if r, _ := held(t, c, "a"); r.StatusReason != "" {
		t.Fatalf("a tie replaced the held copy: %+v", r)
	}
	_, tok, _ := c.lookup("b")
	if got := c.fill(tok, rec("b", 1, credential.StatusValid)); got.Revision != 1 {
		t.Fatalf("fill answered %+v", got)
	}
	c.offer(rec("b", 3, credential.StatusSuspended), 103)
	// A fill that read the ledger before the change answers with the
	// newer copy held and does not replace it.
	if got := c.fill(tok, rec("b", 2, credential.StatusValid)); got.Revision != 3 {
		t.Fatalf("stale fill answered %+v", got)
	}
	if r, _ := held(t, c, "b"); r.Revision != 3 {
		t.Fatalf("stale fill replaced the held copy: %+v", r)
	}
}

func TestRecordCacheKeepsIssuanceBlock(t *testing.T) {
	c := liveCache(10)
	issued := rec("a", 1, credential.StatusValid)
	issued.BlockNumber = 120
	c.offer(issued, 120)
	changed := rec("a", 2, credential.StatusSuspended) // from a change event: block unknown
	c.offer(changed, 130)
	if r, _ := held(t, c, "a"); r.BlockNumber != 120 || r.Revision != 2 {
		t.Fatalf("%+v", r)
	}
}

func TestRecordCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := liveCache(3)
	for i := range 3 {
		c.offer(rec(fmt.Sprint(i), 1, credential.StatusValid), 100)
	}
	held(t, c, "0") // used: "1" is now the least recently used
	c.offer(rec("3", 1, credential.StatusValid), 100)
	for id, want := range map[string]bool{"0": true, "1": false, "2": true, "3": true} {
		if _, ok := held(t, c, id); ok != want {
			t.Fatalf("%s held = %v, want %v", id, ok, want)
		}
	}
	s := c.stats()
	if s.Entries != 3 || s.Evictions != 1 || s.Hits != 4 || s.Misses != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestRecordCacheInsertsOnlyWhatTheStreamCovers(t *testing.T) {
	c := liveCache(10)
	// Committed before the stream's first block: a later change may have
	// gone by already, so it is not inserted ...
	c.offer(rec("a", 1, credential.StatusValid), 99)
	if _, ok := held(t, c, "a"); ok {
		t.Fatal("a write older than the stream was inserted")
	}
	// ... but it still replaces an older copy held.
	c.offer(rec("b", 1, credential.StatusValid), 100)
	c.offer(rec("b", 2, credential.StatusRevoked), 99)
	if r, _ := held(t, c, "b"); r.Revision != 2 {
		t.Fatalf("b: %+v", r)
	}
	// A fill begun before a change the cache could not apply may be older
	// than it: not inserted.
	_, tok, _ := c.lookup("c")
	c.offer(rec("c", 2, credential.StatusRevoked), 99)
	c.fill(tok, rec("c", 1, credential.StatusValid))
	if _, ok := held(t, c, "c"); ok {
		t.Fatal("a fill overtaken by an unapplied change was inserted")
	}
	_, tok, _ = c.lookup("c")
	c.fill(tok, rec("c", 2, credential.StatusRevoked))
	if r, ok := held(t, c, "c"); !ok || r.Revision != 2 {
		t.Fatalf("a fresh fill: %+v %v", r, ok)
	}
	// An event that does not carry its record drops the copy.
	c.forget("c")
	if _, ok := held(t, c, "c"); ok {
		t.Fatal("forgotten record still held")
	}
}

func TestRecordCacheDownBypasses(t *testing.T) {
	c := liveCache(10)
	c.offer(rec("a", 1, credential.StatusValid), 100)
	_, tok, _ := c.lookup("b")
	c.down()
	if _, tok2, hit := c.lookup("a"); hit || tok2.src != nil {
		t.Fatal("a cache that is down answered")
	}
	c.offer(rec("a", 1, credential.StatusValid), 200)
	c.goLive(&fakeSource{id: "other"}, 100)
	if _, ok := held(t, c, "a"); ok {
		t.Fatal("the records held before the stream broke survived it, or an offer made while down was kept")
	}
	c.fill(tok, rec("b", 1, credential.StatusValid)) // begun before the break
	if _, ok := held(t, c, "b"); ok {
		t.Fatal("a fill begun before the stream broke was inserted")
	}
	if s := c.stats(); s.Bypasses != 1 || !s.Live {
		t.Fatalf("stats %+v", s)
	}
}

func TestRecordCacheOff(t *testing.T) {
	for _, c := range []*recordCache{nil, newRecordCache(0), newRecordCache(-1)} {
		c.goLive(&fakeSource{}, 0)
		c.offer(rec("a", 1, credential.StatusValid), 1)
		r, tok, hit := c.lookup("a")
		if hit || tok.src != nil || r.ID != "" {
			t.Fatalf("a cache that is off answered %+v", r)
		}
		c.forget("a")
		c.down()
		if s := c.stats(); s != (RecordCacheStats{}) {
			t.Fatalf("stats of a cache that is off: %+v", s)
		}
	}
	if o := (Options{}).WithDefaults(); o.RecordCacheSize != 100_000 {
		t.Fatalf("default size %d", o.RecordCacheSize)
	}
	if o := (Options{RecordCacheSize: -1}).WithDefaults(); newRecordCache(o.RecordCacheSize).on() {
		t.Fatal("a negative size did not turn the cache off")
	}
}

// TestRecordCacheConcurrent runs writers of increasing revisions, readers
// and fills against a small cache (under -race): a reader never sees a
// record's revision go back while the stream stays up, and the bound holds.
func TestRecordCacheConcurrent(t *testing.T) {
	const ids, revs, size = 20, 200, 8
	c := liveCache(size)
	var wg sync.WaitGroup
	for i := range ids {
		id := fmt.Sprint("id", i)
		wg.Add(3)
		go func() {
			defer wg.Done()
			for r := uint64(1); r <= revs; r++ {
				c.offer(rec(id, r, credential.StatusValid), 100+r)
			}
		}()
		go func() { // a reader that fills misses with whatever it last saw
			defer wg.Done()
			var last uint64
			for range revs {
				got, tok, hit := c.lookup(id)
				if !hit {
					if last == 0 {
						continue
					}
					got = c.fill(tok, rec(id, last, credential.StatusValid))
				}
				if got.Revision < last && hit {
					t.Errorf("%s went back from revision %d to %d", id, last, got.Revision)
					return
				}
				last = max(last, got.Revision)
			}
		}()
		go func() {
			defer wg.Done()
			for range revs {
				if s := c.stats(); s.Entries > size {
					t.Errorf("%d entries, bound %d", s.Entries, size)
					return
				}
			}
		}()
	}
	wg.Wait()
	// The same under breaks, for the race detector.
	for range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 100 {
				c.down()
				c.goLive(&fakeSource{}, 100)
			}
		}()
		go func() {
			defer wg.Done()
			for r := range uint64(100) {
				_, tok, _ := c.lookup("x")
				c.fill(tok, rec("x", r, credential.StatusValid))
				c.offer(rec("y", r, credential.StatusValid), 100+r)
			}
		}()
	}
	wg.Wait()
}
