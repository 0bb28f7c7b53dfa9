package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/certledger/certledger/cmd/certledger/internal/loadtest"
	"github.com/certledger/certledger/gateway"
)

func init() {
	commands["bench"] = command{run: runBench, summary: "measure verification, issuance and QR throughput (starts its own gateway unless --url)"}
}

func runBench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var cfg loadtest.Config
	var phases, write, cpuProfile string
	fs.StringVar(&cfg.URL, "url", "", "gateway to drive, loopback only (default: start one in-process on a temporary data folder)")
	fs.StringVar(&cfg.KeysFile, "keys", loadtest.DefaultKeysFile, "demo-keys.json of the gateway at --url")
	fs.StringVar(&cfg.Type, "type", loadtest.DefaultType, "credential type to issue")
	fs.IntVar(&cfg.Concurrency, "concurrency", loadtest.DefaultConcurrency, "concurrent HTTP clients")
	fs.DurationVar(&cfg.Duration, "duration", loadtest.DefaultDuration, "time limit of each phase")
	fs.IntVar(&cfg.Count, "count", loadtest.DefaultCount, "operation limit of each phase")
	fs.IntVar(&cfg.IssueCount, "issue-count", loadtest.DefaultIssueCount, "issuance limit (every acknowledged credential is read back)")
	fs.StringVar(&phases, "phases", strings.Join(loadtest.AllPhases, ","), "phases to run, comma-separated: "+strings.Join(loadtest.AllPhases, ", "))
	fs.StringVar(&write, "write", "", "update the results section of this Markdown file (e.g. docs/benchmarks.md)")
	wallet := fs.Bool("wallet", false, fmt.Sprintf("instead of the phases, measure GET /api/v1/me/credentials for a demo citizen signed in through the demo identity provider, after issuing them %d credentials", loadtest.WalletCredentials))
	consent := fs.Bool("consent", false, fmt.Sprintf("instead of the phases, measure consent flows (request, approval by a signed-in holder, proof read) for %d holders", loadtest.ConsentHolders))
	importRows := fs.Int("import", 0, fmt.Sprintf("instead of the phases, import a CSV file of this many rows (at most %d) of --type through POST /api/v1/batches on a self-hosted gateway, report rows/s and CPU per row, and check every row's identifier", gateway.DefaultImportRows))
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run (client and self-hosted gateway) to this file")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: certledger bench [flags]\n\nDrives a gateway on this machine and prints throughput and latency percentiles.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return benchUsageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	for _, p := range strings.Split(phases, ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.Phases = append(cfg.Phases, p)
		}
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return benchUsageError{err}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *importRows > 0 {
		if *importRows > gateway.DefaultImportRows || cfg.URL != "" {
			return benchUsageError{fmt.Errorf("--import takes at most %d rows, on a gateway the tool starts (no --url)", gateway.DefaultImportRows)}
		}
		return benchImport(ctx, loadtest.ImportConfig{Rows: *importRows, Type: cfg.Type, Concurrency: cfg.Concurrency}, write, args)
	}
	run, begin, end, markdown := loadtest.Run, loadtest.SectionBegin, loadtest.SectionEnd, (*loadtest.Report).Markdown
	if *wallet {
		run, begin, end, markdown = loadtest.RunWallet, loadtest.WalletSectionBegin, loadtest.WalletSectionEnd, (*loadtest.Report).WalletMarkdown
	}
	if *consent {
		if *wallet {
			return benchUsageError{errors.New("--wallet and --consent are separate runs")}
		}
		run, begin, end, markdown = loadtest.RunConsent, loadtest.ConsentSectionBegin, loadtest.ConsentSectionEnd, (*loadtest.Report).ConsentMarkdown
	}
	rep, err := run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Println()
	rep.WriteTable(os.Stdout)
	if write != "" {
		if err := loadtest.UpdateMarkdownSection(write, begin, end, markdown(rep, commandLine("certledger bench", args))); err != nil {
			return fmt.Errorf("write %s: %w", write, err)
		}
		fmt.Fprintf(os.Stderr, "results written to %s\n", write)
	}
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	if !rep.Passed() {
		return errors.New("some targets were missed")
	}
	return nil
}

// commandLine quotes args for a POSIX shell, so the documented command can
// be pasted as is.
func commandLine(prefix string, args []string) string {
	parts := []string{prefix}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// benchUsageError exits with status 2, as for bad flags.
type benchUsageError struct{ err error }

func (e benchUsageError) Error() string { return e.err.Error() }
func (e benchUsageError) ExitCode() int { return 2 }

// benchImport is `bench --import N`: it exits 1 when a row was lost or
// doubled, or the rate missed its target.
func benchImport(ctx context.Context, cfg loadtest.ImportConfig, write string, args []string) error {
	rep, err := loadtest.RunImport(ctx, cfg)
	if err != nil {
		return err
	}
	rep.Command = commandLine("certledger bench", args)
	fmt.Print(rep.Markdown())
	if write != "" {
		if err := loadtest.UpdateMarkdownSection(write, loadtest.ImportSectionBegin, loadtest.ImportSectionEnd, rep.Markdown()); err != nil {
			return fmt.Errorf("write %s: %w", write, err)
		}
		fmt.Fprintf(os.Stderr, "results written to %s\n", write)
	}
	if f := rep.Failures(); len(f) > 0 {
		return fmt.Errorf("import: %s", strings.Join(f, "; "))
	}
	if !rep.Passed() {
		return fmt.Errorf("the import ran at %.0f rows/s, below the target of %d", rep.RowsPerSecond(), loadtest.TargetImport)
	}
	return nil
}
