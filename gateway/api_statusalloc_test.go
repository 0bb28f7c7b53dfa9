package gateway_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
	"github.com/certledger/certledger/gateway"
)

// drawLedger sits in front of the real embedded ledger and records the
// status sequence numbers the gateway draws. It answers the first refuse
// issuances as the contract does when the number is taken, and records the
// credential without a position when stripPositions is set, as the ledger
// holds credentials issued before positions existed.
type drawLedger struct {
	credential.Ledger
	mu             sync.Mutex
	refuse         int
	stripPositions bool
	draws          []uint64
}

func (l *drawLedger) Issue(ctx context.Context, msp string, req credential.IssueRequest) (credential.IssueResult, error) {
	l.mu.Lock()
	l.draws = append(l.draws, req.StatusSequence)
	refuse := len(l.draws) <= l.refuse
	if l.stripPositions {
		req.StatusSequence = 0
	}
	l.mu.Unlock()
	if refuse {
		return credential.IssueResult{}, credential.StatusSequenceTaken("samr", req.StatusSequence)
	}
	return l.Ledger.Issue(ctx, msp, req)
}

func withDrawLedger(dl *drawLedger) envOption {
	return func(_ *gateway.Config, w *ledgerWrap) {
		w.wrap = func(l credential.Ledger) credential.Ledger {
			dl.Ledger = l
			return dl
		}
	}
}

func TestIssueDrawsAgainWhenThePositionIsTaken(t *testing.T) {
	dl := &drawLedger{refuse: 2}
	e := newAPIEnv(t, withDrawLedger(dl))
	lic := e.mustIssue(t, "重抽有限公司")
	if len(dl.draws) != 3 {
		t.Fatalf("%d ledger calls (%v), want 2 refused and 1 accepted", len(dl.draws), dl.draws)
	}
	for _, seq := range dl.draws {
		if list, _ := vc.StatusPosition(seq); seq == 0 || list != 0 {
			t.Fatalf("drew %d, want a non-zero number of list 0", seq)
		}
	}
	if lic.Record.StatusSequence != dl.draws[2] {
		t.Fatalf("record holds %d, the accepted draw was %d", lic.Record.StatusSequence, dl.draws[2])
	}
	entries, err := dl.StatusEntries(t.Context(), "samr", 0)
	if err != nil || len(entries) != 1 || entries[0].ID != lic.ID || entries[0].Sequence != dl.draws[2] {
		t.Fatalf("list 0: %+v, %v", entries, err)
	}
}

func TestIssueGivesUpWhenEveryDrawIsTaken(t *testing.T) {
	dl := &drawLedger{refuse: 1 << 30}
	e := newAPIEnv(t, withDrawLedger(dl))
	_, r := e.issue(t, "samr", licenceBody("满员有限公司"))
	if p := expectReason(t, r, http.StatusConflict, "status_sequence_taken"); p.Detail == "" {
		t.Fatal("no detail")
	}
	if n := len(dl.draws); n < 2 || n > 100 {
		t.Fatalf("%d draws before giving up", n)
	}
}

func TestVCExportOfACredentialWithoutPosition(t *testing.T) {
	e := newAPIEnv(t, withDrawLedger(&drawLedger{stripPositions: true}))
	lic := e.mustIssue(t, "旧证有限公司")
	if lic.Record.StatusSequence != 0 {
		t.Fatalf("sequence %d", lic.Record.StatusSequence)
	}
	p := expectProblem(t, e.do(t, "GET", "/api/v1/credentials/"+lic.ID+"/vc", e.key("samr"), nil), http.StatusServiceUnavailable)
	if p.Detail == "" {
		t.Fatal("no detail")
	}
}
