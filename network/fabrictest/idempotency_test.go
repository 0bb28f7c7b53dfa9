package fabrictest

import (
	"sync"
	"testing"
)

// TestIdempotencyOnTheLedger shows that the ledger, not gateway memory,
// keeps idempotency: eight concurrent requests with one Idempotency-Key
// yield one credential (the losers' transactions hit a read conflict on
// the key's entry, are endorsed again and find the winner's), and the
// same request after the gateway was killed and restarted answers that
// credential again, with the block number of its issuance looked up anew.
func TestIdempotencyOnTheLedger(t *testing.T) {
	need(t)
	g := gateway(t)
	body := requestFor("samr", 6)
	const n = 8
	ids := make([]string, n)
	outs := make([]issued, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out issued
			_, errs[i] = call(g.URL(), "POST", "/api/v1/credentials", g.Keys()["samr"].APIKey, body, &out, "Idempotency-Key", "fabric-idem-1")
			ids[i], outs[i] = out.ID, out
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("one idempotency key gave two credentials: %s and %s", ids[0], ids[i])
		}
	}

	g.Crash(t) // SIGKILL, then start again on the same data folder
	var again issued
	if _, err := call(g.URL(), "POST", "/api/v1/credentials", g.Keys()["samr"].APIKey, body, &again, "Idempotency-Key", "fabric-idem-1"); err != nil {
		t.Fatal(err)
	}
	if again.ID != ids[0] {
		t.Fatalf("after a gateway crash the same request issued %s, first was %s", again.ID, ids[0])
	}
	// The restarted gateway's block cache is empty: the block number now
	// comes from qscc GetBlockByTxID, and must be the issuance's.
	first := outs[0].Record
	if again.Record.IssueTxID != first.IssueTxID || again.Record.BlockNumber != first.BlockNumber || first.BlockNumber == 0 {
		t.Fatalf("replay after restart names tx %s block %d; the issuance was tx %s block %d",
			again.Record.IssueTxID, again.Record.BlockNumber, first.IssueTxID, first.BlockNumber)
	}
	if v := verify(t, outs[0].Document); v.TxID != first.IssueTxID || v.BlockNumber != first.BlockNumber {
		t.Fatalf("verification after restart names tx %s block %d; the issuance was tx %s block %d",
			v.TxID, v.BlockNumber, first.IssueTxID, first.BlockNumber)
	}
	other := requestFor("samr", 7)
	if code, err := call(g.URL(), "POST", "/api/v1/credentials", g.Keys()["samr"].APIKey, other, nil, "Idempotency-Key", "fabric-idem-1"); code != 409 || reasonOf(err) != "idempotency_key_reused" {
		t.Fatalf("the key reused for another request: %d %v, want 409 idempotency_key_reused", code, err)
	}
}
