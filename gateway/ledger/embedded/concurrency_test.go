package embedded

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

func TestConcurrentIssuance(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const workers, each = 64, 8
	docs := make([][]credential.IssueRequest, workers)
	for w := range docs {
		for range each {
			docs[w] = append(docs[w], f.request(f.licence("并发公司")))
		}
	}
	var wg sync.WaitGroup
	recs := make(chan credential.Record, workers*each)
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, req := range docs[w] {
				res, err := f.ledger.Issue(ctx, f.msp(demo.Market), req)
				if err != nil {
					errs <- err
					continue
				}
				recs <- res.Record
			}
		}()
	}
	wg.Wait()
	close(recs)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	blocks := map[uint64]bool{}
	for r := range recs {
		if blocks[r.BlockNumber] {
			t.Fatalf("block %d acknowledged twice", r.BlockNumber)
		}
		blocks[r.BlockNumber] = true
		got, err := f.ledger.Record(ctx, r.ID)
		if err != nil || got.BlockNumber != r.BlockNumber {
			t.Fatalf("record %s: %+v %v", r.ID, got, err)
		}
	}
	if len(blocks) != workers*each {
		t.Fatalf("%d records, want %d", len(blocks), workers*each)
	}
	n, err := f.ledger.VerifyChain()
	if err != nil {
		t.Fatal(err)
	}
	// 7 registry transactions, then one entry per issuance.
	if want := uint64(len(demo.Departments()) + len(demo.Types()) + workers*each); n != want {
		t.Fatalf("%d log entries, want %d", n, want)
	}
	if s := f.ledger.Stats(); s.Commits >= s.Transactions {
		t.Fatalf("64 concurrent issuers never shared a commit: %+v", s)
	}
}

// TestAcknowledgedIssuanceSurvivesKill issues from a child process, kills
// it with SIGKILL in the middle of the stream, and checks that every
// issuance the child acknowledged is on the ledger and the log verifies.
func TestAcknowledgedIssuanceSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperIssueForever$")
	cmd.Env = append(os.Environ(), "CERTLEDGER_HELPER_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		acked []string
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		buf := make([]byte, 1<<16)
		var pending string
		for {
			n, err := out.Read(buf)
			pending += string(buf[:n])
			lines := strings.Split(pending, "\n")
			pending = lines[len(lines)-1]
			mu.Lock()
			for _, l := range lines[:len(lines)-1] {
				if id, ok := strings.CutPrefix(l, "ACK "); ok {
					acked = append(acked, id)
				}
			}
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	<-done
	if len(acked) == 0 {
		t.Fatal("the child acknowledged nothing")
	}

	l, err := Open(dir, testKEK)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer l.Close()
	for _, id := range acked {
		if _, err := l.Record(context.Background(), id); err != nil {
			t.Fatalf("acknowledged %s is lost: %v", id, err)
		}
	}
	t.Logf("%d acknowledged issuances survived SIGKILL", len(acked))
}

// TestHelperIssueForever is the child of TestAcknowledgedIssuanceSurvivesKill:
// 16 goroutines issue until the process is killed, printing each
// acknowledged identifier.
func TestHelperIssueForever(t *testing.T) {
	dir := os.Getenv("CERTLEDGER_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	f := newFixtureIn(t, dir)
	var mu sync.Mutex
	for range 16 {
		go func() {
			for {
				rec := f.issue(f.licence("崩溃公司"))
				mu.Lock()
				os.Stdout.WriteString("ACK " + rec.ID + "\n")
				mu.Unlock()
			}
		}()
	}
	select {}
}
