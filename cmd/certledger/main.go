// Command certledger runs the CertLedger gateway and its tools. Each
// subcommand lives in its own file and registers itself in commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
)

// command is one subcommand: run gets the arguments after its name.
type command struct {
	run     func(args []string) error
	summary string
}

var commands = map[string]command{}

func main() {
	if len(os.Args) < 2 {
		// Nothing asked is a usage error, so a script missing its command
		// does not pass as a success.
		usage()
		os.Exit(2)
	}
	if os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage()
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "certledger: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := cmd.run(os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "certledger "+os.Args[1]+": "+err.Error())
		os.Exit(exitCode(err))
	}
}

// exitStatus lets a subcommand choose its exit code (verify exits 1 for an
// invalid credential, 2 for bad usage).
type exitStatus interface{ ExitCode() int }

// usageError exits with status 2, like flag parsing errors.
type usageError struct{ error }

func (usageError) ExitCode() int { return 2 }

// envOr returns the environment variable name, or def when it is unset or
// empty: every flag's default comes from its variable this way.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func exitCode(err error) int {
	var e exitStatus
	if errors.As(err, &e) {
		return e.ExitCode()
	}
	return 1
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: certledger <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'certledger <command> -h' for the flags of a command.")
}
