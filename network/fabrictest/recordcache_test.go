package fabrictest

import (
	"context"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	gwpkg "github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/ledger/fabricledger"
	"github.com/certledger/certledger/network"
)

// The fabric backend's record cache counters are what /metrics exports.
var _ gwpkg.RecordCacheLedger = (*fabricledger.Ledger)(nil)

// openLedger opens a fabric backend of its own on the package's network (a
// gateway separate from the serve process) and waits until its record
// cache is live.
func openLedger(t *testing.T) *fabricledger.Ledger {
	t.Helper()
	l, err := fabricledger.Open(context.Background(), profile, fabricledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	waitFor(t, "the record cache to go live", func() bool { return l.RecordCacheStats().Live })
	return l
}

func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("not within 5s: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

// issueUntracked issues a business licence through the serve process,
// without adding it to the credentials the drills expect valid.
func issueUntracked(t *testing.T) issued {
	t.Helper()
	g := gateway(t)
	var out issued
	if _, err := call(g.URL(), "POST", "/api/v1/credentials", g.Keys()["samr"].APIKey, requestFor("samr", int(serial.Add(1))+7000), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitStreamPeerHas waits until the governance peer, whose events l's record
// cache follows and on which it fills a miss, has committed block. The serve
// process's commit status comes from the issuer's peer: until governance has
// the block too, a fill finds nothing and l reads the issuer's peers uncached.
func waitStreamPeerHas(t *testing.T, l *fabricledger.Ledger, block uint64) {
	t.Helper()
	took := waitFor(t, "the governance peer to commit the issuance's block", func() bool {
		tip, err := l.FeedTip(context.Background()) // asks governance first, as the cache does
		return err == nil && tip.Block > block
	})
	t.Logf("the governance peer had block %d after %s", block, took.Round(time.Millisecond))
}

func recordOf(t *testing.T, l *fabricledger.Ledger, id string) credential.Record {
	t.Helper()
	r, err := l.Record(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRecordCacheFollowsOtherGateway: gateway A caches a credential when
// verifying it; gateway B revokes it; A answers revoked within the event
// delivery delay, from its cache (a hit, no ledger read), and so does the
// serve process. B answers its own write at once.
func TestRecordCacheFollowsOtherGateway(t *testing.T) {
	need(t)
	ctx := context.Background()
	x := issueUntracked(t)
	a, b := openLedger(t), openLedger(t)
	samr, _ := profile.Department("samr")
	waitStreamPeerHas(t, a, x.Record.BlockNumber)

	if r := recordOf(t, a, x.ID); r.Status != credential.StatusValid || r.BlockNumber != x.Record.BlockNumber || r.Revision != 1 {
		t.Fatalf("A reads %+v, issued in block %d", r, x.Record.BlockNumber)
	}
	before := a.RecordCacheStats()
	if recordOf(t, a, x.ID); a.RecordCacheStats().Hits != before.Hits+1 {
		t.Fatalf("A's second read was not a hit: %+v", a.RecordCacheStats())
	}
	before = a.RecordCacheStats()

	changed, err := b.ChangeStatus(ctx, samr.MSPID, x.ID, credential.StatusChange{Action: credential.ActionRevoke,
		Reason: "吊销：缓存测试", Code: credential.RevokedPenalty})
	if err != nil {
		t.Fatal(err)
	}
	if r := recordOf(t, b, x.ID); r.Status != credential.StatusRevoked || b.RecordCacheStats().Hits == 0 {
		t.Fatalf("B does not answer its own revocation from its cache: %+v %+v", r, b.RecordCacheStats())
	}
	var seen credential.Record
	took := waitFor(t, "A to see the revocation", func() bool {
		seen = recordOf(t, a, x.ID)
		return seen.Status == credential.StatusRevoked
	})
	t.Logf("A saw the revocation made through B %s after B's commit status", took.Round(time.Millisecond))
	after := a.RecordCacheStats()
	if after.Misses != before.Misses || after.Bypasses != before.Bypasses || after.Hits <= before.Hits {
		t.Fatalf("A did not answer from the cache updated by the event: before %+v, after %+v", before, after)
	}
	if seen.Revision != changed.Revision || seen.Revision != 2 || seen.BlockNumber != x.Record.BlockNumber ||
		seen.RevocationCode != credential.RevokedPenalty || seen.LastChange.TxID != changed.LastChange.TxID {
		t.Fatalf("A's record %+v, B's %+v", seen, changed)
	}
	waitFor(t, "the serve process to verify it as revoked", func() bool {
		return verify(t, x.Document).Status == string(credential.StatusRevoked)
	})
}

// TestRecordCacheStreamPeerKilled kills the governance peer that gateway A's
// event stream reads: A empties its cache and reads the ledger (bypass)
// until its stream is back on another department's peer, which then
// carries the next change to it.
func TestRecordCacheStreamPeerKilled(t *testing.T) {
	need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	x := issueUntracked(t)
	a, b := openLedger(t), openLedger(t)
	samr, _ := profile.Department("samr")
	gov := ""
	for _, d := range profile.Departments {
		if d.Governance {
			gov = d.Peers[0].Name
		}
	}
	waitStreamPeerHas(t, a, x.Record.BlockNumber)
	recordOf(t, a, x.ID)
	if recordOf(t, a, x.ID); a.RecordCacheStats().Hits == 0 {
		t.Fatalf("not cached: %+v", a.RecordCacheStats())
	}

	if err := network.StopNode(netDir, gov, true); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := network.StartNode(ctx, netDir, gov); err != nil {
			t.Errorf("restart %s: %v", gov, err)
		}
	}()
	waitFor(t, "A's stream to break", func() bool { return !a.RecordCacheStats().Live })
	down := a.RecordCacheStats()
	if down.Entries != 0 {
		t.Fatalf("the cache kept %d records after its stream broke", down.Entries)
	}
	if r := recordOf(t, a, x.ID); r.Status != credential.StatusValid {
		t.Fatalf("read while the stream is down: %+v", r)
	}
	if s := a.RecordCacheStats(); s.Bypasses != down.Bypasses+1 {
		t.Fatalf("a read while the stream was down did not bypass the cache: %+v", s)
	}

	took := waitFor(t, "A's stream back on another peer", func() bool { return a.RecordCacheStats().Live })
	t.Logf("stream back %s after it broke", took.Round(time.Millisecond))
	recordOf(t, a, x.ID) // a miss: the cache was emptied
	before := a.RecordCacheStats()
	if before.Misses != down.Misses+1 {
		t.Fatalf("the first read after the stream came back was not a miss: %+v, down %+v", before, down)
	}
	if _, err := b.ChangeStatus(ctx, samr.MSPID, x.ID, credential.StatusChange{Action: credential.ActionSuspend, Reason: "暂扣：缓存测试"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A to see the suspension", func() bool { return recordOf(t, a, x.ID).Status == credential.StatusSuspended })
	if s := a.RecordCacheStats(); s.Misses != before.Misses || s.Hits <= before.Hits {
		t.Fatalf("the suspension did not reach A's cache through the new stream: before %+v, after %+v", before, s)
	}
}
