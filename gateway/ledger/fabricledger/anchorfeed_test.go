package fabricledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// testAnchor is an anchoring of n credentials as the contract reports it,
// and its leaves.
func testAnchor(n int) (credential.Anchor, []credential.AnchorLeaf) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	leaves := make([]credential.AnchorLeaf, n)
	for i := range leaves {
		d, h := sha256.Sum256(fmt.Append(nil, "doc", i)), sha256.Sum256(fmt.Append(nil, "holder", i))
		leaves[i] = credential.AnchorLeaf{Digest: hex.EncodeToString(d[:]), HolderRef: hex.EncodeToString(h[:]),
			ValidFrom: from, ValidUntil: from.AddDate(5, 0, 0)}
	}
	token := credential.AnchorToken(sha256.Sum256(fmt.Append(nil, "batch", n)))
	const issuerCode, typeCode = "11100000MB0300013R", "11100000MB0300013R001"
	root, chunks := credential.AnchorRoots(typeCode, issuerCode, token, leaves)
	a := credential.Anchor{Token: token, Type: typeCode, Issuer: "edu", IssuerCode: issuerCode, KeyID: "edu-2026",
		IssuedAt: from, Count: n, Root: hex.EncodeToString(root[:]), StatusFrom: credential.AnchorStatusBase,
		MSPID: "EduMSP", TxID: fmt.Sprintf("%064x", n), Time: from}
	for _, c := range chunks {
		a.ChunkRoots = append(a.ChunkRoots, hex.EncodeToString(c[:]))
	}
	return a, leaves
}

// peerWithLeaves is a peer that answers the anchor's leaves.
func peerWithLeaves(id string, a credential.Anchor, leaves []credential.AnchorLeaf) *fakeSource {
	f := &fakeSource{id: id, records: map[string]credential.Record{}, leaves: map[string][]credential.AnchorLeaf{}}
	for first := 0; first < len(leaves); first += credential.AnchorChunkSize {
		f.leaves[a.CredentialID(first)] = leaves[first:min(first+credential.AnchorChunkSize, len(leaves))]
	}
	return f
}

func anchorEvent(t *testing.T, a credential.Anchor, block uint64) *client.ChaincodeEvent {
	t.Helper()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return &client.ChaincodeEvent{BlockNumber: block, TransactionID: a.TxID, EventName: chaincode.EventAnchorName, Payload: b}
}

// TestAnchorRecords: an anchoring expands into every credential of its
// batch as issued, in leaf order, whatever its size; a peer that answers
// no leaves or too few fails the expansion rather than shorten it.
func TestAnchorRecords(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		peer    func(f *fakeSource, a credential.Anchor)
		wantErr bool
	}{
		{"one credential", 1, nil, false},
		{"one full chunk", credential.AnchorChunkSize, nil, false},
		{"a chunk and one", credential.AnchorChunkSize + 1, nil, false},
		{"the largest batch", credential.MaxAnchorLeaves, nil, false},
		{"the peer fails", 300, func(f *fakeSource, _ credential.Anchor) { f.leavesErr = errors.New("connection refused") }, true},
		{"the peer lacks a chunk", 300, func(f *fakeSource, a credential.Anchor) { delete(f.leaves, a.CredentialID(256)) }, true},
		{"the peer answers a short chunk", 300, func(f *fakeSource, a credential.Anchor) {
			f.leaves[a.CredentialID(0)] = f.leaves[a.CredentialID(0)][:255]
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, leaves := testAnchor(tt.n)
			src := peerWithLeaves("gov", a, leaves)
			if tt.peer != nil {
				tt.peer(src, a)
			}
			recs, err := eventRecords(context.Background(), src, anchorEvent(t, a, 9), time.Second)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %d records and no error", len(recs))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != tt.n {
				t.Fatalf("got %d records, want %d", len(recs), tt.n)
			}
			for i, r := range recs {
				want := a.Record(i, leaves[i])
				want.BlockNumber = 9
				if r != want {
					t.Fatalf("record %d is %+v, want %+v", i, r, want)
				}
			}
		})
	}
}

func TestAnchorEventWithoutABatchReportsNothing(t *testing.T) {
	for _, payload := range []string{`{not json`, `{"token":"0123456789AB","count":0}`, `{"token":"0123456789AB","count":9000}`} {
		ev := &client.ChaincodeEvent{BlockNumber: 3, EventName: chaincode.EventAnchorName, Payload: []byte(payload)}
		recs, err := eventRecords(context.Background(), &fakeSource{id: "gov"}, ev, time.Second)
		if err != nil || len(recs) != 0 {
			t.Errorf("%s: %d records, %v", payload, len(recs), err)
		}
	}
}

// TestFollowOnDeliversAnchoringWhole: the change feed hands an anchoring
// over as one transaction holding every credential, between the changes
// before and after it; a peer that cannot give the leaves ends the stream
// before the anchoring's position, so following on from it (on another
// peer) delivers the anchoring again.
func TestFollowOnDeliversAnchoringWhole(t *testing.T) {
	a, leaves := testAnchor(600)
	var mu sync.Mutex
	var got []credential.FeedTx
	take := func(tx credential.FeedTx) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, tx)
		return nil
	}
	taken := func() []credential.FeedTx {
		mu.Lock()
		defer mu.Unlock()
		return append([]credential.FeedTx(nil), got...)
	}
	follow := func(src *fakeSource, pos *credential.FeedPosition) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := followOn(context.Background(), src, pos, take, time.Second)
			done <- err
		}()
		eventually(t, "subscribed", func() bool { return len(src.streams()) > 0 })
		return done
	}

	broken := peerWithLeaves("gov", a, leaves)
	broken.leavesErr = errors.New("connection refused")
	pos := credential.FeedPosition{Block: 5}
	done := follow(broken, &pos)
	broken.push(t, 5, chaincode.EventName, change(rec("X", 2, credential.StatusRevoked), credential.ActionRevoke))
	broken.send(t, anchorEvent(t, a, 6))
	if err := <-done; err == nil || errors.As(err, new(consumerError)) {
		t.Fatalf("followOn on a peer without the leaves: %v, want the peer's failure", err)
	}
	if len(taken()) != 1 || pos.Block != 5 || pos.TxID == "" {
		t.Fatalf("after the failed anchoring: took %d, position %+v; want the revocation only, and its position", len(taken()), pos)
	}

	good := peerWithLeaves("samr", a, leaves)
	done = follow(good, &pos)
	if s := good.streams()[0]; s.cpBlock != 5 || s.cpTx != pos.TxID {
		t.Fatalf("the next stream does not resume after the revocation: %+v", s)
	}
	good.send(t, anchorEvent(t, a, 6))
	good.push(t, 7, chaincode.EventName, change(rec("Y", 2, credential.StatusSuspended), credential.ActionSuspend))
	eventually(t, "three transactions", func() bool { return len(taken()) == 3 })
	good.cut()
	<-done
	txs := taken()
	anchoring := txs[1]
	if anchoring.Position != (credential.FeedPosition{Block: 6, TxID: a.TxID}) || len(anchoring.Records) != a.Count {
		t.Fatalf("the anchoring came as %+v with %d records", anchoring.Position, len(anchoring.Records))
	}
	for i, r := range anchoring.Records {
		if r.ID != a.CredentialID(i) || r.LastChange.Action != credential.ActionIssue || r.Digest != leaves[i].Digest || r.BlockNumber != 6 {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	if txs[2].Records[0].ID != "Y" || pos.Block != 7 {
		t.Fatalf("after the anchoring: %+v, position %+v", txs[2], pos)
	}
}

// TestListenerTakesAnchoring: an anchoring leaves the record cache as it
// was and reports nothing to NotifyChanges; a credential of the batch is
// filled on a miss with the anchoring's block, and its later change comes
// as a change event that replaces the copy and is reported.
func TestListenerTakesAnchoring(t *testing.T) {
	a, leaves := testAnchor(3)
	src := peerWithLeaves("gov", a, leaves)
	src.h = 5
	l := &Ledger{log: slog.New(slog.DiscardHandler), records: newRecordCache(10), blocks: newBlockCache(10)}
	var mu sync.Mutex
	var seen []string
	l.NotifyChanges(func(r credential.Record) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.ID+":"+string(r.Status))
	})
	l.events = &listener{cache: l.records, blocks: l.blocks, log: l.log, sources: []eventSource{src}, hook: &l.hook,
		probe: 20 * time.Millisecond, retry: 10 * time.Millisecond, timeout: time.Second, catchUp: time.Minute}
	l.events.start()
	defer l.events.stop()
	eventually(t, "live", func() bool { return l.RecordCacheStats().Live })

	id := a.CredentialID(1)
	src.set(func(f *fakeSource) { f.records[id] = a.Record(1, leaves[1]) })
	src.send(t, anchorEvent(t, a, 6))
	eventually(t, "the anchoring's block known", func() bool { _, ok := l.blocks.get(a.TxID); return ok })
	if s := l.RecordCacheStats(); s.Entries != 0 || !s.Live {
		t.Fatalf("the anchoring changed the cache: %+v", s)
	}
	ctx := context.Background()
	r, ok, err := l.cachedRecord(ctx, id)
	if err != nil || !ok || r.Revision != 1 || r.BlockNumber != 6 {
		t.Fatalf("fill of an anchored credential: %+v %v %v", r, ok, err)
	}
	if _, ok, _ := l.cachedRecord(ctx, id); !ok || l.RecordCacheStats().Hits != 1 {
		t.Fatalf("second read not a hit: %+v", l.RecordCacheStats())
	}

	revoked := a.Record(1, leaves[1])
	revoked.Revision, revoked.Status = 2, credential.StatusRevoked
	src.push(t, 7, chaincode.EventName, change(revoked, credential.ActionRevoke))
	eventually(t, "revocation seen", func() bool {
		r, _, _ := l.cachedRecord(ctx, id)
		return r.Status == credential.StatusRevoked
	})
	if r, _, _ := l.cachedRecord(ctx, id); r.BlockNumber != 6 {
		t.Fatalf("the revoked copy is dated block %d, not the anchoring's 6", r.BlockNumber)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != id+":revoked" {
		t.Fatalf("NotifyChanges was told %v, want the revocation only", seen)
	}
}
