package gateway

import (
	"fmt"
	"testing"
	"time"
)

func TestKeyedLimiterBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := newKeyedLimiter(RateLimit{Rate: 1, Burst: 1}, func() time.Time { return now })
	k.maxKeys = 4
	for _, key := range []string{"a", "b", "c"} {
		k.take(key)
	}
	now = now.Add(2 * time.Second) // a, b and c have refilled
	if _, wait := k.take("victim"); wait > 0 {
		t.Fatal("a new key was refused")
	}
	// An attacker cycling addresses: the table stays bounded, and the
	// buckets that refilled go first, so the spent one is kept.
	if _, wait := k.take("new"); wait > 0 {
		t.Fatal("a new key was refused")
	}
	if _, wait := k.take("victim"); wait != time.Second {
		t.Fatalf("the spent bucket was dropped for refilled ones (wait %v)", wait)
	}
	for i := range 1000 {
		k.take(fmt.Sprint("cycled-", i))
		if len(k.buckets) > k.maxKeys {
			t.Fatalf("%d buckets, bound %d", len(k.buckets), k.maxKeys)
		}
	}
}

func TestKeyedLimiterOff(t *testing.T) {
	k := newKeyedLimiter(Off, time.Now)
	for range 100 {
		if _, wait := k.take("a"); wait > 0 {
			t.Fatal("a limit that is off refused")
		}
	}
}

func TestKeyedLimiterRefund(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := newKeyedLimiter(RateLimit{Rate: 0.001, Burst: 1}, func() time.Time { return now })
	refund, wait := k.take("a")
	if wait > 0 {
		t.Fatal("refused")
	}
	now = now.Add(time.Millisecond) // the request took a while
	refund()
	if _, wait := k.take("a"); wait > 0 {
		t.Fatalf("the refunded token is missing (wait %v)", wait)
	}
}
