package main

import (
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunNetworkUsage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	tests := []struct {
		name string
		args []string
		code int    // exit code of the error, 0 for flag.ErrHelp
		msg  string // part of the error
	}{
		{"no subcommand", nil, 0, ""},
		{"unknown subcommand", []string{"bogus"}, 2, "unknown subcommand"},
		{"bad flag", []string{"up", "--nope"}, 2, "flag provided but not defined"},
		{"logs without node", []string{"logs", "--dir", missing}, 2, "one node name"},
		{"stop without node", []string{"stop", "--dir", missing}, 2, "one node name"},
		{"status of no network", []string{"status", "--dir", missing}, 1, "no network"},
		{"logs of no node", []string{"logs", "--dir", missing, "peer0.gov"}, 1, "no log"},
		{"add-department to no network", []string{"add-department", "--dir", missing}, 1, "no network"},
		{"add-department with a bad ID", []string{"add-department", "--dir", missing, "--id", "Bad ID"}, 1, "department ID"},
		{"add-department without peers", []string{"add-department", "--dir", missing, "--peers", "0"}, 1, "at least one peer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := runNetwork(tc.args)
			if tc.code == 0 {
				if !errors.Is(err, flag.ErrHelp) {
					t.Fatalf("err = %v, want help", err)
				}
				return
			}
			if err == nil || exitCode(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v (exit %d), want exit %d with %q", err, exitCode(err), tc.code, tc.msg)
			}
		})
	}
}
