package fabrictest

import (
	"sync"
	"testing"
)

// TestConcurrentIssuancesShareTransactions sends a burst of issuances of
// one department at once. The gateway records them in IssueBatch
// transactions, so fewer transactions than credentials; yet each caller
// gets its own answer: every credential verifies with the transaction and
// block that recorded it, and of the requests reusing one idempotency key
// for different content exactly one is issued and the others are refused
// with 409, though they may have shared a transaction with it.
func TestConcurrentIssuancesShareTransactions(t *testing.T) {
	need(t)
	g := gateway(t)
	key := g.Keys()["samr"].APIKey
	const plain, rivals = 40, 4
	outs := make([]issued, plain+rivals)
	codes := make([]int, plain+rivals)
	errs := make([]error, plain+rivals)
	var wg sync.WaitGroup
	for i := range plain + rivals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var headers []string
			if i >= plain {
				headers = []string{"Idempotency-Key", "fabric-batch-rivals"}
			}
			codes[i], errs[i] = call(g.URL(), "POST", "/api/v1/credentials", key, requestFor("samr", 900+i), &outs[i], headers...)
		}()
	}
	wg.Wait()

	txs := map[string]int{}
	for i := range plain {
		if errs[i] != nil {
			t.Fatalf("issuance %d: %v", i, errs[i])
		}
		rec := outs[i].Record
		txs[rec.IssueTxID]++
		if v := verify(t, outs[i].Document); !v.Valid || v.TxID != rec.IssueTxID || v.BlockNumber != rec.BlockNumber || v.BlockNumber == 0 {
			t.Fatalf("credential %d verifies as %+v; it was recorded in tx %s block %d", i, v, rec.IssueTxID, rec.BlockNumber)
		}
	}
	if len(txs) >= plain {
		t.Fatalf("%d concurrent issuances took %d transactions: none were batched", plain, len(txs))
	}
	t.Logf("%d concurrent issuances recorded in %d transactions", plain, len(txs))

	won := 0
	for i := plain; i < plain+rivals; i++ {
		switch codes[i] {
		case 201:
			won++
			if v := verify(t, outs[i].Document); !v.Valid {
				t.Fatalf("the winning rival does not verify: %+v", v)
			}
		case 409:
		default:
			t.Fatalf("rival %d: %d %v, want 201 or 409", i, codes[i], errs[i])
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d requests reusing one idempotency key for different content were issued, want 1", won, rivals)
	}
}
