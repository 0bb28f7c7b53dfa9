package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
)

// fillLedger reports lists of a given fill and counts the reads; the
// allocator calls no other method of the ledger.
type fillLedger struct {
	credential.Ledger
	fill  map[uint64]int
	reads []uint64
}

func (l *fillLedger) StatusEntries(_ context.Context, _ string, list uint64) ([]credential.StatusEntry, error) {
	l.reads = append(l.reads, list)
	return make([]credential.StatusEntry, l.fill[list]), nil
}

func TestCurrentStatusList(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	half := vc.StatusListSize / 2
	tests := []struct {
		name string
		fill map[uint64]int
		want uint64
	}{
		{"fresh department", nil, 0},
		{"list 0 just below half", map[uint64]int{0: half - 1}, 0},
		{"list 0 half full", map[uint64]int{0: half}, 1},
		{"two lists past half", map[uint64]int{0: vc.StatusListSize, 1: half + 3, 2: 10}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &fillLedger{fill: tc.fill}
			var f listFill
			got, err := f.current(ctx, l, "samr", t0)
			if err != nil || got != tc.want {
				t.Fatalf("current = %d, %v; want %d", got, err, tc.want)
			}
			if len(l.reads) != int(tc.want)+1 {
				t.Fatalf("read lists %v, want 0..%d once each", l.reads, tc.want)
			}
		})
	}

	t.Run("the fill is cached, counted locally and read again after the TTL", func(t *testing.T) {
		l := &fillLedger{fill: map[uint64]int{0: half - 2}}
		var f listFill
		for range 3 {
			if got, err := f.current(ctx, l, "samr", t0); err != nil || got != 0 {
				t.Fatalf("current = %d, %v", got, err)
			}
		}
		if len(l.reads) != 1 {
			t.Fatalf("%d reads within the TTL", len(l.reads))
		}
		// Two issuances of this gateway fill list 0 to half: list 1 is
		// current without another read of list 0.
		f.taken(0)
		f.taken(0)
		if got, _ := f.current(ctx, l, "samr", t0.Add(time.Second)); got != 1 || len(l.reads) != 2 || l.reads[1] != 1 {
			t.Fatalf("current = %d after reads %v, want list 1 read once", got, l.reads)
		}
		// A count for a list that is no longer current changes nothing.
		f.taken(0)
		if f.count != 0 {
			t.Fatalf("list 1 count %d", f.count)
		}
		// Other gateways filled list 1 meanwhile; the next read sees it.
		l.fill[1] = half
		if got, _ := f.current(ctx, l, "samr", t0.Add(time.Second+statusFillTTL)); got != 2 {
			t.Fatalf("current = %d after the TTL, want 2", got)
		}
	})

	t.Run("a read error is returned and nothing is cached", func(t *testing.T) {
		var f listFill
		_, err := f.current(ctx, &failingFill{}, "samr", t0)
		if credential.ErrorCode(err) != credential.CodeInternal {
			t.Fatalf("err %v", err)
		}
		if !f.read.IsZero() {
			t.Fatal("a failed read was cached")
		}
	})

	t.Run("no list left", func(t *testing.T) {
		f := listFill{list: maxStatusList}
		_, err := f.current(ctx, &fillLedger{fill: map[uint64]int{maxStatusList: half}}, "samr", t0)
		if e, ok := err.(*apiError); !ok || e.kind != kindUnavailable {
			t.Fatalf("err %v, want unavailable", err)
		}
	})
}

type failingFill struct{ fillLedger }

func (failingFill) StatusEntries(context.Context, string, uint64) ([]credential.StatusEntry, error) {
	return nil, credential.Errorf(credential.ReasonLedgerFailure, "ledger down")
}

func TestDrawSequence(t *testing.T) {
	for _, list := range []uint64{0, 1, 7, maxStatusList} {
		seen := map[uint64]bool{}
		for range 2000 {
			seq := drawSequence(list)
			if got, _ := vc.StatusPosition(seq); got != list || seq == 0 {
				t.Fatalf("list %d: drew %d (list %d)", list, seq, got)
			}
			seen[seq] = true
		}
		// 2000 draws from 131,072 values: about 15 repeats expected; many
		// more would mean the draw is not spread over the list.
		if len(seen) < 1900 {
			t.Fatalf("list %d: only %d distinct of 2000 draws", list, len(seen))
		}
	}
}
