package loadtest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {90, 90 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}}
	for _, tt := range tests {
		if got := percentile(lat, tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile of nothing = %v", got)
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("percentile of one = %v", got)
	}
}

func TestCheckLoopback(t *testing.T) {
	for u, ok := range map[string]bool{
		"http://127.0.0.1:8080":         true,
		"http://localhost:8080/":        true,
		"http://[::1]:8080":             true,
		"http://127.9.9.9":              true,
		"http://10.0.0.5:8080":          false,
		"http://example.com":            false,
		"http://localhost.evil.example": false,
		"ftp://127.0.0.1":               false,
		"127.0.0.1:8080":                false,
	} {
		if err := CheckLoopback(u); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", u, err, ok)
		}
	}
}

func TestUpdateMarkdownFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docs", "benchmarks.md")
	if err := UpdateMarkdownFile(path, "first\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "# Benchmarks\n") || !strings.Contains(string(b), SectionBegin+"\nfirst\n"+SectionEnd) {
		t.Fatalf("new file:\n%s", b)
	}
	// Hand-written text around the section survives an update.
	hand := "# Benchmarks\n\nHow to read these.\n\n" + SectionBegin + "\nfirst\n" + SectionEnd + "\n\n## Notes\nkept\n"
	os.WriteFile(path, []byte(hand), 0o644)
	if err := UpdateMarkdownFile(path, "second"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	want := "# Benchmarks\n\nHow to read these.\n\n" + SectionBegin + "\nsecond\n" + SectionEnd + "\n\n## Notes\nkept\n"
	if string(b) != want {
		t.Fatalf("updated file:\n%s\nwant:\n%s", b, want)
	}
	// A file without markers gets the section appended.
	os.WriteFile(path, []byte("# Benchmarks\n\nintro\n"), 0o644)
	if err := UpdateMarkdownFile(path, "third"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	if string(b) != "# Benchmarks\n\nintro\n\n"+SectionBegin+"\nthird\n"+SectionEnd+"\n" {
		t.Fatalf("appended:\n%s", b)
	}
	os.WriteFile(path, []byte(SectionBegin+"\nbroken"), 0o644)
	if err := UpdateMarkdownFile(path, "x"); err == nil {
		t.Fatal("a file with one marker was rewritten")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{Phases: []string{"verify", "nap"}}).WithDefaults().Validate(); err == nil {
		t.Error("unknown phase accepted")
	}
	if err := (Config{URL: "http://192.0.2.1:8080"}).WithDefaults().Validate(); err == nil {
		t.Error("non-loopback URL accepted")
	}
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// A short run of every phase against a gateway the tool starts itself:
// the whole path works, nothing fails and every issuance is durable.
func TestRunSelfHosted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a gateway")
	}
	rep, err := Run(context.Background(), Config{
		Concurrency: 8, Duration: 20 * time.Second, Count: 40, IssueCount: 30,
		Progress: io.Discard, Log: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.SelfHosted || len(rep.Results) != len(AllPhases) {
		t.Fatalf("report %+v", rep)
	}
	for i, r := range rep.Results {
		if r.Phase != AllPhases[i] {
			t.Errorf("result %d is %s, want %s", i, r.Phase, AllPhases[i])
		}
		if r.Errors != 0 || r.FirstError != "" {
			t.Errorf("%s: %d errors, first %s", r.Phase, r.Errors, r.FirstError)
		}
		want := 40
		if r.Phase == PhaseIssue {
			want = 30
		}
		if r.Ops != want {
			t.Errorf("%s: %d operations, want the count limit %d", r.Phase, r.Ops, want)
		}
		if r.Phase != PhaseInProcess && (r.P50 <= 0 || r.P99 < r.P50 || r.Max < r.P99) {
			t.Errorf("%s: percentiles p50 %v p99 %v max %v", r.Phase, r.P50, r.P99, r.Max)
		}
	}
	notes := strings.Join(rep.Results[1].Notes, "\n")
	if !strings.Contains(notes, "30/30 acknowledged credentials read back") || !strings.Contains(notes, "30/30 acknowledged credentials present") {
		t.Errorf("issuance notes do not confirm durability:\n%s", notes)
	}
	var table strings.Builder
	rep.WriteTable(&table)
	md := rep.Markdown("certledger bench --count 40")
	for _, s := range []string{"certledger bench --count 40", "CPU model", "| verify |", "Go"} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q:\n%s", s, md)
		}
	}
	if !strings.Contains(table.String(), "qr") {
		t.Errorf("table:\n%s", table.String())
	}
}
