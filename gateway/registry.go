package gateway

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certledger/certledger/credential"
)

// registryCache keeps the registry in memory: every request needs it
// (authentication, issuing, verifying) and it changes rarely, only through
// the governance department. A copy older than the TTL is refreshed by one
// request while concurrent ones keep using the old copy, so a slow ledger
// never stalls verification.
type registryCache struct {
	ledger credential.Ledger
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger

	cur atomic.Pointer[cachedRegistry]
	mu  sync.Mutex // held by the request that refreshes
}

type cachedRegistry struct {
	reg credential.Registry
	at  time.Time
}

func (rc *registryCache) get(ctx context.Context) (credential.Registry, error) {
	c := rc.cur.Load()
	if c != nil && rc.now().Sub(c.at) < rc.ttl {
		return c.reg, nil
	}
	if c != nil {
		if !rc.mu.TryLock() {
			return c.reg, nil // someone else is refreshing
		}
		defer rc.mu.Unlock()
		reg, err := rc.fetch(ctx)
		if err != nil {
			rc.log.Warn("registry refresh failed; serving the cached copy", slog.String("error", err.Error()))
			return c.reg, nil
		}
		return reg, nil
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if c := rc.cur.Load(); c != nil {
		return c.reg, nil
	}
	return rc.fetch(ctx)
}

func (rc *registryCache) fetch(ctx context.Context) (credential.Registry, error) {
	reg, err := rc.ledger.Registry(ctx)
	if err != nil {
		return credential.Registry{}, err
	}
	reg.Sort()
	rc.cur.Store(&cachedRegistry{reg: reg, at: rc.now()})
	return reg, nil
}

// fresh reads the registry from the ledger now, for a request that found
// the cached copy lacking something (a department or type registered
// since). Concurrent callers share one read.
func (rc *registryCache) fresh(ctx context.Context) (credential.Registry, error) {
	before := rc.cur.Load()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if c := rc.cur.Load(); c != nil && c != before {
		return c.reg, nil // refreshed while we waited
	}
	return rc.fetch(ctx)
}
