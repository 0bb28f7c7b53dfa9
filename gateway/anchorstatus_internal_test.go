package gateway

import (
	"context"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
)

// statusNextLedger answers where a department's anchored runs end.
type statusNextLedger struct {
	credential.Ledger
	next  uint64
	reads int
}

func (l *statusNextLedger) AnchorStatusNext(context.Context, string) (uint64, error) {
	l.reads++
	return l.next, nil
}

// A department's batches take consecutive runs, the first where the
// ledger's runs end; a run never crosses a list; after a refusal the
// cursor moves to where the ledger's runs now end, never back.
func TestAnchorCursor(t *testing.T) {
	base := credential.AnchorStatusBase
	l := &statusNextLedger{next: base}
	var c anchorCursor
	take := func(n int, reread bool) uint64 {
		t.Helper()
		from, err := c.take(context.Background(), l, "samr", n, reread)
		if err != nil {
			t.Fatal(err)
		}
		return from
	}
	for _, tc := range []struct {
		name   string
		n      int
		reread bool
		next   uint64 // the ledger's answer, when read
		want   uint64
	}{
		{"first run, read from the ledger", 4096, false, base, base},
		{"the next run follows", 4096, false, base, base + 4096},
		{"a run that would cross a list starts the next", vc.StatusListSize - 8000, false, base, base + vc.StatusListSize},
		{"a refusal reads the ledger, which is ahead", 10, true, base + 3*vc.StatusListSize, base + 3*vc.StatusListSize},
		{"a refusal where the ledger is behind keeps the cursor", 10, true, base, base + 3*vc.StatusListSize + 10},
	} {
		l.next = tc.next
		if got := take(tc.n, tc.reread); got != tc.want {
			t.Fatalf("%s: run from %d, want %d", tc.name, got, tc.want)
		}
	}
	if l.reads != 3 {
		t.Fatalf("%d reads of the ledger, want one at first and one per refusal", l.reads)
	}
}
