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
// credential again.
func TestIdempotencyOnTheLedger(t *testing.T) {
	need(t)
	g := gateway(t)
	body := requestFor("samr", 6)
	const n = 8
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out issued
			_, errs[i] = call(g.URL(), "POST", "/api/v1/credentials", g.Keys()["samr"].APIKey, body, &out, "Idempotency-Key", "fabric-idem-1")
			ids[i] = out.ID
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
	other := requestFor("samr", 7)
	if code, err := call(g.URL(), "POST", "/api/v1/credentials", g.Keys()["samr"].APIKey, other, nil, "Idempotency-Key", "fabric-idem-1"); code != 409 {
		t.Fatalf("the key reused for another request: %d %v, want 409", code, err)
	}
}
