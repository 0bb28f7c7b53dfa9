package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/certledger/certledger/gateway/apiclient"
)

func init() {
	commands["import"] = command{run: runImport, summary: "import a file of credentials (CSV, XLSX or JSON lines) through a gateway"}
}

// importRowsFailed exits 1 when rows of the file were not issued.
type importRowsFailed struct{ error }

func (importRowsFailed) ExitCode() int { return 1 }

func runImport(args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	gw := fs.String("gateway", os.Getenv("CERTLEDGER_GATEWAY"), "the gateway's URL (env CERTLEDGER_GATEWAY)")
	key := fs.String("api-key", os.Getenv("CERTLEDGER_API_KEY"), "the department's API key (env CERTLEDGER_API_KEY, which keeps it out of the process list)")
	typ := fs.String("type", "", "credential type of every row (ID or code)")
	dryRun := fs.Bool("dry-run", false, "validate every row and issue nothing")
	report := fs.String("report", "", "where to write each row's result as CSV (default FILE.results.csv)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: certledger import FILE --type T [--dry-run] [--gateway URL --api-key KEY]\n\nFILE is CSV, XLSX (.xlsx) or JSON lines (.ndjson, .jsonl). Exits 1 when any row failed.\n\nflags:")
		fs.PrintDefaults()
	}
	// The file may come before the flags, as the usage shows it.
	var file string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	switch {
	case file == "":
		return usageError{errors.New("usage: certledger import FILE --type T")}
	case *typ == "":
		return usageError{errors.New("give the credential type with --type")}
	case *gw == "":
		return usageError{errors.New("give the gateway with --gateway URL or CERTLEDGER_GATEWAY")}
	case *key == "":
		return usageError{errors.New("give an API key with CERTLEDGER_API_KEY or --api-key")}
	}
	if *report == "" {
		*report = file + ".results.csv"
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := &apiclient.Client{BaseURL: *gw, APIKey: *key}
	b, err := apiclient.Import(ctx, c, apiclient.ImportOptions{Type: *typ, File: data, MediaType: apiclient.MediaType(file), DryRun: *dryRun,
		Report: *report, Progress: apiclient.ProgressBar(os.Stderr, isTerminal(os.Stderr)), Poll: 500 * time.Millisecond})
	if err != nil {
		return err
	}
	fmt.Printf("batch %s %s: %d rows, %d %s, %d failed; results in %s\n", b.ID, b.Status, b.Total, b.Done, map[bool]string{true: "valid", false: "issued"}[b.DryRun], b.Failed, *report)
	if b.Status == "failed" {
		return fmt.Errorf("the import stopped: %s", b.Detail)
	}
	if b.Failed > 0 {
		return importRowsFailed{fmt.Errorf("%d rows failed; see %s", b.Failed, *report)}
	}
	return nil
}

// isTerminal reports whether f is a terminal, where a progress bar is
// redrawn in place.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
