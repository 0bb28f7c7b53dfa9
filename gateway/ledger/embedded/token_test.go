package embedded

import (
	"context"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// A token rotation on the embedded ledger: the issuer only, one history
// entry and one event each, the status kept, the generation durable.
func TestRotateToken(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	events, cancel := f.ledger.Subscribe(16)
	defer cancel()
	rec := f.issue(f.licence("令牌公司"))
	<-events

	_, err := f.ledger.RotateToken(ctx, f.msp(demo.Education), rec.ID, credential.TokenRotation{})
	wantCode(t, err, credential.CodeForbidden)
	_, err = f.ledger.RotateToken(ctx, f.msp(demo.Market), unknownTokenID(t, rec.ID), credential.TokenRotation{})
	wantCode(t, err, credential.CodeNotFound)
	if after, _ := f.ledger.Record(ctx, rec.ID); !recordsEqual(after, rec) {
		t.Fatalf("a rejected rotation altered the record:\n%+v\n%+v", rec, after)
	}

	f.clock.Advance(time.Minute)
	got, err := f.ledger.RotateToken(ctx, f.msp(demo.Market), rec.ID, credential.TokenRotation{APIKeyID: "ak_00112233445566ff"})
	if err != nil {
		t.Fatal(err)
	}
	if got.TokenGeneration != 1 || got.Status != credential.StatusValid || got.Revision != rec.Revision+1 ||
		got.BlockNumber != rec.BlockNumber || got.LastChange.Action != credential.ActionRotateToken || got.LastChange.Time != f.clock.Now() {
		t.Fatalf("record after rotation %+v", got)
	}
	select {
	case ev := <-events:
		if ev.ID != rec.ID || ev.Change.Action != credential.ActionRotateToken {
			t.Fatalf("event %+v", ev)
		}
	default:
		t.Fatal("no event for the rotation")
	}
	hist, err := f.ledger.History(ctx, rec.ID)
	if err != nil || len(hist) != 2 || hist[1].Action != credential.ActionRotateToken || hist[1].APIKeyID != "ak_00112233445566ff" || hist[1].Actor != demo.Market {
		t.Fatalf("history %+v %v", hist, err)
	}
	if stored, _ := f.ledger.Record(ctx, rec.ID); !recordsEqual(stored, got) {
		t.Fatalf("stored record differs from the answer:\n%+v\n%+v", stored, got)
	}
}

func unknownTokenID(t *testing.T, like string) string {
	t.Helper()
	id, err := credential.ParseIdentifier(like)
	if err != nil {
		t.Fatal(err)
	}
	id.Serial = "ZZZZZZZZZZZZZZZZ"
	return id.String()
}
