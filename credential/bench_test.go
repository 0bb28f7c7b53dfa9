package credential_test

import (
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network/nettest/cputime"
)

// reportRates adds throughput (operations per wall-clock second, over all
// goroutines) and CPU time per operation, which stays meaningful when other
// processes compete for the cores.
func reportRates(b *testing.B, unit string, cpuStart time.Duration) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, unit+"/s")
	}
	if cpu := cputime.Process() - cpuStart; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkVerify is in-process verification of a signed credential against
// its ledger record: what POST /api/v1/verify costs before I/O. Run with
// -cpu 1,2 to see the scaling over cores.
func BenchmarkVerify(b *testing.B) {
	reg := testRegistry()
	d := issueLicence(b, reg)
	rec := recordOf(d)
	b.ReportAllocs()
	cpu := cputime.Process()
	defer func() { reportRates(b, "verifies", cpu) }()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			v := credential.Verify(credential.VerifyInput{Document: d, Registry: reg, Record: rec, Online: true, Now: now})
			if !v.Valid {
				b.Fatalf("not valid: %+v", v.Checks)
			}
		}
	})
}

// BenchmarkIssue builds and signs a credential (schema checks, salts,
// commitments, digest, Ed25519 signature).
func BenchmarkIssue(b *testing.B) {
	reg := testRegistry()
	p := licenceParams(b, reg)
	b.ReportAllocs()
	cpu := cputime.Process()
	defer func() { reportRates(b, "issues", cpu) }()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := credential.Issue(p, "samr-2025", samrKey); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkComputeDigest(b *testing.B) {
	d := issueLicence(b, testRegistry())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.ComputeDigest(); err != nil {
			b.Fatal(err)
		}
	}
}
