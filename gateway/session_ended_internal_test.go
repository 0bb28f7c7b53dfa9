package gateway

import (
	"fmt"
	"testing"
	"time"
)

// TestEndedSessionsInMemoryAreBounded: a full set refuses a new entry
// rather than forget one, and makes room as entries pass their expiry.
func TestEndedSessionsInMemoryAreBounded(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
	set, err := openEndedSessions("", clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < maxEndedInMemory; i++ {
		if err := set.end(fmt.Sprint("s", i), clock.Now().Add(time.Hour)); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	if err := set.end("one more", clock.Now().Add(time.Hour)); err != errTooManyEnded {
		t.Fatalf("a full set: %v", err)
	}
	if ended, _ := set.ended("s0"); !ended {
		t.Fatal("a full set forgot an entry")
	}
	clock.Advance(time.Hour)
	if err := set.end("one more", clock.Now().Add(time.Hour)); err != nil {
		t.Fatalf("after the entries expired: %v", err)
	}
	if ended, _ := set.ended("one more"); !ended {
		t.Fatal("the new entry is missing")
	}
}

// TestEndedSessionsFileDropsExpiredEntries: reopening keeps what is live
// and sweeps what expired meanwhile.
func TestEndedSessionsFileDropsExpiredEntries(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
	set, err := openEndedSessions(dir, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := set.end("short", clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := set.end("long", clock.Now().Add(12*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := set.close(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	set, err = openEndedSessions(dir, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer set.close()
	short, _ := set.ended("short")
	long, _ := set.ended("long")
	if short || !long {
		t.Fatalf("after reopening: short %v (want swept), long %v (want kept)", short, long)
	}
}

// BenchmarkSessionCheck is the per-request cost of a session: opening the
// sealed cookie and looking its ID up in the ended set on file.
func BenchmarkSessionCheck(b *testing.B) {
	seal, err := newSealer(make([]byte, 32), "session")
	if err != nil {
		b.Fatal(err)
	}
	set, err := openEndedSessions(b.TempDir(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	defer set.close()
	for i := 0; i < 100; i++ {
		_ = set.end(fmt.Sprint("ended", i), time.Now().Add(time.Hour))
	}
	cookie, _ := seal.seal(session{ID: "abcdefghijklmnopqrstuv", Holder: zhangWei.holder, IssuedAt: time.Now().Unix(), LastSeen: time.Now().Unix()})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var s session
			if err := seal.open(cookie, &s); err != nil {
				b.Fatal(err)
			}
			if ended, err := set.ended(s.ID); err != nil || ended {
				b.Fatal("ended")
			}
		}
	})
}
