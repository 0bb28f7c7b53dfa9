package loadtest

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func issuedRow(row int, key, id string) importResult { return importResult{Row: row, Key: key, ID: id} }

func failedRow(row int, key, reason string) importResult {
	r := importResult{Row: row, Key: key}
	r.Error = &struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
		Detail string `json:"detail"`
	}{Reason: reason, Detail: "because"}
	return r
}

func TestCheckRows(t *testing.T) {
	keys := []string{"k0", "k1", "k2"}
	tests := []struct {
		name    string
		results []importResult
		want    rowCheck
		shared  int
		ok      bool
	}{
		{"every row issued", []importResult{issuedRow(2, "k0", "a"), issuedRow(3, "k1", "b"), issuedRow(4, "k2", "c")},
			rowCheck{Rows: 3, Issued: 3}, 0, true},
		{"a row failed", []importResult{issuedRow(2, "k0", "a"), failedRow(3, "k1", "ledger_unavailable"), issuedRow(4, "k2", "c")},
			rowCheck{Rows: 3, Issued: 2, Failed: 1, Reasons: map[string]int{"ledger_unavailable": 1}}, 0, false},
		{"a row without a result", []importResult{issuedRow(2, "k0", "a"), issuedRow(4, "k2", "c")},
			rowCheck{Rows: 3, Issued: 2, Missing: 1}, 0, false},
		{"a result of no row, and a row's second", []importResult{issuedRow(2, "k0", "a"), issuedRow(3, "k1", "b"), issuedRow(4, "k2", "c"), issuedRow(5, "kx", "d"), issuedRow(6, "k1", "b")},
			rowCheck{Rows: 3, Issued: 3, Unexpected: 2}, 0, false},
		{"neither identifier nor problem", []importResult{issuedRow(2, "k0", "a"), issuedRow(3, "k1", ""), issuedRow(4, "k2", "c")},
			rowCheck{Rows: 3, Issued: 2, Failed: 1, Reasons: map[string]int{"no identifier": 1}}, 0, false},
		{"one identifier for two rows", []importResult{issuedRow(2, "k0", "a"), issuedRow(3, "k1", "a"), issuedRow(4, "k2", "c")},
			rowCheck{Rows: 3, Issued: 3}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := newIdentities()
			got := checkRows(keys, tt.results, ids)
			if tt.want.Reasons == nil {
				tt.want.Reasons = map[string]int{}
			}
			got.Examples = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("checkRows = %+v, want %+v", got, tt.want)
			}
			if got.ok() != tt.ok {
				t.Errorf("ok = %v, want %v", got.ok(), tt.ok)
			}
			if len(ids.Shared) != tt.shared || len(ids.Conflicts) != 0 {
				t.Errorf("shared %v, conflicts %v", ids.Shared, ids.Conflicts)
			}
		})
	}
}

// A file sent again must answer its rows' first identifiers: a row with
// another one is a conflict, noted across sends.
func TestIdentitiesAcrossSends(t *testing.T) {
	keys := []string{"k0", "k1"}
	ids := newIdentities()
	first := checkRows(keys, []importResult{issuedRow(2, "k0", "a"), failedRow(3, "k1", "ledger_unavailable")}, ids)
	again := checkRows(keys, []importResult{issuedRow(2, "k0", "a"), issuedRow(3, "k1", "b")}, ids)
	if first.ok() || !again.ok() || len(ids.Conflicts) != 0 || !reflect.DeepEqual(ids.ids(), []string{"a", "b"}) {
		t.Fatalf("first %+v, again %+v, identities %v, conflicts %v", first, again, ids.ids(), ids.Conflicts)
	}
	checkRows(keys, []importResult{issuedRow(2, "k0", "c"), issuedRow(3, "k1", "b")}, ids)
	if len(ids.Conflicts) != 1 || !strings.Contains(ids.Conflicts[0], "k0") || ids.id("k0") != "a" {
		t.Fatalf("conflicts %v, k0 is %s", ids.Conflicts, ids.id("k0"))
	}
	if f := identityFailures(ids); len(f) != 1 || !strings.Contains(f[0], "two identifiers") {
		t.Fatalf("failures %v", f)
	}
}

func TestRegisterDiff(t *testing.T) {
	ids := newIdentities()
	for k, id := range map[string]string{"r0": "x0", "r1": "x1", "r2": "x2"} {
		ids.add(k, id)
	}
	before := map[string]bool{"old": true}
	after := map[string]bool{"old": true, "x0": true, "x1": true, "stray": true}
	extra, missing := registerDiff(before, after, ids)
	if !reflect.DeepEqual(extra, []string{"stray"}) || !reflect.DeepEqual(missing, []string{"x2"}) {
		t.Fatalf("extra %v, missing %v", extra, missing)
	}
	c := registerCheck{Before: 1, After: 4, Extra: extra, Missing: missing}
	if f := c.failures(); len(f) != 2 {
		t.Fatalf("failures %v", f)
	}
	after["x2"] = true
	delete(after, "stray")
	if extra, missing := registerDiff(before, after, ids); len(extra)+len(missing) != 0 {
		t.Fatalf("extra %v, missing %v", extra, missing)
	}
}

func TestSampleIndices(t *testing.T) {
	tests := []struct {
		n, k int
		want []int
	}{
		{10, 3, []int{0, 4, 9}},
		{3, 5, []int{0, 1, 2}},
		{5, 1, []int{0}},
		{0, 3, nil},
		{7, 0, nil},
		{4, 4, []int{0, 1, 2, 3}},
	}
	for _, tt := range tests {
		if got := sampleIndices(tt.n, tt.k); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("sampleIndices(%d, %d) = %v, want %v", tt.n, tt.k, got, tt.want)
		}
	}
	got := sampleIndices(100_000, 200)
	if len(got) != 200 || got[0] != 0 || got[199] != 99_999 {
		t.Fatalf("%d indices from %d to %d", len(got), got[0], got[len(got)-1])
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("not increasing at %d: %v", i, got[i-1:i+1])
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567", -2000: "-2,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestImportRunFailures(t *testing.T) {
	good := importRun{Rows: 2, BatchID: "b", End: batchState{Status: "done"}, Check: rowCheck{Rows: 2, Issued: 2}, Sampled: 2, Verified: 2}
	if f := good.failures(); len(f) != 0 {
		t.Fatalf("failures of a good run: %v", f)
	}
	bad := good
	bad.End = batchState{Status: "failed", Detail: "stopped"}
	bad.Check = rowCheck{Rows: 2, Issued: 1, Failed: 1, Reasons: map[string]int{"ledger_unavailable": 1}}
	bad.Verified = 1
	f := strings.Join(bad.failures(), "; ")
	for _, want := range []string{`ended "failed"`, "1 rows failed (1 ledger_unavailable)", "1 of 2 sampled"} {
		if !strings.Contains(f, want) {
			t.Errorf("failures %q lack %q", f, want)
		}
	}
}

// The chaos report tells a file sent again from one issued on its first
// send, names the rows that failed before, and fails a file given up.
func TestChaosImportReport(t *testing.T) {
	typ, _ := demoType(DefaultType)
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	resent := &importFileRun{name: "network down", file: newImportFile(typ, 2, "r"), start: at, end: at.Add(10 * time.Second), finished: true, upFails: 1, pollFails: 3,
		sends: []importSend{{batch: "b1", check: rowCheck{Rows: 2, Issued: 1, Failed: 1, Reasons: map[string]int{"ledger_unavailable": 1}}},
			{batch: "b2", check: rowCheck{Rows: 2, Issued: 2, Reasons: map[string]int{}}}}}
	steady := &importFileRun{name: "steady", file: newImportFile(typ, 2, "s"), start: at, end: at.Add(time.Second), finished: true,
		sends: []importSend{{batch: "b0", check: rowCheck{Rows: 2, Issued: 2, Reasons: map[string]int{}}}}}
	lost := &importFileRun{name: "gateway", file: newImportFile(typ, 2, "g"), start: at, abandoned: true}
	ids := newIdentities()
	for i, k := range append(append([]string{}, steady.file.Keys...), resent.file.Keys...) {
		ids.add(k, "id"+string(rune('a'+i)))
	}
	r := &ChaosImportReport{cfg: ChaosConfig{ImportRows: 2, Concurrency: 4, Drain: time.Minute}, load: &importLoad{files: []*importFileRun{steady, resent}}, ids: ids,
		faults: []fault{{name: "network down", at: at, restored: at.Add(5 * time.Second), load: "batch b1 running, 1 of 2 rows done"}},
		found:  4, sampled: 4, verified: 4, register: registerCheck{Before: 0, After: 4}}
	if f := r.Failures(); len(f) != 0 {
		t.Fatalf("failures %v", f)
	}
	cells := r.fileCells(1, resent)
	want := []string{"network down", "batch b1 running, 1 of 2 rows done", "5.0 s", "2", "1", "3", "1 (1 ledger_unavailable)", "10.0 s", "0", "PASS"}
	if !reflect.DeepEqual(cells, want) {
		t.Errorf("cells %q, want %q", cells, want)
	}
	if c := r.fileCells(0, steady); c[1] != "-" || c[6] != "0" || c[9] != "PASS" {
		t.Errorf("steady cells %q", c)
	}
	r.load.files = append(r.load.files, lost)
	r.found = 3
	f := strings.Join(r.Failures(), "; ")
	for _, s := range []string{"gateway: given up", "1 identifiers not read back"} {
		if !strings.Contains(f, s) {
			t.Errorf("failures %q lack %q", f, s)
		}
	}
	md := r.Markdown("certledger bench-fabric --chaos --import 2")
	if !strings.Contains(md, "FAIL: given up") || !strings.Contains(md, "certledger bench-fabric --chaos --import 2") {
		t.Errorf("markdown:\n%s", md)
	}
}

// The whole `bench --import` path on a gateway the tool starts: every row
// issued once, the sample verified, the register holding the rows and
// nothing more.
func TestRunImportSelfHosted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a gateway")
	}
	rep, err := RunImport(context.Background(), ImportConfig{Rows: 300, Sample: 20, Concurrency: 8, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if f := rep.Failures(); len(f) > 0 {
		t.Fatalf("failures: %v", f)
	}
	if rep.Run.Check.Issued != 300 || len(rep.ids.byID) != 300 || rep.Run.Verified != 20 || rep.Register.After-rep.Register.Before != 300 || rep.RowsPerSecond() <= 0 {
		t.Fatalf("report %+v, register %+v", rep.Run, rep.Register)
	}
	rep.Command = "certledger bench --import 300"
	md := rep.Markdown()
	for _, s := range []string{"| 300 |", "certledger bench --import 300", "300 of 300 rows with an identifier", "20 of 20 identifiers"} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q:\n%s", s, md)
		}
	}
}

// The Fabric import report of fixed figures: the rate over all rounds, the
// ratio to raw put in throughput and CPU, the verdict and the register.
func TestFabricImportReport(t *testing.T) {
	ids := newIdentities()
	for i := range 4 {
		ids.add(importRowKey("k", i), "id"+string(rune('a'+i)))
	}
	run := func(elapsed time.Duration) importRun {
		return importRun{Rows: 2, BatchID: "b", End: batchState{Status: "done"}, Elapsed: elapsed, Check: rowCheck{Rows: 2, Issued: 2}, Sampled: 2, Verified: 2}
	}
	put := Result{Phase: phaseKVPut, Ops: 500, Elapsed: 2 * time.Second, Rate: 250, P50: 200 * time.Millisecond, P99: 400 * time.Millisecond}
	b := &FabricImportReport{cfg: FabricConfig{Concurrency: 64, Duration: time.Second, Rounds: 2, ValueSize: 600}, rows: 2, typ: DefaultType,
		start: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), batchTimeout: "50ms", ids: ids,
		puts: []Result{put, put}, put: mergeRounds([]Result{put, put}), imports: []importRun{run(100 * time.Microsecond), run(300 * time.Microsecond)},
		register: registerCheck{After: 4},
		cpu:      cpuByPhase{phaseKVPut: {"peer0.samr": 10 * time.Second}, phaseImport: {"peer0.samr": 2 * time.Millisecond, "gateway": 2 * time.Millisecond}}}
	if got := b.ImportRate(); got != 10_000 {
		t.Fatalf("import rate %v, want 4 rows in 400 µs", got)
	}
	if got := b.Ratio(); got != 40 {
		t.Fatalf("ratio %v, want 40", got)
	}
	if got := b.cpuRatio(); got < 9.99 || got > 10.01 {
		t.Fatalf("CPU ratio %v, want 10 ms per key (10 s, 1000 keys) over 1 ms per row (4 ms, 4 rows)", got)
	}
	if !b.Passed() {
		t.Fatalf("failures %v", b.Failures())
	}
	md := b.Markdown("certledger bench-fabric --import 2")
	for _, want := range []string{"**250 keys/s**", "**10000 rows/s**", "target >= 10,000 rows/s: met", "**40.0x**", "| 2 | 250 keys/s |", "| import, per row | 1000 µs", "--body-memory 256MiB"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	b.register.Extra = []string{"stray"}
	if b.Passed() || !strings.Contains(strings.Join(b.Failures(), ";"), "beyond the imported rows") {
		t.Fatalf("a stray register entry passed: %v", b.Failures())
	}
}

// The chaos run's import load, without faults, on a gateway the tool
// starts: a file is under way when underWay returns, finishes on its first
// send, and every identifier it answered reads back.
func TestImportLoadSelfHosted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a gateway")
	}
	ctx := context.Background()
	sh, err := startSelfHostedWith(ctx, "", io.Discard, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.cleanup()
	defer sh.stop()
	typ, err := demoTypeOf(chaosDept)
	if err != nil {
		t.Fatal(err)
	}
	api := newImportAPI(sh.URL, sh.Keys[chaosDept].APIKey, 8)
	defer api.close()
	l := &importLoad{api: api, cfg: ChaosConfig{ImportRows: 400}, typ: typ, run: "t", ids: newIdentities()}
	f, state, err := l.underWay(ctx, "no fault")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(state, "running") && !strings.Contains(state, "over before the fault") {
		t.Fatalf("state %q", state)
	}
	if err := l.finish(ctx, f, func() {}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if !f.finished || len(f.sends) != 1 || f.upFails+f.pollFails != 0 || l.acknowledged() != 400 || len(l.ids.byID) != 400 {
		t.Fatalf("file finished %v after %d sends (%d, %d failures), %d acknowledged, %d identifiers: %s", f.finished, len(f.sends), f.upFails, f.pollFails,
			l.acknowledged(), len(l.ids.byID), l.describe(f))
	}
	if n, firstErr := readBack(ctx, api, l.ids.ids(), 8, false); n != 400 {
		t.Fatalf("%d of 400 read back: %s", n, firstErr)
	}
}
