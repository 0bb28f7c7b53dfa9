package embedded

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// issueAt issues a licence of samr at status sequence seq.
func (f *fixture) issueAt(name string, seq uint64) (credential.Record, error) {
	req := f.request(f.licence(name))
	req.StatusSequence = seq
	res, err := f.ledger.Issue(context.Background(), f.msp(demo.Market), req)
	return res.Record, err
}

func (f *fixture) entries(dept string, list uint64) []credential.StatusEntry {
	f.t.Helper()
	es, err := f.ledger.StatusEntries(context.Background(), dept, list)
	if err != nil {
		f.t.Fatal(err)
	}
	return es
}

func TestStatusSequenceAllocation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const seq = 7*chaincode.StatusListSize + 1234
	first, err := f.issueAt("序号公司", seq)
	if err != nil {
		t.Fatal(err)
	}
	if first.StatusSequence != seq {
		t.Fatalf("record has sequence %d, want %d", first.StatusSequence, seq)
	}
	if got, err := f.ledger.StatusSequence(ctx, first.ID); err != nil || got != seq {
		t.Fatalf("StatusSequence = %d, %v; want %d", got, err, seq)
	}

	t.Run("a taken sequence is a conflict naming it, and nothing is written", func(t *testing.T) {
		req := f.request(f.licence("撞号公司"))
		req.StatusSequence = seq
		_, err := f.ledger.Issue(ctx, f.msp(demo.Market), req)
		wantCode(t, err, credential.CodeConflict)
		if !credential.IsStatusSequenceTaken(err, seq) || credential.IsStatusSequenceTaken(err, seq+1) {
			t.Fatalf("IsStatusSequenceTaken does not recognise %v", err)
		}
		_, err = f.ledger.Record(ctx, req.Document.ID)
		wantCode(t, err, credential.CodeNotFound)
		if es := f.entries(demo.Market, 7); len(es) != 1 || es[0].ID != first.ID {
			t.Fatalf("list 7 after the conflict: %+v", es)
		}
	})

	t.Run("a serial collision is not mistaken for a taken sequence", func(t *testing.T) {
		req := f.request(f.licence("序号公司二"))
		req.StatusSequence = seq + 1
		if _, err := f.ledger.Issue(ctx, f.msp(demo.Market), req); err != nil {
			t.Fatal(err)
		}
		req.StatusSequence = seq + 2
		_, err := f.ledger.Issue(ctx, f.msp(demo.Market), req)
		wantCode(t, err, credential.CodeConflict)
		if credential.IsStatusSequenceTaken(err, seq+2) {
			t.Fatalf("%v read as a taken sequence", err)
		}
	})

	t.Run("sequences are per department", func(t *testing.T) {
		req := f.request(f.document(demo.Education, "diploma", map[string]string{
			"school": "北京大学", "major": "法学", "level": "本科", "graduatedOn": "2025-07-01", "certificateNumber": "100011202505000456"}))
		req.StatusSequence = seq
		res, err := f.ledger.Issue(ctx, f.msp(demo.Education), req)
		if err != nil {
			t.Fatalf("edu cannot use a number samr holds: %v", err)
		}
		if es := f.entries(demo.Education, 7); len(es) != 1 || es[0].ID != res.Record.ID {
			t.Fatalf("edu's list 7: %+v", es)
		}
	})

	t.Run("bounds", func(t *testing.T) {
		// Single issuances draw below the lists of anchored batches.
		for _, seq := range []uint64{credential.AnchorStatusBase, chaincode.MaxStatusSequence - 1, chaincode.MaxStatusSequence} {
			_, err := f.issueAt("越界公司", seq)
			wantCode(t, err, credential.CodeInvalid)
		}
		last, err := f.issueAt("末号公司", credential.AnchorStatusBase-1)
		if err != nil {
			t.Fatal(err)
		}
		if es := f.entries(demo.Market, credential.AnchorStatusListBase-1); len(es) != 1 || es[0].ID != last.ID {
			t.Fatalf("last list of single issuances: %+v", es)
		}
		if es := f.entries(demo.Market, chaincode.MaxStatusList); len(es) != 0 {
			t.Fatalf("last list: %+v", es)
		}
		_, err = f.ledger.StatusEntries(ctx, demo.Market, chaincode.MaxStatusList+1)
		wantCode(t, err, credential.CodeInvalid)
		_, err = f.ledger.StatusEntries(ctx, "samr/0000000007", 0)
		wantCode(t, err, credential.CodeInvalid)
	})

	t.Run("no sequence asks for no position", func(t *testing.T) {
		rec := f.issue(f.licence("无序号公司"))
		if got, err := f.ledger.StatusSequence(ctx, rec.ID); err != nil || got != 0 || rec.StatusSequence != 0 {
			t.Fatalf("StatusSequence = %d, %v; record %d", got, err, rec.StatusSequence)
		}
		if _, err := f.ledger.ChangeStatus(ctx, f.msp(demo.Market), rec.ID, credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查"}); err != nil {
			t.Fatal(err)
		}
		if es := f.entries(demo.Market, 0); len(es) != 0 {
			t.Fatalf("a credential without a sequence appeared in list 0: %+v", es)
		}
	})

	t.Run("an idempotent replay keeps the first sequence and takes no other", func(t *testing.T) {
		req := f.request(f.licence("重放公司"))
		req.IdempotencyKey, req.RequestHash, req.StatusSequence = "replay-key", "replay-hash", 3*chaincode.StatusListSize+5
		res, err := f.ledger.Issue(ctx, f.msp(demo.Market), req)
		if err != nil {
			t.Fatal(err)
		}
		req.StatusSequence = 3*chaincode.StatusListSize + 6
		again, err := f.ledger.Issue(ctx, f.msp(demo.Market), req)
		if err != nil || !again.Replayed || again.Record.StatusSequence != res.Record.StatusSequence {
			t.Fatalf("replay: %+v, %v", again, err)
		}
		if es := f.entries(demo.Market, 3); len(es) != 1 || es[0].Sequence != 3*chaincode.StatusListSize+5 {
			t.Fatalf("list 3 after the replay: %+v", es)
		}
	})
}

// The index follows every status change in the same transaction as the
// record, and survives a reopen (which re-verifies state against the log).
func TestStatusIndexFollowsChanges(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const seq = 2*chaincode.StatusListSize + 40
	rec, err := f.issueAt("变更公司", seq)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		change credential.StatusChange
		want   credential.Status
	}{
		{credential.StatusChange{Action: credential.ActionSuspend, Reason: "年报未公示"}, credential.StatusSuspended},
		{credential.StatusChange{Action: credential.ActionReinstate, Reason: "已补报"}, credential.StatusValid},
		{credential.StatusChange{Action: credential.ActionRevoke, Reason: "虚假登记", Code: credential.RevokedPenalty}, credential.StatusRevoked},
	}
	want := []credential.StatusEntry{{Sequence: seq, ID: rec.ID, Status: credential.StatusValid}}
	if got := f.entries(demo.Market, 2); !slices.Equal(got, want) {
		t.Fatalf("after issue: %+v", got)
	}
	for _, s := range steps {
		t.Run(string(s.change.Action), func(t *testing.T) {
			if _, err := f.ledger.ChangeStatus(ctx, f.msp(demo.Market), rec.ID, s.change); err != nil {
				t.Fatal(err)
			}
			want[0].Status = s.want
			if got := f.entries(demo.Market, 2); !slices.Equal(got, want) {
				t.Fatalf("index %+v, want %+v", got, want)
			}
		})
	}
	// A rejected change leaves the index alone.
	_, err = f.ledger.ChangeStatus(ctx, f.msp(demo.Market), rec.ID, steps[0].change)
	wantCode(t, err, credential.CodeConflict)
	f.reopen()
	if got := f.entries(demo.Market, 2); !slices.Equal(got, want) {
		t.Fatalf("after reopen: %+v, want %+v", got, want)
	}
}

// GetStatusEntries reads exactly one list, in sequence order, whatever the
// order of issuance. (Sequence 0 means "no position", so list 0 starts at 1.)
func TestStatusEntriesOneListInOrder(t *testing.T) {
	f := newFixture(t)
	const L = chaincode.StatusListSize
	seqs := []uint64{L + 900, 2*L - 1, L, L + 17, 1, 2 * L, 2*L + 1, L - 1}
	ids := map[uint64]string{}
	for i, s := range seqs {
		rec, err := f.issueAt("排序公司"+strconvU(uint64(i)), s)
		if err != nil {
			t.Fatalf("sequence %d: %v", s, err)
		}
		ids[s] = rec.ID
	}
	for _, tc := range []struct {
		list uint64
		want []uint64
	}{
		{0, []uint64{1, L - 1}},
		{1, []uint64{L, L + 17, L + 900, 2*L - 1}},
		{2, []uint64{2 * L, 2*L + 1}},
		{3, nil},
	} {
		got := f.entries(demo.Market, tc.list)
		if len(got) != len(tc.want) {
			t.Fatalf("list %d: %+v, want sequences %v", tc.list, got, tc.want)
		}
		for i, e := range got {
			if e.Sequence != tc.want[i] || e.ID != ids[e.Sequence] || e.Status != credential.StatusValid {
				t.Fatalf("list %d entry %d: %+v, want sequence %d (%s)", tc.list, i, e, tc.want[i], ids[tc.want[i]])
			}
		}
	}
	if es := f.entries(demo.Education, 1); len(es) != 0 {
		t.Fatalf("edu's list 1 holds samr's credentials: %+v", es)
	}
}

// Concurrent issuances that drew the same number: exactly one gets it, the
// others are told it is taken (the committer re-simulates them on the state
// the winner left), and no record of a loser is written.
func TestConcurrentSameSequence(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const seq = 99
	const n = 8
	reqs := make([]credential.IssueRequest, n)
	for i := range reqs {
		reqs[i] = f.request(f.licence("并发公司" + strconvU(uint64(i))))
		reqs[i].StatusSequence = seq
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.ledger.Issue(ctx, f.msp(demo.Market), reqs[i])
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("requests %d and %d both got sequence %d", winner, i, seq)
		case err == nil:
			winner = i
		case !credential.IsStatusSequenceTaken(err, seq):
			t.Fatalf("request %d: %v, want sequence taken", i, err)
		default:
			_, rerr := f.ledger.Record(ctx, reqs[i].Document.ID)
			wantCode(t, rerr, credential.CodeNotFound)
		}
	}
	if winner < 0 {
		t.Fatal("no request got the sequence")
	}
	if es := f.entries(demo.Market, 0); len(es) != 1 || es[0].ID != reqs[winner].Document.ID {
		t.Fatalf("list 0: %+v", es)
	}
}
