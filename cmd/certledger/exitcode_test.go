package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Scripts branch on the exit status: 1 says the input was read and is not
// a valid credential, so input that cannot be read at all, like a call
// without a command, is a usage error (2).
func TestExitStatusOfUnreadableInputAndUsage(t *testing.T) {
	gw := "http://127.0.0.1:1" // never reached: reading the input fails first
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no command", nil, 2, "usage: certledger"},
		{"help", []string{"help"}, 0, "usage: certledger"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"missing file", []string{"verify", "--gateway", gw, filepath.Join(t.TempDir(), "missing.json")}, 2, "no such file"},
		{"a folder", []string{"verify", "--gateway", gw, t.TempDir()}, 2, ""},
		{"text that is no credential", []string{"verify", "--gateway", gw, writeFile(t, "junk.txt", []byte("hello"))}, 2, "not a CertLedger QR code"},
		{"binary bytes", []string{"verify", "--gateway", gw, writeFile(t, "junk.bin", []byte{0xff, 0xfe, 0x00, 0x81, 0x13})}, 2, ""},
		{"broken JSON", []string{"verify", "--gateway", gw, writeFile(t, "broken.json", []byte(`{"id": "1.2.156`))}, 2, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := runCLI(t, tc.args...)
			if res.Code != tc.code || !strings.Contains(res.Stderr, tc.stderr) {
				t.Fatalf("exit %d, want %d with %q\n%s", res.Code, tc.code, tc.stderr, res.Stderr)
			}
		})
	}
}
