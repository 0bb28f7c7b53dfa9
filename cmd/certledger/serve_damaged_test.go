package main

import (
	"bytes"
	"context"
	bin "encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/ledger/embedded"
)

// demoFolder returns a data folder with a provisioned embedded ledger, closed.
func demoFolder(t *testing.T) string {
	t.Helper()
	dir, l, _ := provisionDemo(t)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newerMeta returns the page size and the offset of the meta (after the
// 16-byte page header) of whichever of bbolt's meta pages 0 and 1 has the
// higher transaction ID: the one bbolt uses.
func newerMeta(b []byte) (pageSize, at int) {
	pageSize = int(bin.NativeEndian.Uint32(b[16+8:]))
	at = 16
	if bin.NativeEndian.Uint64(b[pageSize+16+48:]) > bin.NativeEndian.Uint64(b[16+48:]) {
		at += pageSize
	}
	return pageSize, at
}

func TestServeRefusesADamagedLedger(t *testing.T) {
	cases := []struct {
		name   string
		damage func(b []byte) []byte
		want   string
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)/2+100] }, "is damaged"},
		{"flipped page header", func(b []byte) []byte {
			pageSize, at := newerMeta(b)
			root := int(bin.NativeEndian.Uint64(b[at+16:]))
			b[root*pageSize] ^= 0x04
			return b
		}, "is damaged"},
		{"flipped meta byte", func(b []byte) []byte {
			_, at := newerMeta(b)
			b[at+40] ^= 0x01
			return b
		}, embedded.TipFileName},
		{"zero-filled", func(b []byte) []byte { return make([]byte, len(b)) }, "is damaged"},
		{"empty", func(b []byte) []byte { return nil }, "is damaged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := demoFolder(t)
			path := filepath.Join(dir, embedded.FileName)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.damage(b), 0o600); err != nil {
				t.Fatal(err)
			}
			// A gateway that starts anyway is stopped by the timeout.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, "serve", "--data", dir, "--kek-file", demoKEKFile(dir), "--addr", "127.0.0.1:0")
			cmd.Env = append(os.Environ(), "CERTLEDGER_DEMO=")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err = cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 || ctx.Err() != nil {
				t.Fatalf("serve on a damaged ledger: %v, want exit code 1; stderr:\n%s", err, stderr.String())
			}
			msg := stderr.String()
			prefix := "certledger serve: open the embedded ledger: embedded: " + path
			if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.want) ||
				strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine") {
				t.Fatalf("stderr is not one line starting %q and naming %q:\n%s", prefix, tc.want, msg)
			}
		})
	}
}
