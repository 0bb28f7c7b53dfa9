package gateway

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// listLedger answers APIKeys from a fixed list and counts the reads.
type listLedger struct {
	credential.Ledger
	keys  []credential.APIKey
	reads atomic.Int64
}

func (l *listLedger) APIKeys(context.Context, string) ([]credential.APIKey, error) {
	l.reads.Add(1)
	return l.keys, nil
}

// keyList records n keys of samr and returns them with their texts.
func keyList(n int, created time.Time) ([]credential.APIKey, []string) {
	keys, secrets := make([]credential.APIKey, n), make([]string, n)
	for i := range keys {
		secret, req := credential.GenerateAPIKey("samr")
		keys[i] = credential.APIKey{ID: req.ID, Dept: req.Dept, Prefix: req.Prefix, SHA256: req.SHA256, Created: created, CreatedBy: "gov"}
		secrets[i] = secret
	}
	return keys, secrets
}

// Requests within the TTL read the ledger once between them, and the
// read after the TTL is made by one request alone.
func TestAPIKeyCacheReadsOncePerTTL(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	keys, secrets := keyList(3, now)
	l := &listLedger{keys: keys}
	kc := &apiKeyCache{ledger: l, ttl: 2 * time.Second, now: func() time.Time { return now }, log: slog.New(slog.DiscardHandler),
		use: openKeyUse("", now, slog.New(slog.DiscardHandler))}
	for range 100 {
		for _, s := range secrets {
			if _, err := kc.authenticate(t.Context(), s); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := l.reads.Load(); n != 1 {
		t.Fatalf("%d ledger reads for 300 requests within the TTL, want 1", n)
	}
	// Unknown keys inside the first second read nothing more.
	for range 10 {
		if _, err := kc.authenticate(t.Context(), "clk_unknown"); credential.ErrorReason(err) != credential.ReasonInvalidAPIKey {
			t.Fatalf("unknown key: %v", err)
		}
	}
	if n := l.reads.Load(); n != 1 {
		t.Fatalf("unknown keys made %d reads within a second of the last", n-1)
	}
	now = now.Add(2 * time.Second)
	if _, err := kc.authenticate(t.Context(), secrets[0]); err != nil || l.reads.Load() != 2 {
		t.Fatalf("after the TTL: %v, %d reads", err, l.reads.Load())
	}
	// A clock set back makes the copy look read in the future: it is read
	// again rather than taken for fresh until the clock catches up.
	now = now.Add(-time.Hour)
	if _, err := kc.authenticate(t.Context(), secrets[0]); err != nil || l.reads.Load() != 3 {
		t.Fatalf("after the clock went back: %v, %d reads", err, l.reads.Load())
	}
	// Past apiKeyMaxStale TTLs a failing ledger fails the request.
	l.keys = nil
	now = now.Add(apiKeyMaxStale * 2 * time.Second)
	kc.ledger = &failingLedger{}
	if _, err := kc.authenticate(t.Context(), secrets[0]); err == nil {
		t.Fatal("a copy far past its TTL was used while the ledger failed")
	}
}

type failingLedger struct{ credential.Ledger }

func (failingLedger) APIKeys(context.Context, string) ([]credential.APIKey, error) {
	return nil, credential.Errorf(credential.ReasonLedgerFailure, "down")
}

// BenchmarkAPIKeyAuthenticate is the per-request cost of authentication
// with 1000 keys on the ledger: a hash, a map lookup, a constant-time
// compare and the last-use store.
func BenchmarkAPIKeyAuthenticate(b *testing.B) {
	now := time.Now()
	keys, secrets := keyList(1000, now)
	kc := &apiKeyCache{ledger: &listLedger{keys: keys}, ttl: time.Hour, now: time.Now, log: slog.New(slog.DiscardHandler),
		use: openKeyUse("", now, slog.New(slog.DiscardHandler))}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := kc.authenticate(ctx, secrets[i%len(secrets)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// slowListLedger holds every APIKeys read until release is closed.
type slowListLedger struct {
	listLedger
	release chan struct{}
}

func (l *slowListLedger) APIKeys(ctx context.Context, dept string) ([]credential.APIKey, error) {
	l.reads.Add(1)
	select {
	case <-l.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return l.keys, nil
}

// While the ledger is slow, requests that need the key list share one
// read instead of queueing behind one another's, and a request whose time
// runs out gets 503 rather than waiting on.
func TestAPIKeyCacheSharesASlowRead(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	keys, secrets := keyList(1, now)
	l := &slowListLedger{listLedger: listLedger{keys: keys}, release: make(chan struct{})}
	kc := &apiKeyCache{ledger: l, ttl: 2 * time.Second, now: func() time.Time { return now }, log: slog.New(slog.DiscardHandler),
		use: openKeyUse("", now, slog.New(slog.DiscardHandler))}

	// A request whose time is up stops waiting, though the read goes on.
	short, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := kc.authenticate(short, secrets[0]); err == nil || problemStatus(err) != 503 {
		t.Fatalf("a request out of time while the read is slow: %v", err)
	}
	const waiting = 8
	errs := make(chan error, waiting)
	for range waiting {
		go func() {
			_, err := kc.authenticate(t.Context(), secrets[0])
			errs <- err
		}()
	}
	// Every request is now waiting on the same read; let it finish.
	for deadline := time.Now().Add(5 * time.Second); l.reads.Load() < 1; {
		if time.Now().After(deadline) {
			t.Fatal("no read started")
		}
		time.Sleep(time.Millisecond)
	}
	close(l.release)
	for range waiting {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := l.reads.Load(); n != 1 {
		t.Fatalf("%d ledger reads for %d requests waiting together, want 1", n, waiting+1)
	}
}

// problemStatus is the HTTP status err is answered with.
func problemStatus(err error) int {
	p, _ := problemFor(err, 0)
	return p.Status
}
