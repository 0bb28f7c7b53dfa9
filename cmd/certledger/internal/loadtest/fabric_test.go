package loadtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUpdateSectionKeepsOtherSections writes the Fabric section twice into
// a file that holds the embedded benchmark's section and hand-written text:
// only the text between the Fabric markers changes.
func TestUpdateSectionKeepsOtherSections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	before := "# Benchmarks\n\nintro\n\n" + SectionBegin + "\nembedded results\n" + SectionEnd + "\n\nanalysis\n"
	if err := os.WriteFile(path, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"first run", "second run"} {
		if err := UpdateMarkdownSection(path, FabricSectionBegin, FabricSectionEnd, "## Fabric\n\n"+body+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := os.ReadFile(path)
	got := string(raw)
	for _, want := range []string{"intro", "embedded results", "analysis", "second run"} {
		if !strings.Contains(got, want) {
			t.Fatalf("lost %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "first run") || strings.Count(got, FabricSectionBegin) != 1 {
		t.Fatalf("the Fabric section was not replaced in place:\n%s", got)
	}

	broken := filepath.Join(t.TempDir(), "broken.md")
	os.WriteFile(broken, []byte("x\n"+FabricSectionBegin+"\n"), 0o644)
	if err := UpdateMarkdownSection(broken, FabricSectionBegin, FabricSectionEnd, "y"); err == nil {
		t.Fatal("a file with only a begin marker was rewritten")
	}
}

func TestMergeRounds(t *testing.T) {
	ms := time.Millisecond
	got := mergeRounds([]Result{
		{Ops: 100, Elapsed: time.Second, P50: 10 * ms, P99: 50 * ms},
		{Ops: 300, Elapsed: time.Second, P50: 30 * ms, P99: 40 * ms, Errors: 1, FirstError: "boom"},
		{Ops: 200, Elapsed: time.Second, P50: 20 * ms, P99: 90 * ms},
	})
	if got.Ops != 600 || got.Rate != 200 || got.P50 != 20*ms || got.P99 != 90*ms || got.Errors != 1 || got.FirstError != "boom" {
		t.Fatalf("merged %+v", got)
	}
	if r := mergeRounds(nil); r.Ops != 0 {
		t.Fatalf("no rounds: %+v", r)
	}
}

func TestCPURatio(t *testing.T) {
	b := &FabricReport{cpu: cpuByPhase{
		"issue":  {"peer0.samr": 2 * time.Second, "gateway": time.Second}, // 3 s for 100 ops: 30 ms each
		"kv put": {"peer0.samr": time.Second},                             // 1 s for 100 ops: 10 ms each
	}}
	if r := b.cpuRatio("issue", 100, "kv put", 100); r < 0.333 || r > 0.334 {
		t.Fatalf("cpuRatio = %v, want 1/3", r)
	}
	if r := b.cpuRatio("verify", 100, "kv get", 100); r != 0 {
		t.Fatalf("unmeasured phases: %v", r)
	}
}

// TestFabricReportRendering renders a report of fixed figures: the table
// and the Markdown section carry the ratios, verdicts and the description
// docs/benchmarks.md has held since the harness was written.
func TestFabricReportRendering(t *testing.T) {
	ms := time.Millisecond
	res := func(phase string, rate float64) Result {
		return Result{Phase: phase, Ops: int(rate) * 10, Elapsed: 10 * time.Second, Rate: rate, P50: 20 * ms, P99: 90 * ms}
	}
	b := &FabricReport{
		cfg:   FabricConfig{Concurrency: 64, Duration: 15 * time.Second, ValueSize: 600},
		start: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), batchTimeout: "50ms", rounds: 2,
		put: res("kv put", 1000), issue: res(PhaseIssue, 850), directIssue: res("contract issue", 900),
		get: res("kv get", 4000), verify: res(PhaseVerify, 3000), directGet: res("contract get", 3500),
		issuePlain: res(phaseIssuePlain, 500), verifyPlain: res(phaseVerifyPlain, 2000),
		cpu:    cpuByPhase{"kv put": {"peer0.samr": 10 * time.Second}, PhaseIssue: {"peer0.samr": 10 * time.Second, "gateway": 5 * time.Second}},
		memory: []memoryRow{{name: "peer0.samr", rss: 100 << 10, peak: 120 << 10}},
	}
	if b.Passed() {
		t.Fatal("the report passed with verification at 75% of raw Fabric")
	}
	var table strings.Builder
	b.WriteTable(&table)
	md := b.Markdown("certledger bench-fabric --write docs/benchmarks.md")
	for _, want := range []string{
		"85%", "57%", "75%", "PASS", "FAIL", "reference", "peer0.samr  100 MB    120 MB",
		"batch timeout 50ms, 64 clients, 15s per phase",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	for _, want := range []string{
		"## Fabric: the gateway against raw Fabric on the same network",
		"Measured 2026-01-02 03:04 UTC with\n\n```sh\ncertledger bench-fabric --write docs/benchmarks.md\n```",
		"each for 15s with 64 concurrent clients in the same client loop (`loadtest.RunOp`)",
		"| issuance (POST /api/v1/credentials) vs raw kv put | 850/s | 20.0 ms | 90.0 ms | 0 |",
		"| 85% | PASS | 57% | 94% |",
		"| verification (POST /api/v1/verify) vs raw kv get | 3000/s |",
		"| 75% | FAIL |",
		"| rounds | 2 x 15s per phase, interleaved |",
		"| peer0.samr | 100 MB | 120 MB |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}
