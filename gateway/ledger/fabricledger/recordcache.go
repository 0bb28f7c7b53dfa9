package fabricledger

import (
	"container/list"
	"sync"
	"sync/atomic"

	"github.com/certledger/certledger/credential"
)

// RecordCacheStats counts the record cache's work since Open. It is an
// alias of an unnamed struct so that a package that must not import this
// one (the gateway, which exports these counters as metrics) can name the
// same type in an interface.
type RecordCacheStats = struct {
	Hits      uint64 // Record answered from memory
	Misses    uint64 // Record read from the ledger and cached
	Bypasses  uint64 // Record read from the ledger because the event stream was down
	Evictions uint64 // entries dropped to stay within Options.RecordCacheSize
	Entries   int    // records held now
	Live      bool   // the event stream is connected, so the cache answers
}

// RecordCacheStats returns the record cache's counters (all zero when
// Options.RecordCacheSize is negative, i.e. the cache is off).
func (l *Ledger) RecordCacheStats() RecordCacheStats { return l.records.stats() }

// recordCache holds public records by identifier (least recently used evicted
// first) and answers only while the event stream is live. put keeps the higher
// Revision; offer and fill insert only what no change event can have overtaken.
type recordCache struct {
	max int // 0: off

	mu    sync.Mutex
	items map[string]*list.Element // of *credential.Record
	lru   list.List                // front: most recently used
	live  bool
	// src is the peer the live stream reads; fills read it too.
	src eventSource
	// gen counts the times the cache went down: a fill begun in an
	// earlier generation may predate changes whose events are gone.
	gen uint64
	// liveFrom is the first block whose events the live stream delivers
	// to a cache that only holds reads made at that height or later: a
	// write committed in an earlier block may be older than a change
	// already gone by, so it only replaces, never inserts.
	liveFrom uint64
	// fence counts events that changed records the cache did not hold
	// and could not insert (a replay below liveFrom, an event without its
	// record): a fill begun before one of them may be older than it.
	fence uint64

	hits, misses, bypasses, evictions atomic.Uint64
}

// newRecordCache makes a cache of at most max records; max <= 0 turns it
// off.
func newRecordCache(max int) *recordCache {
	return &recordCache{max: max, items: map[string]*list.Element{}}
}

func (c *recordCache) on() bool { return c != nil && c.max > 0 }

// fillToken is what a fill must show to insert its record: the stream
// generation and fence it began under, and the peer to read.
type fillToken struct {
	src   eventSource // nil: the cache is down, read the ledger as usual
	gen   uint64
	fence uint64
}

// lookup returns the cached record of id, or on a miss the token of a
// fill to make on tok.src. A miss while the stream is down is a bypass
// and returns no source.
func (c *recordCache) lookup(id string) (credential.Record, fillToken, bool) {
	if !c.on() {
		return credential.Record{}, fillToken{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		c.bypasses.Add(1)
		return credential.Record{}, fillToken{}, false
	}
	if e, ok := c.items[id]; ok {
		c.lru.MoveToFront(e)
		c.hits.Add(1)
		return *e.Value.(*credential.Record), fillToken{}, true
	}
	c.misses.Add(1)
	return credential.Record{}, fillToken{src: c.src, gen: c.gen, fence: c.fence}, false
}

// fill caches rec, read on tok.src after lookup gave tok, unless the
// stream broke or delivered a change it could not apply since. It returns
// the copy to answer with: the cached one when it is newer.
func (c *recordCache) fill(tok fillToken, rec credential.Record) credential.Record {
	if !c.on() || tok.src == nil {
		return rec
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.gen != tok.gen {
		return rec
	}
	return c.put(rec, c.fence == tok.fence)
}

// offer hands the cache rec as committed in block, by a change event or this
// gateway's write, unless the stream is down. A record not held is inserted
// only if block >= liveFrom, since its later changes then come as events.
func (c *recordCache) offer(rec credential.Record, block uint64) {
	if !c.on() || rec.ID == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		return
	}
	if _, held := c.items[rec.ID]; !held && block < c.liveFrom {
		c.fence++
		return
	}
	c.put(rec, true)
}

// forget drops id, for a change whose new record is unknown.
func (c *recordCache) forget(id string) {
	if !c.on() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[id]; ok {
		c.lru.Remove(e)
		delete(c.items, id)
	}
	c.fence++
}

// put stores rec if it is newer than the copy held, or inserts it when
// none is held and mayInsert; it returns the copy held afterwards (or rec
// when none). A change's record does not say in which block the
// credential was issued: the held copy's BlockNumber is kept for it.
// Callers hold c.mu.
func (c *recordCache) put(rec credential.Record, mayInsert bool) credential.Record {
	if e, ok := c.items[rec.ID]; ok {
		held := e.Value.(*credential.Record)
		c.lru.MoveToFront(e)
		if rec.Revision <= held.Revision {
			return *held
		}
		if held.BlockNumber != 0 && held.IssueTxID == rec.IssueTxID {
			rec.BlockNumber = held.BlockNumber
		}
		*held = rec
		return rec
	}
	if !mayInsert {
		return rec
	}
	for c.lru.Len() >= c.max {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.items, last.Value.(*credential.Record).ID)
		c.evictions.Add(1)
	}
	r := rec
	c.items[rec.ID] = c.lru.PushFront(&r)
	return rec
}

// goLive lets the cache answer, fed by the stream on src whose events
// from block from on it will apply.
func (c *recordCache) goLive(src eventSource, from uint64) {
	if !c.on() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live, c.src, c.liveFrom = true, src, from
}

// down empties the cache and stops it answering until goLive: without
// the stream, a change made elsewhere would go unseen.
func (c *recordCache) down() {
	if !c.on() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live, c.src = false, nil
	c.clear()
}

// reset empties the cache and lets it go on answering.
func (c *recordCache) reset() {
	if !c.on() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clear()
}

// clear drops every record; fills under way will not insert theirs.
// Callers hold c.mu.
func (c *recordCache) clear() {
	c.gen++
	c.items = map[string]*list.Element{}
	c.lru.Init()
}

func (c *recordCache) stats() RecordCacheStats {
	if !c.on() {
		return RecordCacheStats{}
	}
	c.mu.Lock()
	n, live := len(c.items), c.live
	c.mu.Unlock()
	return RecordCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Bypasses: c.bypasses.Load(),
		Evictions: c.evictions.Load(), Entries: n, Live: live}
}
