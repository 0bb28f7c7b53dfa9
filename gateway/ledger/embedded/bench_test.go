package embedded

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/network/nettest/cputime"
)

// BenchmarkIssue measures durable issuance (fsync on) by 64 concurrent
// issuers against the target of 1,000 credentials/s. Documents are signed
// before the timer starts, since signing is the gateway's work.
//
//	go test ./gateway/ledger/embedded -run '^$' -bench BenchmarkIssue -benchtime 20000x
func BenchmarkIssue(b *testing.B) {
	f := newFixture(b)
	reqs := make([]issueCall, b.N)
	for i := range reqs {
		reqs[i] = issueCall{msp: f.msp("samr"), req: f.request(f.licence("公司" + strconv.Itoa(i)))}
	}
	var next atomic.Int64
	b.SetParallelism(max(1, 64/runtimeProcs()))
	cpu0 := cputime.Process()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := reqs[next.Add(1)-1]
			if _, err := f.ledger.Issue(context.Background(), c.msp, c.req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	s := f.ledger.Stats()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "issues/s")
	// CPU per issuance does not depend on what else the machine runs, so
	// it tells the capacity of a dedicated machine: cores / cpu-us/op.
	b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
	b.ReportMetric(float64(s.Transactions)/float64(max(s.Commits, 1)), "tx/commit")
}

// BenchmarkVerifyChain measures the check Open runs on every start: the
// whole log and a digest of all state, here for 10,000 issued credentials.
//
//	go test ./gateway/ledger/embedded -run '^$' -bench BenchmarkVerifyChain
func BenchmarkVerifyChain(b *testing.B) {
	f := newFixture(b, WithNoSync())
	issueMany(b, f, 10000)
	b.ResetTimer()
	var entries uint64
	for range b.N {
		var err error
		if entries, err = f.ledger.VerifyChain(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(entries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkCheckFile measures, for a ledger of 20,000 issued credentials,
// the page walk Open runs before bbolt maps the file (inspect), the same
// with bbolt's own check as Verify runs it, and a whole Open.
//
//	go test ./gateway/ledger/embedded -run '^$' -bench BenchmarkCheckFile -benchtime 5x
func BenchmarkCheckFile(b *testing.B) {
	f := newFixture(b, WithNoSync())
	issueMany(b, f, 20000)
	if err := f.ledger.Close(); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(f.dir, FileName)
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("inspect", func(b *testing.B) {
		file, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer file.Close()
		for range b.N {
			if reason := inspect(file, info.Size()); reason != "" {
				b.Fatal(reason)
			}
		}
		b.ReportMetric(float64(info.Size())/(1<<20), "file-MiB")
	})
	b.Run("with-bbolt-check", func(b *testing.B) {
		for range b.N {
			if err := checkFile(path, true, true, time.Second); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		for range b.N {
			l, err := Open(f.dir, testKEK, WithNoSync())
			if err != nil {
				b.Fatal(err)
			}
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRekey measures a KEK rotation of a ledger of 10,000 issued
// credentials: verifying it, copying it into a new file with every private
// document sealed again, and verifying the copy. The first open of a
// format 1 file does the same work.
//
//	go test ./gateway/ledger/embedded -run '^$' -bench BenchmarkRekey -benchtime 3x
func BenchmarkRekey(b *testing.B) {
	f := newFixture(b, WithNoSync())
	issueMany(b, f, 10000)
	if err := f.ledger.Close(); err != nil {
		b.Fatal(err)
	}
	keys := []atrest.KEK{testKEK, atrest.Generate()}
	b.ResetTimer()
	for i := range b.N {
		if _, err := Rekey(f.dir, keys[i%2], keys[(i+1)%2], WithNoSync()); err != nil {
			b.Fatal(err)
		}
	}
}

// issueMany issues n licences from 8 goroutines.
func issueMany(b *testing.B, f *fixture, n int) {
	reqs := make(chan credential.IssueRequest, 64)
	go func() {
		for range n {
			reqs <- f.request(f.licence("校验公司"))
		}
		close(reqs)
	}()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for req := range reqs {
				if _, err := f.ledger.Issue(context.Background(), f.msp("samr"), req); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}
