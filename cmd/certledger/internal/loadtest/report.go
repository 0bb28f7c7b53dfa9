package loadtest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func verdict(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}

// latencyCells are the latency columns; the in-process phase has none
// worth showing (its work is a function call).
func latencyCells(x Result) [4]string {
	if x.Phase == PhaseInProcess {
		return [4]string{"-", "-", "-", "-"}
	}
	return [4]string{ms(x.P50), ms(x.P90), ms(x.P99), ms(x.Max)}
}

// WriteTable prints the results as an aligned table with notes below.
func (r *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tclients\tok\terrors\ttime\tthroughput\tcores used\tper CPU-s\tp50\tp90\tp99\tmax\ttarget\tresult\t")
	for _, x := range r.Results {
		l := latencyCells(x)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1fs\t%.0f/s\t%.2f\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			x.Phase, x.Workers, x.Ops, x.Errors, x.Elapsed.Seconds(), x.Rate, x.Cores, x.PerCPUSecond, l[0], l[1], l[2], l[3], x.Target, verdict(x.Pass))
	}
	tw.Flush()
	for _, x := range r.Results {
		for _, n := range x.Notes {
			fmt.Fprintf(w, "  %s: %s\n", x.Phase, n)
		}
		if x.FirstError != "" {
			fmt.Fprintf(w, "  %s: first error: %s\n", x.Phase, x.FirstError)
		}
	}
}

// Markers delimit the section `certledger bench --write` owns in a
// Markdown file; text outside them is left alone.
const (
	SectionBegin = "<!-- certledger-bench:begin -->"
	SectionEnd   = "<!-- certledger-bench:end -->"
)

// Markdown renders the results section, naming the command line that
// produced it.
func (r *Report) Markdown(cmdline string) string {
	return r.markdown("Latest results", cmdline)
}

// WalletMarkdown renders the section of `certledger bench --wallet`.
func (r *Report) WalletMarkdown(cmdline string) string {
	return r.markdown("A holder's list: GET /api/v1/me/credentials", cmdline)
}

func (r *Report) markdown(title, cmdline string) string {
	var b strings.Builder
	m := r.Machine
	target := "a gateway started in-process by the load tool on a temporary data folder (embedded ledger with fsync, demo registry, access log to a file)"
	if !r.SelfHosted {
		target = "the running gateway at " + r.URL
	}
	fmt.Fprintf(&b, "## %s\n\n", title)
	fmt.Fprintf(&b, "Measured %s with\n\n```sh\n%s\n```\n\n", r.Start.Format("2006-01-02 15:04 MST"), cmdline)
	fmt.Fprintf(&b, "| machine | |\n|---|---|\n")
	fmt.Fprintf(&b, "| CPUs (nproc) | %d (GOMAXPROCS %d) |\n", m.CPUs, m.GOMAXPROCS)
	fmt.Fprintf(&b, "| CPU model | %s |\n", m.CPUModel)
	fmt.Fprintf(&b, "| Go | %s %s |\n", m.GoVersion, m.OS)
	if m.LoadAvg != "" {
		fmt.Fprintf(&b, "| load average at start | %s (1-minute average, which lags: *cores used* below says what the run got) |\n", m.LoadAvg)
	}
	fmt.Fprintf(&b, "| target | %s |\n", target)
	fmt.Fprintf(&b, "| limits per phase | %s or %d operations (issuance: %d), %d HTTP clients |\n\n",
		r.Config.Duration, r.Config.Count, r.Config.IssueCount, r.Config.Concurrency)
	fmt.Fprintf(&b, "| phase | clients | ok | errors | throughput | cores used | per CPU-s | p50 | p90 | p99 | max | target | result |\n")
	fmt.Fprintf(&b, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|\n")
	for _, x := range r.Results {
		l := latencyCells(x)
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.0f/s | %.2f | %.0f | %s | %s | %s | %s | %s | %s |\n",
			x.Phase, x.Workers, x.Ops, x.Errors, x.Rate, x.Cores, x.PerCPUSecond, l[0], l[1], l[2], l[3], x.Target, verdict(x.Pass))
	}
	b.WriteString("\n*cores used* is the CPU time of the load tool's process per second of the phase")
	if r.SelfHosted {
		b.WriteString(" (gateway and clients together)")
	}
	b.WriteString("; it falls below the core count when other processes compete for the machine. ")
	b.WriteString("*per CPU-s* is the operations per CPU-second of that process, the rate per core whatever share of the machine the run got.\n\n")
	for _, x := range r.Results {
		for _, n := range x.Notes {
			fmt.Fprintf(&b, "- %s: %s\n", x.Phase, n)
		}
		if x.FirstError != "" {
			fmt.Fprintf(&b, "- %s: first error: `%s`\n", x.Phase, strings.ReplaceAll(x.FirstError, "`", "'"))
		}
	}
	return b.String()
}

// UpdateMarkdownFile replaces the section between the markers in path with
// section, appending it when the file has none and creating the file when
// it does not exist.
func UpdateMarkdownFile(path, section string) error {
	return UpdateMarkdownSection(path, SectionBegin, SectionEnd, section)
}

// UpdateMarkdownSection replaces the text between the begin and end markers
// in the Markdown file at path with section, appending a marked block when
// there is none; everything outside the markers is kept. Each benchmark
// command owns its own pair of markers in the same file.
func UpdateMarkdownSection(path, begin, end, section string) error {
	block := begin + "\n" + strings.TrimRight(section, "\n") + "\n" + end + "\n"
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	var out string
	switch {
	case len(old) == 0:
		out = "# Benchmarks\n\n" + block
	case i >= 0 && j > i:
		out = text[:i] + block + strings.TrimPrefix(text[j+len(end):], "\n")
	case i >= 0 || j >= 0:
		return fmt.Errorf("%s has only one of the markers %s and %s", path, begin, end)
	default:
		out = strings.TrimRight(text, "\n") + "\n\n" + block
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(out), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
