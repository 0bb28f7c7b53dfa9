package fabricledger

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// A department whose peers never answer keeps its issuances retrying
// (until Options.StartupRetry, a minute here). Closing the ledger must
// release every caller at once with a clear error, and refuse later
// issuances, instead of leaving them to their own timeouts.
func TestBatcherCloseReleasesWaiters(t *testing.T) {
	o := Options{StartupRetry: time.Minute, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}.WithDefaults()
	l := &Ledger{opts: o, log: o.Logger, blocks: newBlockCache(10), records: newRecordCache(0)}
	d := &dept{id: "samr", mspID: "SamrMSP"} // no peers: nothing ever answers
	b, err := l.batcher(d)
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := b.issue(context.Background(), []byte(`{}`))
			errs <- err
		}()
	}
	time.Sleep(100 * time.Millisecond) // let them queue and a batch start
	start := time.Now()
	d.close()
	for range n {
		select {
		case err := <-errs:
			if credential.ErrorCode(err) != credential.CodeUnavailable || err.Error() != errLedgerClosed.Error() {
				t.Fatalf("a waiting issuance ended with %v, want %v", err, errLedgerClosed)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("an issuance was still waiting 5 s after Close")
		}
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("Close took %s", waited)
	}
	if _, err := l.batcher(d); err != errLedgerClosed {
		t.Fatalf("an issuance after Close: %v, want %v", err, errLedgerClosed)
	}
}
