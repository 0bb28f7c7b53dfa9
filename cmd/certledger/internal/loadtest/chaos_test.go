package loadtest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

func TestLongestGap(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	acks := []time.Time{at(1), at(2), at(7), at(8), at(20)}
	for _, tc := range []struct {
		name     string
		from, to float64
		want     float64
	}{
		{"gaps inside", 0, 10, 5},                                // 2 -> 7
		{"counted from the last ack before the window", 3, 9, 5}, // 2 -> 7
		{"tail to the window's end", 8.5, 19, 11},                // 8 -> 19
		{"no ack before nor in the window", -5, 0.5, 5.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := longestGap(acks, at(tc.from), at(tc.to))
			if want := time.Duration(tc.want * float64(time.Second)); got != want {
				t.Fatalf("longestGap = %s, want %s", got, want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	for _, tc := range []struct {
		status int
		header http.Header
		body   string
		want   outcome
	}{
		{201, h(), `{}`, outIssued},
		{201, h("Idempotent-Replayed", "true"), `{}`, outReplayed},
		{503, h("Retry-After", "2"), `{}`, out503Retry},
		{503, h(), `{}`, out503Bare},
		{500, h(), `{}`, out500},
		{502, h(), ``, out500},
		{429, h("Retry-After", "1"), `{}`, out429},
		{409, h(), `{"reason":"concurrent_change"}`, outConflictRetry},
		{409, h(), `{"reason":"idempotency_key_reused"}`, outRejected},
		{400, h(), `{"reason":"invalid_field"}`, outRejected},
	} {
		if got := classify(tc.status, tc.header, []byte(tc.body)); got != tc.want {
			t.Errorf("classify(%d, %v, %s) = %s, want %s", tc.status, tc.header, tc.body, got, tc.want)
		}
	}
}

func TestIssuanceOf(t *testing.T) {
	doc := func(name string) credential.Document {
		return credential.Document{Claims: []credential.Claim{{Name: credential.ClaimHolderName, Value: name}}}
	}
	for name, want := range map[string]int{
		holderName("r1", 42):     42,
		holderName("r2", 42):     0, // another run's
		"王五":                     0,
		holderPrefix("r1"):       0,
		holderPrefix("r1") + "x": 0,
	} {
		if got := issuanceOf(doc(name), "r1"); got != want {
			t.Errorf("issuanceOf(%q) = %d, want %d", name, got, want)
		}
	}
}

// TestTally counts a ledger with one issuance recorded twice, one
// acknowledged credential missing, one recorded with another digest than
// acknowledged, and one recorded but never acknowledged.
func TestTally(t *testing.T) {
	docs := []ledgerDoc{
		{id: "A", digest: "a", n: 1},
		{id: "B", digest: "b", n: 2},
		{id: "B2", digest: "b2", n: 2}, // a second credential of issuance 2
		{id: "C", digest: "other", n: 3},
		{id: "E", digest: "e", n: 5}, // its client gave up
		{id: "X", digest: "x", n: 0}, // not this run's
	}
	acks := []ack{{n: 1, id: "A", digest: "a"}, {n: 2, id: "B", digest: "b"}, {n: 3, id: "C", digest: "c"}, {n: 4, id: "D", digest: "d"}}
	got := checkAcknowledged(docs, acks)
	if got.records != 6 || got.ours != 5 || got.found != 2 || strings.Join(got.lost, ",") != "C,D" ||
		got.duplicates != 1 || got.dupIssuances != 1 || got.unacked != 1 {
		t.Fatalf("tally = %+v", got)
	}
}

// TestChaosReport renders a run of fixed figures: the windows cut at the
// faults, the stall, the verdict and the Markdown section.
func TestChaosReport(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	r := &ChaosReport{cfg: ChaosConfig{Concurrency: 64, Settle: 20 * time.Second, Outage: 10 * time.Second, Drain: time.Minute}, start: t0,
		faults: []fault{{name: "kill -9 orderer1 (the Raft leader)", at: at(10), restored: at(21)}},
		load: loadResult{start: at(0), end: at(40), started: 5,
			attempts: []attempt{
				{at: at(1), latency: 100 * time.Millisecond, out: outIssued},
				{at: at(9), latency: 200 * time.Millisecond, out: outIssued},
				{at: at(9.5), latency: time.Second, out: outNoAnswer}, // counted where it ended
				{at: at(11), latency: time.Second, out: out503Retry},
				{at: at(12), latency: time.Second, out: outNoAnswer},
				{at: at(15), latency: 300 * time.Millisecond, out: outReplayed},
				{at: at(30), latency: 100 * time.Millisecond, out: outIssued},
			},
			acks: []ack{{n: 1, at: at(1.1)}, {n: 2, at: at(9.2)}, {n: 3, at: at(15.3)}, {n: 4, at: at(30.1)}}},
		ledger: ledgerCheck{records: 4, ours: 4, found: 4},
	}
	ws := r.windows()
	if len(ws) != 2 || ws[0].acks != 2 || ws[1].acks != 2 || ws[1].outcomes[out503Retry] != 1 || ws[1].outcomes[outNoAnswer] != 2 {
		t.Fatalf("windows %+v", ws)
	}
	if ws[1].stall != 14800*time.Millisecond {
		t.Fatalf("fault window: stall %s", ws[1].stall)
	}
	if d, where := r.longestStall(); d != 14800*time.Millisecond || !strings.Contains(where, "orderer1") {
		t.Fatalf("longest stall %s in %q", d, where)
	}
	if !r.Passed() {
		t.Fatalf("failures %v", r.Failures())
	}
	var table strings.Builder
	r.WriteTable(&table)
	md := r.Markdown("certledger bench-fabric --chaos --write docs/benchmarks.md")
	for _, want := range []string{"PASS", "longest stall (no acknowledgment): 14.8 s", "kill -9 orderer1 (the Raft leader)", "11.0 s"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	for _, want := range []string{
		"## Chaos: issuance through crashes and a network restart",
		"```sh\ncertledger bench-fabric --chaos --write docs/benchmarks.md\n```",
		"| kill -9 orderer1 (the Raft leader) | 11.0 s | 14.8 s | 2 | 100.0 ms | 300.0 ms | 300.0 ms | 1 | 1 | 0 |",
		"lost: 0; duplicates: 0",
		"**PASS**",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}

	r.ledger.lost, r.ledger.duplicates = []string{"X"}, 2
	r.load.attempts = append(r.load.attempts, attempt{at: at(31), out: out500}, attempt{at: at(32), out: out503Bare})
	if got := strings.Join(r.Failures(), "; "); got != "1 acknowledged credentials not found on the ledger; 2 duplicate credentials on the ledger; 1 answers 500 (or another 5xx but 503); 1 answers 503 without Retry-After" {
		t.Fatalf("failures: %s", got)
	}
}
