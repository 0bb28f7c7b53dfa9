package gateway_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
)

// outageLedger issues as a degraded Fabric network does: refused as
// unavailable, or recorded too late for the request (the transaction
// commits after the gateway gave up on it), or normally.
type outageLedger struct {
	credential.Ledger
	mu       sync.Mutex
	mode     string // "refuse", "late" or ""
	recorded []string
}

func (l *outageLedger) set(mode string) {
	l.mu.Lock()
	l.mode = mode
	l.mu.Unlock()
}

func (l *outageLedger) Issue(ctx context.Context, msp string, req credential.IssueRequest) (credential.IssueResult, error) {
	l.mu.Lock()
	mode := l.mode
	l.mu.Unlock()
	switch mode {
	case "refuse":
		return credential.IssueResult{}, credential.Errorf(credential.ReasonLedgerUnavailable, "the ledger could not get the transaction endorsed in time; try again")
	case "late":
		res, err := l.Ledger.Issue(context.WithoutCancel(ctx), msp, req)
		if err == nil {
			l.mu.Lock()
			l.recorded = append(l.recorded, res.Record.ID)
			l.mu.Unlock()
		}
		<-ctx.Done()
		return credential.IssueResult{}, ctx.Err()
	}
	return l.Ledger.Issue(ctx, msp, req)
}

// While the ledger is degraded an issuance is answered 503 with
// Retry-After, never 500, and the client retrying with the same
// Idempotency-Key gets the credential that was recorded, not a second one.
func TestIssueWhileLedgerUnavailable(t *testing.T) {
	ol := &outageLedger{}
	e := newAPIEnv(t, func(c *gateway.Config, w *ledgerWrap) {
		c.RequestTimeout = 300 * time.Millisecond
		w.wrap = func(l credential.Ledger) credential.Ledger { ol.Ledger = l; return ol }
	})
	body := licenceBody("断网重试有限公司")
	for _, mode := range []string{"refuse", "late"} {
		ol.set(mode)
		_, r := e.issue(t, "samr", body, "Idempotency-Key", "outage-1")
		p := expectProblem(t, r, 503)
		if p.Reason != string(credential.ReasonLedgerUnavailable) || r.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: reason %q, Retry-After %q", mode, p.Reason, r.Header.Get("Retry-After"))
		}
	}
	if len(ol.recorded) != 1 {
		t.Fatalf("recorded %v", ol.recorded)
	}
	ol.set("")
	got, r := e.issue(t, "samr", body, "Idempotency-Key", "outage-1")
	if r.Status != 201 || r.Header.Get(gateway.HeaderIdempotentReplay) != "true" || got.ID != ol.recorded[0] {
		t.Fatalf("retry after the outage: %d, replayed %q, %s; the late issuance recorded %s",
			r.Status, r.Header.Get(gateway.HeaderIdempotentReplay), got.ID, ol.recorded[0])
	}

}
