package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certledger/certledger/credential"
	"golang.org/x/sync/singleflight"
)

// apiKeyCache authenticates API keys against the ledger's key list without
// a ledger read per request: a copy of the list, keyed by SHA-256, is read
// again once it is older than the TTL, so a key revoked through any gateway
// of the ledger is refused here within the TTL (at once when the ledger
// reports the change, as Fabric's chaincode events do).
type apiKeyCache struct {
	ledger credential.Ledger
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger
	use    *keyUse

	cur        atomic.Pointer[apiKeySnapshot]
	loads      singleflight.Group // one ledger read at a time, shared by every request waiting for it
	refreshing atomic.Bool        // a request is refreshing a copy past its TTL
	swapMu     sync.Mutex         // held while a snapshot is replaced
}

// apiKeyLoadTimeout bounds one read of the key list, whichever request
// started it: the requests sharing it stop waiting when their own end.
const apiKeyLoadTimeout = 10 * time.Second

// A copy older than apiKeyMaxStale TTLs is never used: a request then
// waits for the ledger, and fails with it, rather than accept a key that
// may have been revoked long ago.
const apiKeyMaxStale = 10

// apiKeyMissRefresh is how old the copy must be before a key it does not
// know makes a request read the ledger again (a key just created through
// another gateway): unknown keys cost at most one read a second.
const apiKeyMissRefresh = time.Second

type apiKeySnapshot struct {
	byHash map[[sha256.Size]byte]*apiKeyEntry
	at     time.Time // when the ledger was read
}

type apiKeyEntry struct {
	key      credential.APIKey
	hash     [sha256.Size]byte
	lastUsed *atomic.Int64 // Unix nanoseconds; shared with keyUse
}

// authenticate returns the entry of an API key, or why it is refused:
// unknown, revoked or expired at now.
func (kc *apiKeyCache) authenticate(ctx context.Context, secret string) (*apiKeyEntry, error) {
	if !strings.HasPrefix(secret, credential.APIKeySecretPrefix) {
		return nil, credential.Errorf(credential.ReasonInvalidAPIKey, "the API key is not valid")
	}
	h := sha256.Sum256([]byte(secret))
	now := kc.now() // once: the clock is a measurable part of the cost
	snap, err := kc.snapshot(ctx, now)
	if err != nil {
		return nil, err
	}
	e := snap.find(h)
	if age := now.Sub(snap.at); e == nil && (age >= apiKeyMissRefresh || age < 0) {
		if snap, err = kc.fresh(ctx, snap); err != nil {
			return nil, err
		}
		e = snap.find(h)
	}
	if e == nil {
		return nil, credential.Errorf(credential.ReasonInvalidAPIKey, "the API key is not valid")
	}
	switch e.key.State(now) {
	case credential.APIKeyRevoked:
		return nil, credential.Errorf(credential.ReasonAPIKeyRevoked, "API key %s was revoked at %s", e.key.ID, e.key.RevokedAt.Format(time.RFC3339))
	case credential.APIKeyExpired:
		return nil, credential.Errorf(credential.ReasonAPIKeyExpired, "API key %s expired at %s", e.key.ID, e.key.ExpiresAt.Format(time.RFC3339))
	}
	kc.use.saw(e.lastUsed, now)
	return e, nil
}

// find looks a hash up; the map finds the candidate, and the comparison
// that accepts it runs in constant time.
func (s *apiKeySnapshot) find(h [sha256.Size]byte) *apiKeyEntry {
	e, ok := s.byHash[h]
	if !ok || subtle.ConstantTimeCompare(e.hash[:], h[:]) != 1 {
		return nil
	}
	return e
}

// snapshot returns the copy to authenticate against. A copy past the TTL
// is refreshed by one request while concurrent ones keep using it; a
// failed refresh keeps it until apiKeyMaxStale TTLs. A copy read "after"
// now (the clock was set back) is read again at once, or it would pass
// for fresh until the clock caught up.
func (kc *apiKeyCache) snapshot(ctx context.Context, now time.Time) (*apiKeySnapshot, error) {
	cur := kc.cur.Load()
	if cur != nil && !now.Before(cur.at) {
		age := now.Sub(cur.at)
		if age < kc.ttl {
			return cur, nil
		}
		if age < apiKeyMaxStale*kc.ttl {
			if !kc.refreshing.CompareAndSwap(false, true) {
				return cur, nil // someone else is reading the ledger
			}
			defer kc.refreshing.Store(false)
			next, err := kc.shared(ctx)
			if err != nil {
				kc.log.Warn("API key list refresh failed; authenticating against the copy read before", slog.String("error", err.Error()),
					slog.Time("read", cur.at))
				return cur, nil
			}
			return next, nil
		}
	}
	return kc.shared(ctx)
}

// fresh reads the ledger now unless another request did since seen was
// taken; concurrent callers share one read.
func (kc *apiKeyCache) fresh(ctx context.Context, seen *apiKeySnapshot) (*apiKeySnapshot, error) {
	if c := kc.cur.Load(); c != nil && c.at.After(seen.at) {
		return c, nil
	}
	return kc.shared(ctx)
}

// shared joins the ledger read under way, or starts one, and waits for it
// as long as ctx lets it. Requests never queue behind one another's reads:
// while the ledger is slow, each waits for the one read, not for all before
// it.
func (kc *apiKeyCache) shared(ctx context.Context) (*apiKeySnapshot, error) {
	ch := kc.loads.DoChan("", func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), apiKeyLoadTimeout)
		defer cancel()
		return kc.load(lctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*apiKeySnapshot), nil
	case <-ctx.Done():
		return nil, newAPIError(kindUnavailable, "the ledger's API key list could not be read in time")
	}
}

// load reads the whole key list and puts it in place. Keys are never
// removed from the ledger and a revocation is final, so what the current
// copy knows (a key an event reported while the list was being read) is
// kept: a key it knows revoked stays revoked.
func (kc *apiKeyCache) load(ctx context.Context) (*apiKeySnapshot, error) {
	keys, err := kc.ledger.APIKeys(ctx, "")
	if err != nil {
		return nil, err
	}
	at := kc.now()
	kc.swapMu.Lock()
	defer kc.swapMu.Unlock()
	next := &apiKeySnapshot{byHash: make(map[[sha256.Size]byte]*apiKeyEntry, len(keys)), at: at}
	for _, k := range keys {
		kc.put(next, k)
	}
	if cur := kc.cur.Load(); cur != nil {
		for h, e := range cur.byHash {
			if n, ok := next.byHash[h]; !ok || n.key.RevokedAt.IsZero() && !e.key.RevokedAt.IsZero() {
				next.byHash[h] = e
			}
		}
	}
	kc.cur.Store(next)
	return next, nil
}

// apply takes a key this gateway just wrote, or one the ledger reported
// changed, into the current copy at once. A revocation is never undone.
func (kc *apiKeyCache) apply(k credential.APIKey) {
	kc.swapMu.Lock()
	defer kc.swapMu.Unlock()
	cur := kc.cur.Load()
	if cur == nil {
		return // the first request reads the whole list
	}
	next := &apiKeySnapshot{byHash: maps.Clone(cur.byHash), at: cur.at}
	if h, ok := keyHash(k); ok {
		if old, known := next.byHash[h]; known && !old.key.RevokedAt.IsZero() && k.RevokedAt.IsZero() {
			return
		}
	}
	kc.put(next, k)
	kc.cur.Store(next)
}

// put adds k to s under its hash, with this gateway's record of its use.
func (kc *apiKeyCache) put(s *apiKeySnapshot, k credential.APIKey) {
	h, ok := keyHash(k)
	if !ok {
		kc.log.Error("API key record with a malformed hash ignored", slog.String("id", k.ID), slog.String("dept", k.Dept))
		return
	}
	s.byHash[h] = &apiKeyEntry{key: k, hash: h, lastUsed: kc.use.of(k.ID)}
}

func keyHash(k credential.APIKey) ([sha256.Size]byte, bool) {
	var h [sha256.Size]byte
	b, err := hex.DecodeString(k.SHA256)
	if err != nil || len(b) != sha256.Size {
		return h, false
	}
	copy(h[:], b)
	return h, true
}
