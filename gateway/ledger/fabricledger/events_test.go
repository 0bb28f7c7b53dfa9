package fabricledger

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeSource is a peer whose stream the test drives: push delivers an
// event, cut breaks the stream, and height and records are what the peer
// answers.
type fakeSource struct {
	id string

	mu      sync.Mutex
	h       uint64
	down    bool
	records map[string]credential.Record
	// leaves are the anchored leaves by the identifier of their chunk's
	// first credential; leavesErr, when set, is the answer instead.
	leaves    map[string][]credential.AnchorLeaf
	leavesErr error
	opened    []opened
	stream    chan *client.ChaincodeEvent // the open stream's feed
	cutting   chan struct{}
}

type opened struct {
	start     uint64
	cpBlock   uint64
	cpTx      string
	streamNum int
}

func (f *fakeSource) name() string { return f.id }

func (f *fakeSource) events(ctx context.Context, start uint64, cp client.Checkpoint) (<-chan *client.ChaincodeEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errors.New("connection refused")
	}
	feed, cut := make(chan *client.ChaincodeEvent), make(chan struct{})
	f.stream, f.cutting = feed, cut
	f.opened = append(f.opened, opened{start: start, cpBlock: cp.BlockNumber(), cpTx: cp.TransactionID(), streamNum: len(f.opened)})
	out := make(chan *client.ChaincodeEvent)
	go func() { // as the client does: an unbuffered channel closed when the stream ends
		defer close(out)
		for {
			select {
			case ev := <-feed:
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			case <-cut:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (f *fakeSource) height(ctx context.Context) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return 0, io.EOF
	}
	return f.h, nil
}

func (f *fakeSource) record(ctx context.Context, id string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.records[id]
	switch {
	case id == "bad id":
		return nil, status.Error(codes.Unknown, "evaluate call to endorser returned error: "+
			chaincodeResponse(chaincode.EncodeError(credential.Errorf(credential.ReasonInvalidIdentifier, "not an identifier"))))
	case !ok:
		return nil, status.Error(codes.Unknown, "evaluate call to endorser returned error: "+
			chaincodeResponse(chaincode.EncodeError(credential.Errorf(credential.ReasonCredentialNotFound, "credential %s is not on the ledger", id))))
	}
	return json.Marshal(r)
}

func (f *fakeSource) anchorLeaves(ctx context.Context, id string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.leavesErr != nil {
		return nil, f.leavesErr
	}
	l, ok := f.leaves[id]
	if !ok {
		return nil, status.Error(codes.Unknown, "evaluate call to endorser returned error: "+
			chaincodeResponse(chaincode.EncodeError(credential.Errorf(credential.ReasonCredentialNotFound, "%s is not a credential of an anchored batch on the ledger", id))))
	}
	return json.Marshal(l)
}

func (f *fakeSource) set(fn func(f *fakeSource)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeSource) push(t *testing.T, block uint64, name string, payload any) {
	t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	f.send(t, &client.ChaincodeEvent{BlockNumber: block, TransactionID: "tx" + name + string(b[:8]), EventName: name, Payload: b})
}

// send delivers ev on the open stream.
func (f *fakeSource) send(t *testing.T, ev *client.ChaincodeEvent) {
	t.Helper()
	f.mu.Lock()
	feed := f.stream
	f.mu.Unlock()
	select {
	case feed <- ev:
	case <-time.After(5 * time.Second):
		t.Fatal("the listener did not take the event")
	}
}

// cut breaks the open stream and marks the peer down.
func (f *fakeSource) cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = true
	close(f.cutting)
}

func (f *fakeSource) streams() []opened {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]opened(nil), f.opened...)
}

func change(r credential.Record, action credential.Action) chaincode.ChangeEvent {
	r.LastChange.Action = action
	return chaincode.ChangeEvent{ID: r.ID, Change: r.LastChange, Record: &r}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestListenerFeedsCache drives the listener through a fake peer: the cache
// answers once the stream is live, an event replaces what it holds, a
// broken stream empties and bypasses it, the listener moves to the next
// peer resuming from its checkpoint and goes live again only once that
// peer has every block already processed, and Close ends it all.
func TestListenerFeedsCache(t *testing.T) {
	before := runtime.NumGoroutine()
	a := &fakeSource{id: "gov", h: 10, records: map[string]credential.Record{}}
	b := &fakeSource{id: "samr", h: 10, records: map[string]credential.Record{}}
	x := rec("X", 1, credential.StatusValid)
	x.IssueTxID = ""
	a.records["X"], b.records["X"] = x, x
	l := &Ledger{log: slog.New(slog.DiscardHandler), records: newRecordCache(100), blocks: newBlockCache(100)}
	l.events = &listener{cache: l.records, blocks: l.blocks, log: l.log, sources: []eventSource{a, b},
		probe: 20 * time.Millisecond, retry: 10 * time.Millisecond, timeout: time.Second, catchUp: time.Minute}
	l.events.start()
	ctx := context.Background()
	record := func(id string) (credential.Record, bool) {
		r, ok, err := l.cachedRecord(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return r, ok
	}

	eventually(t, "live on gov", func() bool { return l.RecordCacheStats().Live })
	if s := a.streams(); len(s) != 1 || s[0].start != 10 || s[0].cpBlock != 0 {
		t.Fatalf("first stream %+v, want from the height 10", s)
	}
	if r, ok := record("X"); !ok || r.Status != credential.StatusValid {
		t.Fatalf("fill: %+v %v", r, ok)
	}
	if _, ok := record("X"); !ok || l.RecordCacheStats().Hits != 1 {
		t.Fatalf("second read not a hit: %+v", l.RecordCacheStats())
	}
	// Not found on the stream's peer, which may lag: read as before.
	if _, ok, err := l.cachedRecord(ctx, "Q"); ok || err != nil {
		t.Fatalf("not found on the stream's peer: ok %v, %v", ok, err)
	}
	// Any other answer of the contract is the answer.
	if _, ok, err := l.cachedRecord(ctx, "bad id"); !ok || err == nil {
		t.Fatalf("refused by the contract: ok %v, %v", ok, err)
	}

	// Revoked elsewhere: the event replaces the copy held, with no read.
	revoked := x
	revoked.Revision, revoked.Status = 2, credential.StatusRevoked
	a.push(t, 11, chaincode.EventName, change(revoked, credential.ActionRevoke))
	eventually(t, "revocation seen", func() bool { r, _ := record("X"); return r.Status == credential.StatusRevoked })
	// A batch of issuances: inserted with their block.
	y, z := rec("Y", 1, credential.StatusValid), rec("Z", 1, credential.StatusValid)
	a.push(t, 12, chaincode.EventBatchName, []chaincode.ChangeEvent{change(y, credential.ActionIssue), change(z, credential.ActionIssue)})
	eventually(t, "batch seen", func() bool { return l.RecordCacheStats().Entries == 3 })
	if r, ok := record("Z"); !ok || r.BlockNumber != 12 {
		t.Fatalf("Z: %+v %v", r, ok)
	}
	if s := l.RecordCacheStats(); s.Misses != 3 {
		t.Fatalf("events made the cache read the ledger: %+v", s)
	}

	// gov's stream breaks: emptied and bypassed until samr's stream is
	// live, which waits for samr to commit block 12.
	a.cut()
	eventually(t, "down", func() bool { return !l.RecordCacheStats().Live })
	if _, ok := record("X"); ok {
		t.Fatal("answered from the cache while the stream is down")
	}
	eventually(t, "samr subscribed", func() bool { return len(b.streams()) == 1 })
	if s := b.streams()[0]; s.cpBlock != 12 || s.cpTx == "" {
		t.Fatalf("samr's stream does not resume after the last event: %+v", s)
	}
	time.Sleep(100 * time.Millisecond)
	if l.RecordCacheStats().Live {
		t.Fatal("live on a peer that lacks blocks already processed")
	}
	if s := l.RecordCacheStats(); s.Bypasses < 1 || s.Entries != 0 {
		t.Fatalf("stats while down: %+v", s)
	}
	b.set(func(f *fakeSource) { f.h = 14 })
	eventually(t, "live on samr", func() bool { return l.RecordCacheStats().Live })
	// samr replays block 12 (before the height it went live at): it may
	// be older than what samr's reads show, so it is not inserted.
	b.push(t, 12, chaincode.EventBatchName, []chaincode.ChangeEvent{change(y, credential.ActionIssue)})
	b.push(t, 14, chaincode.EventName, change(rec("W", 1, credential.StatusValid), credential.ActionIssue))
	eventually(t, "W inserted", func() bool { _, ok := record("W"); return ok })
	if _, _, hit := l.records.lookup("Y"); hit {
		t.Fatal("a replayed event was inserted")
	}
	b.set(func(f *fakeSource) { f.records["X"] = revoked })
	if r, ok := record("X"); !ok || r.Revision != 2 {
		t.Fatalf("fill from samr: %+v %v", r, ok)
	}

	done := make(chan struct{})
	go func() { l.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung")
	}
	if l.RecordCacheStats().Live {
		t.Fatal("live after Close")
	}
	eventually(t, "goroutines ended", func() bool { return runtime.NumGoroutine() <= before })
}

// TestListenerLeavesSilentPeer: a peer whose stream stays open but that
// stops answering is left, and the cache bypassed meanwhile.
func TestListenerLeavesSilentPeer(t *testing.T) {
	a := &fakeSource{id: "gov", h: 5}
	b := &fakeSource{id: "samr", h: 5}
	c := newRecordCache(10)
	ln := &listener{cache: c, blocks: newBlockCache(10), log: slog.New(slog.DiscardHandler), sources: []eventSource{a, b},
		probe: 20 * time.Millisecond, retry: 10 * time.Millisecond, timeout: time.Second, catchUp: time.Minute}
	ln.start()
	defer ln.stop()
	eventually(t, "live", func() bool { return c.stats().Live })
	a.set(func(f *fakeSource) { f.down = true }) // the stream is not cut
	eventually(t, "on samr", func() bool { return len(b.streams()) == 1 && c.stats().Live })
}

// TestListenerLeavesLaggingPeer: a peer that does not reach the blocks
// already processed in time is left for another.
func TestListenerLeavesLaggingPeer(t *testing.T) {
	a := &fakeSource{id: "gov", h: 5}
	b := &fakeSource{id: "samr", h: 5}
	c := newRecordCache(10)
	ln := &listener{cache: c, blocks: newBlockCache(10), log: slog.New(slog.DiscardHandler), sources: []eventSource{a, b},
		probe: 20 * time.Millisecond, retry: 10 * time.Millisecond, timeout: time.Second, catchUp: 100 * time.Millisecond}
	ln.start()
	defer ln.stop()
	eventually(t, "live", func() bool { return c.stats().Live })
	a.push(t, 20, chaincode.EventName, change(rec("X", 1, credential.StatusValid), credential.ActionIssue))
	a.cut()
	eventually(t, "on samr", func() bool { return len(b.streams()) == 1 })
	a.set(func(f *fakeSource) { f.down, f.h = false, 21 })
	eventually(t, "back on gov", func() bool { return len(a.streams()) == 2 && c.stats().Live })
	if s := a.streams()[1]; s.cpBlock != 20 {
		t.Fatalf("gov's new stream %+v does not resume after block 20", s)
	}
}

// TestListenerReportsChanges: every record change the stream delivers,
// single or batched, reaches the function registered with NotifyChanges,
// and every API key created or revoked the one registered with
// NotifyAPIKeyChanges, so the gateway learns of changes other clients made.
func TestListenerReportsChanges(t *testing.T) {
	a := &fakeSource{id: "gov", h: 5}
	l := &Ledger{log: slog.New(slog.DiscardHandler), records: newRecordCache(10), blocks: newBlockCache(10)}
	var mu sync.Mutex
	var seen []string
	l.NotifyChanges(func(r credential.Record) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.ID+":"+string(r.Status))
	})
	l.NotifyAPIKeyChanges(func(k credential.APIKey) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, k.ID+":"+k.RevokedBy)
	})
	l.events = &listener{cache: l.records, blocks: l.blocks, log: l.log, sources: []eventSource{a}, hook: &l.hook, apiKeys: &l.apiKeys,
		probe: 20 * time.Millisecond, retry: 10 * time.Millisecond, timeout: time.Second, catchUp: time.Minute}
	l.events.start()
	defer l.events.stop()
	eventually(t, "live", func() bool { return l.RecordCacheStats().Live })
	x := rec("X", 2, credential.StatusRevoked)
	a.push(t, 6, chaincode.EventName, change(x, credential.ActionRevoke))
	y, z := rec("Y", 1, credential.StatusValid), rec("Z", 1, credential.StatusSuspended)
	a.push(t, 7, chaincode.EventBatchName, []chaincode.ChangeEvent{change(y, credential.ActionIssue), change(z, credential.ActionIssue)})
	a.push(t, 8, chaincode.EventAPIKeyName, credential.APIKey{ID: "ak_0123456789abcdef", Dept: "samr", RevokedBy: "gov"})
	eventually(t, "four changes reported", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == 4
	})
	if want := "X:revoked Y:valid Z:suspended ak_0123456789abcdef:gov"; strings.Join(seen, " ") != want {
		t.Fatalf("reported %v, want %s", seen, want)
	}
}
