package embedded

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/credential/vc"
	"github.com/certledger/certledger/gateway/atrest"
	bolt "go.etcd.io/bbolt"
)

// anchorHolderName starts the holder names of test batches, so the file can
// be searched for them.
const anchorHolderName = "锚定学员"

// residentID is a well-formed resident ID number of its own for row i.
func residentID(i int) string {
	body := fmt.Sprintf("35010219900101%03d", i%1000)
	for _, c := range "0123456789X" {
		if s := body + string(c); credential.ValidResidentID(s) {
			return s
		}
	}
	panic("no check character fits " + body)
}

// anchoredBatch signs n diplomas of the education bureau as the batch seed
// names, as the gateway does for an import, and returns its request and
// documents.
func (f *fixture) anchoredBatch(seed string, n int) (credential.AnchorRequest, []credential.Document) {
	f.t.Helper()
	d, ty := f.depts[demo.Education], f.types["diploma"]
	token := credential.AnchorToken(sha256.Sum256([]byte(seed)))
	docs := make([]credential.Document, n)
	leaves := make([]credential.AnchorLeaf, n)
	for i := range docs {
		holder := credential.Holder{Name: fmt.Sprintf("%s%03d", anchorHolderName, i), IDType: credential.IDResidentCard, IDNumber: residentID(i)}
		doc, err := credential.Issue(credential.IssueParams{
			Type: ty, Issuer: d, Holder: holder, IssuedAt: f.clock.Now(), Serial: credential.AnchoredSerial(token, i),
			Fields: map[string]string{"school": "福建师范大学", "major": "汉语言文学", "level": "本科",
				"graduatedOn": "2025-06-30", "certificateNumber": fmt.Sprintf("1039412025050%05d", i)},
		}, d.Keys[0].ID, f.keys[demo.Education])
		if err != nil {
			f.t.Fatal(err)
		}
		docs[i] = *doc
		leaves[i] = credential.AnchorLeaf{Digest: doc.Proof.Digest, HolderRef: credential.HolderRef(f.holderKey, d.ID, holder.IDType, holder.IDNumber),
			ValidFrom: doc.ValidFrom, ValidUntil: doc.ValidUntil}
	}
	var chunks [][]byte
	for c := 0; c < n; c += credential.AnchorChunkSize {
		b, err := credential.EncodeAnchorChunk(docs[c:min(c+credential.AnchorChunkSize, n)])
		if err != nil {
			f.t.Fatal(err)
		}
		chunks = append(chunks, b)
	}
	return f.anchorRequest(token, leaves, chunks), docs
}

// syntheticBatch is a batch of n leaves whose documents are opaque bytes,
// which the contract stores unread: enough for what reads only leaves.
func (f *fixture) syntheticBatch(seed string, n int) credential.AnchorRequest {
	f.t.Helper()
	leaves := make([]credential.AnchorLeaf, n)
	for i := range leaves {
		dg, h := sha256.Sum256(fmt.Append(nil, seed, "doc", i)), sha256.Sum256(fmt.Append(nil, seed, "holder", i))
		leaves[i] = credential.AnchorLeaf{Digest: hex.EncodeToString(dg[:]), HolderRef: hex.EncodeToString(h[:]), ValidFrom: f.clock.Now()}
	}
	chunks := make([][]byte, credential.AnchorChunks(n))
	for c := range chunks {
		chunks[c] = []byte("opaque")
	}
	return f.anchorRequest(credential.AnchorToken(sha256.Sum256([]byte(seed))), leaves, chunks)
}

func (f *fixture) anchorRequest(token string, leaves []credential.AnchorLeaf, chunks [][]byte) credential.AnchorRequest {
	f.t.Helper()
	d, ty := f.depts[demo.Education], f.types["diploma"]
	from, err := f.ledger.AnchorStatusNext(context.Background(), d.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	root, _ := credential.AnchorRoots(ty.Code, d.USCC, token, leaves)
	rows := sha256.Sum256([]byte("rows of " + token))
	return credential.AnchorRequest{Token: token, Type: ty.Code, KeyID: d.Keys[0].ID, IssuedAt: f.clock.Now(),
		Root: hex.EncodeToString(root[:]), StatusFrom: from, RequestHash: hex.EncodeToString(rows[:]), Leaves: leaves, Chunks: chunks}
}

func (f *fixture) anchor(req credential.AnchorRequest) credential.Anchor {
	f.t.Helper()
	res, err := f.ledger.AnchorBatch(context.Background(), f.msp(demo.Education), req)
	if err != nil {
		f.t.Fatalf("anchor: %v", err)
	}
	return res.Anchor
}

// anchoredFixture is a ledger holding one anchored batch of n signed
// diplomas: its anchor, leaves and documents, and the feed position
// before it.
type anchoredFixture struct {
	*fixture
	a      credential.Anchor
	leaves []credential.AnchorLeaf
	docs   []credential.Document
	before credential.FeedPosition
	seq    uint64 // the anchoring's log sequence
}

const anchoredCount = 300 // two chunks, the second partly filled

func newAnchoredFixture(t *testing.T) *anchoredFixture {
	t.Helper()
	f := newFixture(t)
	req, docs := f.anchoredBatch("diplomas of 2025", anchoredCount)
	before, err := f.ledger.FeedTip(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a := f.anchor(req)
	return &anchoredFixture{fixture: f, a: a, leaves: req.Leaves, docs: docs, before: before, seq: before.Block}
}

// wantRecord is leaf i's record as issued, as the ledger reports it.
func (af *anchoredFixture) wantRecord(i int) credential.Record {
	r := af.a.Record(i, af.leaves[i])
	r.BlockNumber = af.seq
	return r
}

// sampled are leaves at the edges of the chunks.
var sampled = []int{0, 1, 255, 256, anchoredCount - 1}

// checkReads reads sampled credentials as an anchoring left them: record,
// document with a proof leading to the batch's root, history.
func (af *anchoredFixture) checkReads(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	reg, err := af.ledger.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range sampled {
		id := af.a.CredentialID(i)
		rec, err := af.ledger.Record(ctx, id)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if rec != af.wantRecord(i) {
			t.Fatalf("record %d is %+v, want %+v", i, rec, af.wantRecord(i))
		}
		doc, err := af.ledger.Document(ctx, af.msp(demo.Education), id)
		if err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		p := doc.Proof.Anchor
		if doc.ID != id || p == nil || p.Root != af.a.Root || p.Index != i {
			t.Fatalf("document %d: %s with anchor proof %+v", i, doc.ID, p)
		}
		if err := p.Verify(id, af.leaves[i]); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		v := credential.Verify(credential.VerifyInput{Document: &doc, Registry: reg, Record: &rec, Online: true, Now: af.clock.Now()})
		if !v.Valid {
			t.Fatalf("document %d does not verify: %+v", i, v.Checks)
		}
		hs, err := af.ledger.History(ctx, id)
		if err != nil || len(hs) != 1 || hs[0] != rec.LastChange || hs[0].TxID != af.a.TxID {
			t.Fatalf("history %d: %+v, %v", i, hs, err)
		}
	}
}

// follow reads the change feed from pos until it has n transactions.
func follow(t *testing.T, l *Ledger, pos credential.FeedPosition, n int) []credential.FeedTx {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []credential.FeedTx
	err := l.FollowChanges(ctx, pos, func(tx credential.FeedTx) error {
		out = append(out, tx)
		if len(out) == n {
			cancel()
		}
		return nil
	})
	if len(out) != n {
		t.Fatalf("the feed gave %d transactions, want %d: %v", len(out), n, err)
	}
	return out
}

func TestAnchoredBatchReads(t *testing.T) {
	af := newAnchoredFixture(t)
	if af.a.Count != anchoredCount || af.a.IssuerCode != af.depts[demo.Education].USCC || af.seq == 0 {
		t.Fatalf("anchor %+v at %d", af.a, af.seq)
	}
	af.checkReads(t)
	// The same rows again are the first anchoring, which writes nothing.
	req, _ := af.anchoredBatch("diplomas of 2025", anchoredCount)
	res, err := af.ledger.AnchorBatch(context.Background(), af.msp(demo.Education), req)
	if err != nil || !res.Replayed || res.Anchor.TxID != af.a.TxID {
		t.Fatalf("replay: %+v, %v", res, err)
	}
	if tip, _ := af.ledger.FeedTip(context.Background()); tip.Block != af.seq+1 {
		t.Fatalf("a replay wrote: the tip moved to %d", tip.Block)
	}
}

// TestAnchoredCredentialChanges: a revocation writes the credential's own
// record and status entry, reported by the feed as any change, dated by
// the anchoring; the batch's other credentials stay as issued.
func TestAnchoredCredentialChanges(t *testing.T) {
	af := newAnchoredFixture(t)
	ctx := context.Background()
	id := af.a.CredentialID(1)
	af.clock.Advance(time.Hour)
	revoked, err := af.ledger.ChangeStatus(ctx, af.msp(demo.Education), id,
		credential.StatusChange{Action: credential.ActionRevoke, Reason: "信息有误", Code: credential.RevokedWithdrawn})
	if err != nil {
		t.Fatal(err)
	}
	if revoked.Status != credential.StatusRevoked || revoked.Revision != 2 || revoked.BlockNumber != af.seq || revoked.StatusSequence != af.a.StatusFrom+1 {
		t.Fatalf("revoked record %+v", revoked)
	}
	if rec, err := af.ledger.Record(ctx, id); err != nil || rec != revoked {
		t.Fatalf("record after the revocation: %+v, %v; want %+v", rec, err, revoked)
	}
	hs, err := af.ledger.History(ctx, id)
	if err != nil || len(hs) != 2 || hs[0].Action != credential.ActionIssue || hs[1].Action != credential.ActionRevoke {
		t.Fatalf("history: %+v, %v", hs, err)
	}
	list, _ := vc.StatusPosition(af.a.StatusFrom)
	entries, err := af.ledger.StatusEntries(ctx, demo.Education, list)
	want := []credential.StatusEntry{{Sequence: af.a.StatusFrom + 1, ID: id, Status: credential.StatusRevoked}}
	if err != nil || fmt.Sprint(entries) != fmt.Sprint(want) {
		t.Fatalf("status entries of list %d: %v, %v; want %v", list, entries, err, want)
	}
	if rec, err := af.ledger.Record(ctx, af.a.CredentialID(2)); err != nil || rec != af.wantRecord(2) {
		t.Fatalf("a credential left alone: %+v, %v", rec, err)
	}
	txs := follow(t, af.ledger, af.before, 2)
	if len(txs[1].Records) != 1 || txs[1].Records[0] != revoked {
		t.Fatalf("the feed's revocation: %+v, want %+v", txs[1].Records, revoked)
	}
}

// TestAnchoringInTheChangeFeed: an anchoring is one transaction of the
// feed holding every credential of the batch as issued, in leaf order; and
// subscribers get one event per credential.
func TestAnchoringInTheChangeFeed(t *testing.T) {
	f := newFixture(t)
	events, cancel := f.ledger.Subscribe(anchoredCount + 1)
	defer cancel()
	small, cancelSmall := f.ledger.Subscribe(8)
	defer cancelSmall()
	before, err := f.ledger.FeedTip(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := f.anchoredBatch("diplomas of 2025", anchoredCount)
	a := f.anchor(req)
	af := &anchoredFixture{fixture: f, a: a, leaves: req.Leaves, seq: before.Block}

	txs := follow(t, f.ledger, before, 1)
	if txs[0].Position != (credential.FeedPosition{Block: af.seq, TxID: a.TxID}) || len(txs[0].Records) != anchoredCount {
		t.Fatalf("the anchoring came as %+v with %d records", txs[0].Position, len(txs[0].Records))
	}
	for i, r := range txs[0].Records {
		if r != af.wantRecord(i) {
			t.Fatalf("feed record %d is %+v, want %+v", i, r, af.wantRecord(i))
		}
	}
	for i := range anchoredCount {
		ev := <-events
		if ev.ID != a.CredentialID(i) || ev.BlockNumber != af.seq || ev.TxID != a.TxID || ev.Change != af.wantRecord(i).LastChange {
			t.Fatalf("event %d: %+v", i, ev)
		}
	}
	n := 0
	for range small {
		n++
	}
	if n != 8 {
		t.Fatalf("a subscriber with room for 8 events got %d before it was closed", n)
	}
}

// TestChangeFeedBoundsAnchorings: one read of the feed gathers about one
// largest batch, however many anchorings its page of log entries holds.
func TestChangeFeedBoundsAnchorings(t *testing.T) {
	f := newFixture(t)
	from, _ := f.ledger.FeedTip(context.Background())
	first := f.anchor(f.syntheticBatch("first", credential.MaxAnchorLeaves))
	second := f.anchor(f.syntheticBatch("second", 3))
	txs, next, err := f.ledger.ChangesAfter(from.Block, feedPage)
	if err != nil || len(txs) != 1 || len(txs[0].Records) != credential.MaxAnchorLeaves || next != from.Block+1 {
		t.Fatalf("first read: %d transactions, next %d, %v", len(txs), next, err)
	}
	if got := txs[0].Records[credential.MaxAnchorLeaves-1].ID; got != first.CredentialID(credential.MaxAnchorLeaves-1) {
		t.Fatalf("the last record is %s", got)
	}
	txs, _, err = f.ledger.ChangesAfter(next, feedPage)
	if err != nil || len(txs) != 1 || len(txs[0].Records) != 3 || txs[0].Position.TxID != second.TxID {
		t.Fatalf("second read: %+v, %v", txs, err)
	}
}

// TestAnchoredBatchSurvivesReopen: reads and the feed are the same after
// the ledger is closed and opened again.
func TestAnchoredBatchSurvivesReopen(t *testing.T) {
	af := newAnchoredFixture(t)
	af.reopen()
	if n, err := af.ledger.VerifyChain(); err != nil || n != af.seq {
		t.Fatalf("VerifyChain after reopening: %d, %v; want %d", n, err, af.seq)
	}
	af.checkReads(t)
	txs := follow(t, af.ledger, af.before, 1)
	if len(txs[0].Records) != anchoredCount || txs[0].Records[anchoredCount-1] != af.wantRecord(anchoredCount-1) {
		t.Fatalf("the feed after reopening: %d records", len(txs[0].Records))
	}
	if next, err := af.ledger.AnchorStatusNext(context.Background(), demo.Education); err != nil || next != af.a.StatusFrom+anchoredCount {
		t.Fatalf("next status position after reopening: %d, %v", next, err)
	}
}

// TestAnchoredDocumentsAreSealed: a batch's chunks of documents are private
// values sealed under the KEK like single documents (not the gzip the
// contract was given), and a KEK rotation reseals them.
func TestAnchoredDocumentsAreSealed(t *testing.T) {
	af := newAnchoredFixture(t)
	if err := af.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	chunks := func() map[string][]byte {
		out := map[string][]byte{}
		for k, v := range storedPrivate(t, af.dir) {
			if strings.HasPrefix(k, privateKey(chaincode.DocumentCollection(af.msp(demo.Education)), "anchordoc/")) {
				out[k] = v
			}
		}
		if len(out) != af.a.Chunks() {
			t.Fatalf("%d chunks of documents stored, want %d", len(out), af.a.Chunks())
		}
		return out
	}
	sealed := chunks()
	for k, v := range sealed {
		if bytes.HasPrefix(v, []byte{0x1f, 0x8b}) {
			t.Errorf("chunk %s is stored as gzip", k)
		}
		if _, err := credential.DecodeAnchorChunk(v); err == nil {
			t.Errorf("chunk %s decodes as stored", k)
		}
	}
	raw := rawLedger(t, af.dir)
	mustHoldNone(t, raw, anchorHolderName, residentID(0), residentID(anchoredCount-1), "汉语言文学")

	next := atrest.Generate()
	if changed, err := Rekey(af.dir, testKEK, next); err != nil || !changed {
		t.Fatalf("Rekey: %v, %v", changed, err)
	}
	for k, v := range chunks() {
		if bytes.Equal(v, sealed[k]) {
			t.Errorf("chunk %s was not resealed", k)
		}
	}
	l, err := Open(af.dir, next, WithClock(af.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	af.ledger = l // closed by the fixture's cleanup
	af.checkReads(t)
	if n, err := l.VerifyChain(); err != nil || n != af.seq {
		t.Fatalf("VerifyChain after Rekey: %d, %v", n, err)
	}
	// The holder names are in the documents, sealed.
	doc, err := l.Document(context.Background(), af.msp(demo.Education), af.a.CredentialID(7))
	if err != nil || doc.Holder().Name != anchorHolderName+"007" {
		t.Fatalf("document 7 after Rekey: %v", err)
	}
}

// TestGetAnchorLeaves: the contract's query answers the chunk that holds a
// credential of a batch, and refuses what names none.
func TestGetAnchorLeaves(t *testing.T) {
	f := newFixture(t)
	req := f.syntheticBatch("leaves", 300)
	a := f.anchor(req)
	single := f.issue(f.licence("福州海峡数据有限公司"))
	beyond := credential.Identifier{TypeCode: a.Type, Issuer: a.IssuerCode, Serial: credential.AnchoredSerial(a.Token, 300), Version: 1}.String()
	tests := []struct {
		name  string
		id    string
		want  []credential.AnchorLeaf
		wantR credential.Reason
	}{
		{"the first credential", a.CredentialID(0), req.Leaves[:256], ""},
		{"inside the second chunk", a.CredentialID(299), req.Leaves[256:], ""},
		{"past the batch's end", beyond, nil, credential.ReasonCredentialNotFound},
		{"a single issuance", single.ID, nil, credential.ReasonCredentialNotFound},
		{"no identifier", "batch", nil, credential.ReasonInvalidIdentifier},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []credential.AnchorLeaf
			err := f.ledger.view("", func(tx chaincode.Tx, _ *bolt.Tx) (err error) {
				got, err = chaincode.GetAnchorLeaves(tx, tt.id)
				return err
			})
			if credential.ErrorReason(err) != tt.wantR || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %d leaves, %v; want %d, reason %q", len(got), err, len(tt.want), tt.wantR)
			}
		})
	}
}
