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
