package embedded

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

func TestStatusLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	rec := f.issue(f.licence("状态公司"))
	samr, edu := f.msp(demo.Market), f.msp(demo.Education)
	suspend := credential.StatusChange{Action: credential.ActionSuspend, Reason: "年报未按时公示"}
	reinstate := credential.StatusChange{Action: credential.ActionReinstate, Reason: "已补报"}
	revoke := credential.StatusChange{Action: credential.ActionRevoke, Reason: "虚假登记", Code: credential.RevokedPenalty}

	steps := []struct {
		name       string
		msp        string
		change     credential.StatusChange
		want       credential.Code   // "" for success
		wantStatus credential.Status // after a successful step
		wantCode   credential.RevocationCode
	}{
		{"reinstate a valid credential", samr, reinstate, credential.CodeConflict, "", ""},
		{"suspend without a reason", samr, credential.StatusChange{Action: credential.ActionSuspend, Reason: "  "}, credential.CodeInvalid, "", ""},
		{"reason too long", samr, credential.StatusChange{Action: credential.ActionSuspend, Reason: strings.Repeat("长", 501)}, credential.CodeInvalid, "", ""},
		{"reason with a control character", samr, credential.StatusChange{Action: credential.ActionSuspend, Reason: "a\x00b"}, credential.CodeInvalid, "", ""},
		{"unknown action", samr, credential.StatusChange{Action: "delete", Reason: "x"}, credential.CodeInvalid, "", ""},
		{"another department cannot suspend", edu, suspend, credential.CodeForbidden, "", ""},
		{"unregistered MSP cannot suspend", "StrangerMSP", suspend, credential.CodeForbidden, "", ""},
		{"suspend", samr, suspend, "", credential.StatusSuspended, ""},
		{"suspend twice", samr, suspend, credential.CodeConflict, "", ""},
		{"another department cannot reinstate", edu, reinstate, credential.CodeForbidden, "", ""},
		{"reinstate", samr, reinstate, "", credential.StatusValid, ""},
		{"revoke without a code", samr, credential.StatusChange{Action: credential.ActionRevoke, Reason: "x"}, credential.CodeInvalid, "", ""},
		{"revoke with an unknown code", samr, credential.StatusChange{Action: credential.ActionRevoke, Reason: "x", Code: "lost"}, credential.CodeInvalid, "", ""},
		{"revoke without a reason", samr, credential.StatusChange{Action: credential.ActionRevoke, Code: credential.RevokedCancelled}, credential.CodeInvalid, "", ""},
		{"another department cannot revoke", edu, revoke, credential.CodeForbidden, "", ""},
		{"revoke", samr, revoke, "", credential.StatusRevoked, credential.RevokedPenalty},
		{"revoke twice", samr, revoke, credential.CodeConflict, "", ""},
		{"reinstate after revocation", samr, reinstate, credential.CodeConflict, "", ""},
		{"suspend after revocation", samr, suspend, credential.CodeConflict, "", ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			f.clock.Advance(time.Minute)
			before, _ := f.ledger.Record(ctx, rec.ID)
			got, err := f.ledger.ChangeStatus(ctx, s.msp, rec.ID, s.change)
			if s.want != "" {
				wantCode(t, err, s.want)
				if after, _ := f.ledger.Record(ctx, rec.ID); !recordsEqual(after, before) {
					t.Fatalf("a rejected change altered the record:\n%+v\n%+v", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != s.wantStatus || got.RevocationCode != s.wantCode || got.LastChange.Action != s.change.Action ||
				got.LastChange.Time != f.clock.Now() || got.BlockNumber != rec.BlockNumber || got.Revision != before.Revision+1 {
				t.Fatalf("record after %s: %+v", s.name, got)
			}
			if stored, _ := f.ledger.Record(ctx, rec.ID); !recordsEqual(stored, got) {
				t.Fatalf("stored record differs from the answer:\n%+v\n%+v", stored, got)
			}
		})
	}

	// Effective status: a revoked record stays revoked whatever the dates.
	final, _ := f.ledger.Record(ctx, rec.ID)
	if final.StatusReason != "虚假登记" || final.EffectiveStatus(start) != credential.StatusRevoked {
		t.Fatalf("final record %+v", final)
	}
}

func TestStatusOfUnknownCredential(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	doc := f.licence("不存在公司") // signed but never issued
	_, err := f.ledger.ChangeStatus(ctx, f.msp(demo.Market), doc.ID, credential.StatusChange{Action: credential.ActionSuspend, Reason: "x"})
	wantCode(t, err, credential.CodeNotFound)
	_, err = f.ledger.ChangeStatus(ctx, f.msp(demo.Market), "1.2.156.3005.2.bad", credential.StatusChange{Action: credential.ActionSuspend, Reason: "x"})
	wantCode(t, err, credential.CodeInvalid)
	_, err = f.ledger.Record(ctx, doc.ID)
	wantCode(t, err, credential.CodeNotFound)
	_, err = f.ledger.Document(ctx, f.msp(demo.Market), doc.ID)
	wantCode(t, err, credential.CodeNotFound)
	_, err = f.ledger.History(ctx, doc.ID)
	wantCode(t, err, credential.CodeNotFound)
}

func TestHistoryAndEvents(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	events, cancel := f.ledger.Subscribe(16)
	defer cancel()

	rec := f.issue(f.licence("历史公司"))
	f.clock.Advance(time.Hour)
	if _, err := f.ledger.ChangeStatus(ctx, f.msp(demo.Market), rec.ID, credential.StatusChange{Action: credential.ActionSuspend, Reason: "检查"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	if _, err := f.ledger.ChangeStatus(ctx, f.msp(demo.Market), rec.ID, credential.StatusChange{Action: credential.ActionReinstate}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	revoked, err := f.ledger.ChangeStatus(ctx, f.msp(demo.Market), rec.ID, credential.StatusChange{Action: credential.ActionRevoke, Reason: "企业申请注销", Code: credential.RevokedCancelled})
	if err != nil {
		t.Fatal(err)
	}
	// A rejected change leaves no trace.
	_, err = f.ledger.ChangeStatus(ctx, f.msp(demo.Education), rec.ID, credential.StatusChange{Action: credential.ActionSuspend, Reason: "x"})
	wantCode(t, err, credential.CodeForbidden)

	hist, err := f.ledger.History(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		action credential.Action
		status credential.Status
		reason string
		code   credential.RevocationCode
		time   time.Time
	}{
		{credential.ActionIssue, credential.StatusValid, "", "", start},
		{credential.ActionSuspend, credential.StatusSuspended, "检查", "", start.Add(time.Hour)},
		{credential.ActionReinstate, credential.StatusValid, "", "", start.Add(2 * time.Hour)},
		{credential.ActionRevoke, credential.StatusRevoked, "企业申请注销", credential.RevokedCancelled, start.Add(3 * time.Hour)},
	}
	if len(hist) != len(want) {
		t.Fatalf("history has %d changes, want %d: %+v", len(hist), len(want), hist)
	}
	txIDs := map[string]bool{}
	for i, w := range want {
		h := hist[i]
		if h.Action != w.action || h.Status != w.status || h.Reason != w.reason || h.Code != w.code || !h.Time.Equal(w.time) ||
			h.Actor != demo.Market || h.MSPID != f.msp(demo.Market) || len(h.TxID) != 64 {
			t.Errorf("change %d: %+v, want %+v", i, h, w)
		}
		txIDs[h.TxID] = true
	}
	if len(txIDs) != 4 || hist[0].TxID != rec.IssueTxID || hist[3].TxID != revoked.LastChange.TxID {
		t.Fatalf("transaction ids %v", hist)
	}

	var lastBlock uint64
	for i, w := range want {
		select {
		case ev := <-events:
			if ev.ID != rec.ID || ev.Change.Action != w.action || ev.TxID != hist[i].TxID || ev.Change.TxID != ev.TxID || ev.BlockNumber <= lastBlock {
				t.Fatalf("event %d: %+v", i, ev)
			}
			lastBlock = ev.BlockNumber
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d did not arrive", i)
		}
	}
	select {
	case ev := <-events:
		t.Fatalf("unexpected event %+v", ev)
	default:
	}
	if rec.BlockNumber == lastBlock || rec.BlockNumber == 0 {
		t.Fatalf("issue block %d, last event block %d", rec.BlockNumber, lastBlock)
	}
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	f := newFixture(t)
	events, cancel := f.ledger.Subscribe(1)
	defer cancel()
	f.issue(f.licence("甲"))
	f.issue(f.licence("乙"))
	<-events // the first event fitted the buffer
	if _, open := <-events; open {
		t.Fatal("a subscriber that fell behind kept its channel")
	}
}
