package main

import "testing"

func TestCommandLine(t *testing.T) {
	got := commandLine("certledger bench", []string{"--duration", "5s", "--write", "docs/bench marks.md", "--type", "it's", ""})
	want := `certledger bench --duration 5s --write 'docs/bench marks.md' --type 'it'\''s' ''`
	if got != want {
		t.Fatalf("commandLine = %s, want %s", got, want)
	}
}
