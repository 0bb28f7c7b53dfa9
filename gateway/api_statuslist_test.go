package gateway_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
	"github.com/certledger/certledger/gateway"
)

// A status list this gateway serves from its cache shows a change this
// gateway records at once, with the clock standing still.
func TestStatusListFollowsOwnChanges(t *testing.T) {
	var offset atomic.Int64
	e := newAPIEnv(t, withClock(&offset))
	lic := e.mustIssue(t, "缓存吊销有限公司")
	c, _ := e.exportVC(t, lic.ID)
	steps := []struct {
		action, purpose string
		body            map[string]string
		want            bool
	}{
		{"suspend", vc.PurposeSuspension, map[string]string{"reason": "暂扣待查"}, true},
		{"reinstate", vc.PurposeSuspension, nil, false},
		{"revoke", vc.PurposeRevocation, map[string]string{"reason": "吊销", "code": "penalty"}, true},
	}
	for _, s := range steps {
		e.statusBit(t, c, s.purpose) // cached now
		e.pageChangeStatus(t, lic.ID, s.action, s.body)
		if got := e.statusBit(t, c, s.purpose); got != s.want {
			t.Fatalf("after %s, %s bit %v, want %v", s.action, s.purpose, got, s.want)
		}
	}
}

// notifyingLedger stands for a ledger that reports changes other clients
// made (the Fabric backend does, from the channel's events).
type notifyingLedger struct {
	credential.Ledger
	mu sync.Mutex
	fn func(credential.Record)
}

func (l *notifyingLedger) NotifyChanges(fn func(credential.Record)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fn = fn
}

func (l *notifyingLedger) changed(t *testing.T, rec credential.Record) {
	t.Helper()
	l.mu.Lock()
	fn := l.fn
	l.mu.Unlock()
	if fn == nil {
		t.Fatal("the gateway did not ask the ledger for its changes")
	}
	fn(rec)
}

func TestStatusListFollowsLedgerChanges(t *testing.T) {
	var offset atomic.Int64
	var nl *notifyingLedger
	e := newAPIEnv(t, withClock(&offset), func(_ *gateway.Config, w *ledgerWrap) {
		w.wrap = func(l credential.Ledger) credential.Ledger { nl = &notifyingLedger{Ledger: l}; return nl }
	})
	lic := e.mustIssue(t, "外部吊销有限公司")
	c, _ := e.exportVC(t, lic.ID)
	if e.statusBit(t, c, vc.PurposeRevocation) {
		t.Fatal("revoked before the revocation")
	}
	// Another client revokes it on the ledger, past this gateway.
	samr, _ := e.registry(t).Department("samr")
	rec, err := nl.Ledger.ChangeStatus(t.Context(), samr.MSPID, lic.ID,
		credential.StatusChange{Action: credential.ActionRevoke, Reason: "吊销", Code: credential.RevokedPenalty})
	if err != nil {
		t.Fatal(err)
	}
	nl.changed(t, rec)
	if !e.statusBit(t, c, vc.PurposeRevocation) {
		t.Fatal("the cached list does not show the ledger's revocation")
	}
}
