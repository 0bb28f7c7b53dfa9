package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
)

// Status positions of anchored batches (docs/decisions/0021-anchored-batches.md):
// a batch takes a run of consecutive positions in one list of the
// anchored lists. The gateway keeps, per department, where its next run
// starts, read from the ledger once and moved on by each batch, so
// batches in flight at once take runs one after the other; the contract
// refuses a run another batch holds, and then the gateway reads where the
// ledger's runs end and takes the next run from there.
type anchorCursors struct {
	mu    sync.Mutex
	depts map[string]*anchorCursor
}

type anchorCursor struct {
	mu   sync.Mutex
	next uint64 // 0: not read from the ledger yet
}

func (a *anchorCursors) department(dept string) *anchorCursor {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.depts == nil {
		a.depts = map[string]*anchorCursor{}
	}
	c, ok := a.depts[dept]
	if !ok {
		c = &anchorCursor{}
		a.depts[dept] = c
	}
	return c
}

// take returns the first of n positions for a batch, inside one list;
// reread first asks the ledger where its runs end, for a cursor that fell
// behind another gateway's batches.
func (c *anchorCursor) take(ctx context.Context, l credential.Ledger, dept string, n int, reread bool) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == 0 || reread {
		next, err := l.AnchorStatusNext(ctx, dept)
		if err != nil {
			return 0, err
		}
		c.next = max(c.next, next)
	}
	from := c.next
	if last := from + uint64(n) - 1; from/vc.StatusListSize != last/vc.StatusListSize {
		from = (last / vc.StatusListSize) * vc.StatusListSize
	}
	if from+uint64(n) > credential.MaxStatusSequence {
		return 0, newAPIError(kindUnavailable, "department %s has no status positions left for anchored batches", dept)
	}
	c.next = from + uint64(n)
	return from, nil
}

// anchorAttempts bounds the tries of one batch while the ledger is
// unavailable or has not yet seen the signing key.
const anchorAttempts = 5

// ledgerAnchor records the batch req as dept with a run of status
// positions, taking another run while the contract says one is held.
func (s *Server) ledgerAnchor(ctx context.Context, dept credential.Department, req credential.AnchorRequest) (credential.AnchorResult, error) {
	cur := s.anchorStatus.department(dept.ID)
	taken, waits := 0, 0
	for {
		var res credential.AnchorResult
		from, err := cur.take(ctx, s.ledger, dept.ID, len(req.Leaves), taken > 0)
		if err == nil {
			req.StatusFrom = from
			res, err = s.ledger.AnchorBatch(ctx, dept.MSPID, req)
		}
		switch {
		case err == nil:
			return res, nil
		case credential.IsStatusSequenceTaken(err, from) && taken < statusDrawAttempts:
			taken++
		// A ledger that is busy or briefly away, or a peer that has not
		// committed the key yet, is waited for.
		case (credential.ErrorCode(err) == credential.CodeUnavailable || credential.ErrorReason(err) == credential.ReasonUnknownKey) &&
			waits+1 < anchorAttempts && ctx.Err() == nil:
			waits++
			if werr := sleepCtx(ctx, time.Duration(waits)*keyLagWait); werr != nil {
				return credential.AnchorResult{}, err
			}
		default:
			return credential.AnchorResult{}, err
		}
	}
}
