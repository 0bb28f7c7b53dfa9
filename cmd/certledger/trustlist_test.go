package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/certledger/certledger/credential"
)

func TestTrustListExport(t *testing.T) {
	g := startGateway(t)
	out := filepath.Join(t.TempDir(), "trust.jws")
	res := runCLI(t, "trust-list", "export", "--gateway", g.URL, "-o", out)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	mustContain(t, "stderr", res.Stderr, "signed by gov", "4 departments", "3 credential types")
	fromGateway, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := selfAnchored(fromGateway); err != nil {
		t.Fatal(err)
	}

	t.Run("from the data folder", func(t *testing.T) {
		res := runCLI(t, "trust-list", "export", "--data", g.Dir)
		if res.Code != 2 {
			t.Fatalf("without a KEK: exit %d: %s", res.Code, res.Stderr)
		}
		mustContain(t, "stderr", res.Stderr, "no key-encryption key", "--kek-file "+demoKEKFile(g.Dir))
		res = runCLI(t, "trust-list", "export", "--data", g.Dir, "--kek-file", demoKEKFile(g.Dir))
		if res.Code != 1 {
			t.Fatalf("with the gateway running: exit %d: %s", res.Code, res.Stderr)
		}
		mustContain(t, "stderr", res.Stderr, "is a gateway running")
		g.stop()
		res = runCLI(t, "trust-list", "export", "--data", g.Dir, "--kek-file", demoKEKFile(g.Dir), "--validity", "1h")
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		local, err := selfAnchored([]byte(res.Stdout))
		if err != nil {
			t.Fatal(err)
		}
		first, _ := selfAnchored(fromGateway)
		if !local.Supersedes(first) || local.NextUpdate.Sub(local.IssuedAt).Hours() != 1 {
			t.Fatalf("local list #%d (until %s) after #%d", local.Sequence, local.NextUpdate, first.Sequence)
		}
		// Both lists are signed with the same governance key.
		if _, err := credential.ParseTrustList([]byte(res.Stdout), first.GovernanceKeys()); err != nil {
			t.Fatal(err)
		}
	})

	usage := [][]string{
		{"trust-list"},
		{"trust-list", "export"},
		{"trust-list", "export", "--gateway", g.URL, "--data", g.Dir},
		{"trust-list", "export", "--data", g.Dir, "--validity", "-1h"},
		{"trust-list", "export", "--gateway", g.URL, "extra"},
	}
	for _, args := range usage {
		if res := runCLI(t, args...); res.Code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, res.Code, res.Stderr)
		}
	}
}
