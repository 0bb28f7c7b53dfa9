package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/certledger/certledger/cmd/certledger/internal/loadtest"
	"github.com/certledger/certledger/gateway"
)

func init() {
	commands["bench-fabric"] = command{run: runBenchFabric,
		summary: "compare the gateway on Fabric with raw Fabric (kv put/get) on one network it brings up"}
}

func runBenchFabric(args []string) error {
	fs := flag.NewFlagSet("bench-fabric", flag.ContinueOnError)
	var cfg loadtest.FabricConfig
	var write string
	fs.StringVar(&cfg.Dir, "dir", "", "network folder (default: a temporary folder, removed afterwards)")
	fs.IntVar(&cfg.BasePort, "base-port", loadtest.DefaultFabricBasePort, "first base port to try (see certledger network up)")
	fs.DurationVar(&cfg.BatchTimeout, "batch-timeout", 0, "orderer batch timeout of a new network (default: the network's default)")
	fs.IntVar(&cfg.Concurrency, "concurrency", loadtest.DefaultConcurrency, "concurrent clients, for the gateway and for raw Fabric alike")
	fs.DurationVar(&cfg.Duration, "duration", loadtest.DefaultFabricDuration, "time of each phase")
	fs.IntVar(&cfg.ValueSize, "value-size", loadtest.DefaultFabricValueSize, "bytes of each raw kv put (about a credential record's size)")
	fs.StringVar(&write, "write", "", "update the Fabric section of this Markdown file (e.g. docs/benchmarks.md)")
	fs.BoolVar(&cfg.Keep, "keep", false, "leave the network running and its folder in place")
	fs.IntVar(&cfg.Rounds, "rounds", loadtest.DefaultFabricRounds, "rounds of all phases, interleaved so that load from elsewhere on the machine hits both sides alike")
	consent := fs.Bool("consent", false, "instead of the comparison, measure consent flows through the gateway against three raw kv puts one after another per operation")
	chaos := fs.Bool("chaos", false, "instead of the comparison, issue under load while killing the Raft leader, a peer and the gateway and restarting the network; check every acknowledged credential is on the ledger once")
	outage := fs.Duration("outage", loadtest.DefaultChaosOutage, "with --chaos: how long the killed orderer and peer, and the stopped network, stay down")
	drain := fs.Duration("drain", loadtest.DefaultChaosDrain, "with --chaos: how long clients keep retrying their last issuance after the load ends (with --import: how long a file has after its fault's recovery to have every row issued)")
	importRows := fs.Int("import", 0, fmt.Sprintf("instead of the comparison, measure raw kv put, then an import of this many rows (at most %d) through POST /api/v1/batches, in each round; with --chaos, the load is files of this many rows, one running at each fault", gateway.DefaultImportRows))
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: certledger bench-fabric [flags]\n\nBrings up a Fabric network, starts `certledger serve --ledger fabric --demo` on it, and measures\nissuance against raw kv put and POST /api/v1/verify against raw kv get, with the same client loop\nand concurrency, then reports the ratios, bring-up time and every process's peak memory.\n\nWith --chaos it runs the issuance load through faults instead (--duration of load before the\nfirst fault and after each recovery) and reports what clients saw and what the ledger holds.\n\nWith --import N it compares an import of N rows through POST /api/v1/batches with raw kv put;\nwith --chaos --import N the faults strike while imports of N rows run.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cfg.Exe, cfg.Progress = exe, os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *importRows < 0 || *importRows > gateway.DefaultImportRows || *importRows > 0 && *consent {
		return benchUsageError{fmt.Errorf("--import takes 1 to %d rows, and not with --consent", gateway.DefaultImportRows)}
	}
	if *chaos {
		cc := loadtest.ChaosConfig{Dir: cfg.Dir, BasePort: cfg.BasePort, BatchTimeout: cfg.BatchTimeout, Concurrency: cfg.Concurrency,
			Settle: cfg.Duration, Outage: *outage, Drain: *drain, ImportRows: *importRows, Keep: cfg.Keep, Exe: exe, Progress: os.Stderr}
		if fs.NArg() > 0 || cc.Validate() != nil {
			return benchUsageError{fmt.Errorf("bad arguments %q", args)}
		}
		if cc.ImportRows > 0 {
			return runChaosImport(ctx, cc, write, args)
		}
		return runChaos(ctx, cc, write, args)
	}
	if fs.NArg() > 0 || cfg.Validate() != nil {
		return benchUsageError{fmt.Errorf("bad arguments %q", args)}
	}
	if *importRows > 0 {
		return runFabricImport(ctx, cfg, *importRows, write, args)
	}
	if *consent {
		rep, err := loadtest.RunFabricConsent(ctx, cfg)
		if err != nil {
			return err
		}
		fmt.Println()
		rep.WriteTable(os.Stdout)
		if write != "" {
			if err := loadtest.UpdateMarkdownSection(write, loadtest.FabricConsentSectionBegin, loadtest.FabricConsentSectionEnd, rep.FabricConsentMarkdown(commandLine("certledger bench-fabric", args))); err != nil {
				return fmt.Errorf("write %s: %w", write, err)
			}
			fmt.Fprintf(os.Stderr, "results written to %s\n", write)
		}
		if !rep.Passed() {
			return errors.New("some operations failed")
		}
		return nil
	}
	b, err := loadtest.RunFabric(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Println()
	b.WriteTable(os.Stdout)
	if write != "" {
		if err := loadtest.UpdateMarkdownSection(write, loadtest.FabricSectionBegin, loadtest.FabricSectionEnd, b.Markdown(commandLine("certledger bench-fabric", args))); err != nil {
			return fmt.Errorf("write %s: %w", write, err)
		}
		fmt.Fprintf(os.Stderr, "results written to %s\n", write)
	}
	if !b.Passed() {
		return fmt.Errorf("the gateway reached less than %.0f%% of raw Fabric", loadtest.FabricTarget*100)
	}
	return nil
}

func runChaos(ctx context.Context, cfg loadtest.ChaosConfig, write string, args []string) error {
	r, err := loadtest.RunChaos(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Println()
	r.WriteTable(os.Stdout)
	if write != "" {
		if err := loadtest.UpdateMarkdownSection(write, loadtest.ChaosSectionBegin, loadtest.ChaosSectionEnd, r.Markdown(commandLine("certledger bench-fabric", args))); err != nil {
			return fmt.Errorf("write %s: %w", write, err)
		}
		fmt.Fprintf(os.Stderr, "results written to %s\n", write)
	}
	if f := r.Failures(); len(f) > 0 {
		return fmt.Errorf("chaos: %s", strings.Join(f, "; "))
	}
	return nil
}

// runFabricImport is `bench-fabric --import N`: it exits 1 when a row was
// lost or doubled, or the import missed its target.
func runFabricImport(ctx context.Context, cfg loadtest.FabricConfig, rows int, write string, args []string) error {
	r, err := loadtest.RunFabricImport(ctx, cfg, rows)
	if err != nil {
		return err
	}
	fmt.Println()
	r.WriteTable(os.Stdout)
	if write != "" {
		if err := loadtest.UpdateMarkdownSection(write, loadtest.FabricImportSectionBegin, loadtest.FabricImportSectionEnd, r.Markdown(commandLine("certledger bench-fabric", args))); err != nil {
			return fmt.Errorf("write %s: %w", write, err)
		}
		fmt.Fprintf(os.Stderr, "results written to %s\n", write)
	}
	if f := r.Failures(); len(f) > 0 {
		return fmt.Errorf("import: %s", strings.Join(f, "; "))
	}
	if !r.Passed() {
		return fmt.Errorf("the import ran at %.0f rows/s, below the target of %d", r.ImportRate(), loadtest.TargetFabricImport)
	}
	return nil
}

// runChaosImport is `bench-fabric --chaos --import N`.
func runChaosImport(ctx context.Context, cfg loadtest.ChaosConfig, write string, args []string) error {
	r, err := loadtest.RunChaosImport(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Println()
	r.WriteTable(os.Stdout)
	if write != "" {
		if err := loadtest.UpdateMarkdownSection(write, loadtest.ChaosImportSectionBegin, loadtest.ChaosImportSectionEnd, r.Markdown(commandLine("certledger bench-fabric", args))); err != nil {
			return fmt.Errorf("write %s: %w", write, err)
		}
		fmt.Fprintf(os.Stderr, "results written to %s\n", write)
	}
	if f := r.Failures(); len(f) > 0 {
		return fmt.Errorf("chaos: %s", strings.Join(f, "; "))
	}
	return nil
}
