package gateway

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
)

// Status list position allocation, the gateway's half of
// docs/decisions/0004-status-list-index.md: the gateway draws a sequence
// number at random in the department's current list, the contract refuses
// it if another credential holds it, and the gateway draws again. Random
// draws keep concurrent issuances on different ledger keys, where a counter
// would make every issuance of a department conflict with the others.
const (
	// statusFillTTL is how long a list's fill, read from the ledger, is
	// trusted before it is read again. Other gateways fill the same lists,
	// so the cached fill may be low; that only makes draws collide a little
	// more often until the next read.
	statusFillTTL = time.Minute
	// statusDrawAttempts bounds the draws of one issuance. A draw in a list
	// less than half full collides with probability below one half, so
	// running out means the fill read was far off or the ledger misbehaves.
	statusDrawAttempts = 24
	// statusListTarget is the fill at which a list stops being current.
	statusListTarget = vc.StatusListSize / 2
	// maxStatusList is the last list the contract accepts positions in.
	maxStatusList = credential.MaxStatusSequence/vc.StatusListSize - 1
)

// statusAllocator keeps, per department, which list is current and how
// full it is. Its zero value is ready to use.
type statusAllocator struct {
	mu    sync.Mutex
	depts map[string]*listFill
}

// listFill is one department's current list. Lists only ever fill up
// (entries are never removed), so once a list is half full no lower list
// becomes current again and the search moves forward only.
type listFill struct {
	mu    sync.Mutex
	list  uint64
	count int       // entries read from the ledger, plus this gateway's issuances since
	read  time.Time // when count was read; zero means read before the next draw
}

func (a *statusAllocator) department(dept string) *listFill {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.depts == nil {
		a.depts = map[string]*listFill{}
	}
	f, ok := a.depts[dept]
	if !ok {
		f = &listFill{}
		a.depts[dept] = f
	}
	return f
}

// current returns the department's lowest list that is less than half
// full, reading fills from the ledger when the cached one is older than
// statusFillTTL. Concurrent issuances of the department wait for one read.
func (f *listFill) current(ctx context.Context, l credential.Ledger, dept string, now time.Time) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		if f.read.IsZero() || now.Sub(f.read) >= statusFillTTL {
			entries, err := l.StatusEntries(ctx, dept, f.list)
			if err != nil {
				return 0, err
			}
			f.count, f.read = len(entries), now
		}
		if f.count < statusListTarget {
			return f.list, nil
		}
		if f.list >= maxStatusList {
			return 0, newAPIError(kindUnavailable, "department %s has no status list with free positions left", dept)
		}
		f.list, f.read = f.list+1, time.Time{}
	}
}

// taken counts a position this gateway just allocated in list.
func (f *listFill) taken(list uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if list == f.list {
		f.count++
	}
}

// drawSequence returns a uniformly random sequence number of list, never
// 0, which means "no position". StatusListSize is a power of two, so the
// remainder of a random uint64 is unbiased.
func drawSequence(list uint64) uint64 {
	for {
		var b [8]byte
		rand.Read(b[:])
		if seq := list*vc.StatusListSize + binary.BigEndian.Uint64(b[:])%vc.StatusListSize; seq != 0 {
			return seq
		}
	}
}

// ledgerIssue records req as dept. The credential gets a status position:
// drawn in the current list, and drawn again while the contract answers
// that another credential holds it.
func (s *Server) ledgerIssue(ctx context.Context, dept credential.Department, req credential.IssueRequest) (credential.IssueResult, error) {
	fill := s.statusAlloc.department(dept.ID)
	var lastErr error
	for range statusDrawAttempts {
		list, err := fill.current(ctx, s.ledger, dept.ID, s.now())
		if err != nil {
			return credential.IssueResult{}, err
		}
		req.StatusSequence = drawSequence(list)
		res, err := s.ledger.Issue(ctx, dept.MSPID, req)
		if credential.IsStatusSequenceTaken(err, req.StatusSequence) {
			lastErr = err
			continue
		}
		if err == nil && !res.Replayed {
			fill.taken(list)
		}
		return res, err
	}
	return credential.IssueResult{}, lastErr
}
