package embedded

import (
	"context"
	"testing"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
)

// The Tx the contract sees behaves like a Fabric stub: reads see committed
// state only, a failed transaction writes nothing, deletes enter the key
// history, and the state digest follows every kind of write.
func TestTxSemantics(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	run := func(fn func(tx chaincode.Tx) (any, error)) (any, error) {
		r, err := f.ledger.submit(ctx, "GovMSP", "Test", nil, fn)
		if err != nil {
			return nil, err
		}
		return r.result, nil
	}
	if _, err := run(func(tx chaincode.Tx) (any, error) {
		if err := tx.PutState("test/a", []byte("1")); err != nil {
			return nil, err
		}
		v, _ := tx.GetState("test/a")
		if v != nil {
			t.Errorf("read your own write: %q; Fabric returns the committed value", v)
		}
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err := run(func(tx chaincode.Tx) (any, error) {
		tx.PutState("test/b", []byte("2"))
		return nil, credential.Errorf(credential.ReasonConcurrentChange, "changed my mind")
	})
	wantCode(t, err, credential.CodeConflict)
	if _, err := run(func(tx chaincode.Tx) (any, error) { return nil, tx.DelState("test/a") }); err != nil {
		t.Fatal(err)
	}
	res, err := run(func(tx chaincode.Tx) (any, error) {
		a, _ := tx.GetState("test/a")
		b, _ := tx.GetState("test/b")
		h, err := tx.History("test/a")
		return []any{a, b, h}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := res.([]any)
	hist := got[2].([]chaincode.KeyModification)
	if got[0].([]byte) != nil || got[1].([]byte) != nil {
		t.Fatalf("after delete and a failed write: a=%q b=%q", got[0], got[1])
	}
	if len(hist) != 2 || !hist[0].IsDelete || string(hist[1].Value) != "1" || hist[0].TxID == hist[1].TxID {
		t.Fatalf("history newest first: %+v", hist)
	}
	if _, err := run(func(tx chaincode.Tx) (any, error) { return nil, tx.PutState("bad\x00key", nil) }); err == nil {
		t.Fatal("a key with NUL was accepted")
	}
	if _, err := f.ledger.VerifyChain(); err != nil {
		t.Fatal(err)
	}
}

func TestPanickingTransactionFailsAlone(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, err := f.ledger.submit(ctx, "GovMSP", "Test", nil, func(tx chaincode.Tx) (any, error) {
		var m map[string]int
		//lint:ignore SA5000 the transaction must fail with a runtime panic, as a contract bug does
		m["boom"]++
		return nil, nil
	})
	if err == nil || credential.ErrorCode(err) != credential.CodeInternal {
		t.Fatalf("panic became %v, want an internal error", err)
	}
	f.issue(f.licence("仍然可用"))
}
