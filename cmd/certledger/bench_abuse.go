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

	"github.com/certledger/certledger/cmd/certledger/internal/loadtest"
)

func init() {
	commands["bench-abuse"] = command{run: runBenchAbuse,
		summary: "re-run the security review's abuse cases, each against a fresh gateway, and check its peak memory"}
}

func runBenchAbuse(args []string) error {
	fs := flag.NewFlagSet("bench-abuse", flag.ContinueOnError)
	var write, cases string
	var duration time.Duration
	var rounds int
	fs.StringVar(&cases, "cases", "all", "cases to run, comma-separated: gzip-bomb, picture, upload-flood, body-flood, wrong-key")
	fs.DurationVar(&duration, "duration", 5*time.Second, "time of each repeated case (bomb, pictures, wrong keys)")
	fs.IntVar(&rounds, "rounds", 5, "rounds of each body flood")
	fs.StringVar(&write, "write", "", "update the abuse section of this Markdown file (e.g. docs/benchmarks.md)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: certledger bench-abuse [flags]\n\nFor each case of the security review (decompression bomb, oversized and large pictures, body floods,\nwrong API keys) starts a fresh `certledger serve --demo` as a child process, sends the case's load and\nreads the gateway's peak RSS from /proc (Linux only). Exits 1 when a target is missed.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || duration <= 0 || rounds < 1 {
		return benchUsageError{fmt.Errorf("bad arguments %q", args)}
	}
	selected, err := loadtest.SelectAbuseCases(loadtest.DefaultAbuseCases(duration, rounds), cases)
	if err != nil {
		return benchUsageError{err}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := loadtest.RunAbuse(ctx, loadtest.AbuseConfig{Exe: exe, Cases: selected, Progress: os.Stderr})
	if errors.Is(err, loadtest.ErrNoProcStatus) {
		fmt.Fprintln(os.Stderr, "certledger bench-abuse: "+err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Println()
	rep.WriteTable(os.Stdout)
	if write != "" {
		if err := loadtest.UpdateMarkdownSection(write, loadtest.AbuseSectionBegin, loadtest.AbuseSectionEnd, rep.Markdown(commandLine("certledger bench-abuse", args))); err != nil {
			return fmt.Errorf("write %s: %w", write, err)
		}
		fmt.Fprintf(os.Stderr, "results written to %s\n", write)
	}
	if !rep.Passed() {
		return errors.New("some targets were missed")
	}
	return nil
}
