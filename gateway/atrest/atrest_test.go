package atrest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	k := Generate()
	tests := []struct {
		name, text string
		ok         bool
	}{
		{"base64 with newline", k.Text() + "\n", true},
		{"unpadded", strings.TrimRight(k.Text(), "="), true},
		{"surrounded by spaces", "  " + k.Text() + "  ", true},
		{"too short", k.Text()[:20], false},
		{"not base64", strings.Repeat("!", 44), false},
		{"empty", "", false},
		{"48 bytes", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.text)
			if !tc.ok {
				if err == nil || !strings.Contains(err.Error(), "kek generate") {
					t.Fatalf("Parse: %v, want a refusal saying how to make a key", err)
				}
				return
			}
			if err != nil || got.ID() != k.ID() {
				t.Fatalf("Parse: %v (id %s), want id %s", err, got.ID(), k.ID())
			}
		})
	}
}

func TestIDNamesTheKeyWithoutShowingIt(t *testing.T) {
	a, b := Generate(), Generate()
	if len(a.ID()) != 16 || a.ID() == b.ID() {
		t.Fatalf("ids %q and %q", a.ID(), b.ID())
	}
	for _, s := range []string{a.String(), fmt.Sprintf("%v %+v %#v %s", a, a, a, a)} {
		if strings.Contains(s, a.Text()) || strings.Contains(s, fmt.Sprint(a.key[:4])) {
			t.Fatalf("printing a KEK shows it: %s", s)
		}
	}
}

func TestLoadFile(t *testing.T) {
	k, dir := Generate(), t.TempDir()
	path := filepath.Join(dir, "kek.b64")
	if err := WriteFile(path, k); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadFile(path); err != nil || got.ID() != k.ID() {
		t.Fatalf("LoadFile: %v", err)
	}
	if err := WriteFile(path, Generate()); err == nil {
		t.Fatal("WriteFile replaced an existing key file")
	}
	if got, _ := LoadFile(path); got.ID() != k.ID() {
		t.Fatal("a refused WriteFile changed the key file")
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("LoadFile of a 0640 file: %v, want a refusal naming 0600", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadFile of a missing file: %v", err)
	}
}

func TestLoadOrCreateDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k, created, err := LoadOrCreateDemo(dir)
	if err != nil || !created {
		t.Fatalf("first call: created %v, %v", created, err)
	}
	again, created, err := LoadOrCreateDemo(dir)
	if err != nil || created || again.ID() != k.ID() {
		t.Fatalf("second call: created %v, %v, same key %v", created, err, again.ID() == k.ID())
	}
	if fi, _ := os.Stat(filepath.Join(dir, DemoFileName)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("demo key mode %v", fi.Mode().Perm())
	}
}

func TestSealer(t *testing.T) {
	k := Generate()
	s := k.Sealer(PurposeLedgerPrivate)
	plain := []byte(`{"holder":"张三","idNumber":"110101199003074514"}`)
	ad := []byte("private\x00coll/doc/1")
	sealed := s.Seal(nil, plain, ad)
	if len(sealed) != len(plain)+Overhead || bytes.Contains(sealed, []byte("110101199003074514")) {
		t.Fatalf("sealed value: %d bytes, holds the plaintext: %v", len(sealed), bytes.Contains(sealed, plain))
	}
	if again := s.Seal(nil, plain, ad); bytes.Equal(again, sealed) {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
	if got, err := s.Open(nil, sealed, ad); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open: %q, %v", got, err)
	}
	if got := s.Seal([]byte("prefix"), plain, ad); !bytes.HasPrefix(got, []byte("prefix")) {
		t.Fatal("Seal does not append to dst")
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name   string
		s      *Sealer
		sealed []byte
		ad     []byte
	}{
		{"other associated data (value moved to another key)", s, sealed, []byte("private\x00coll/doc/2")},
		{"other purpose", k.Sealer(PurposeKeystore), sealed, ad},
		{"other KEK", Generate().Sealer(PurposeLedgerPrivate), sealed, ad},
		{"altered", s, flipped, ad},
		{"truncated", s, sealed[:Overhead-1], ad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.s.Open(nil, tc.sealed, tc.ad); !errors.Is(err, ErrAuthentication) {
				t.Fatalf("Open: %v, want ErrAuthentication", err)
			}
		})
	}
}

// BenchmarkSealer measures sealing and opening a value of the size of an
// issued document's JSON.
//
//	go test ./gateway/atrest -run '^$' -bench BenchmarkSealer
func BenchmarkSealer(b *testing.B) {
	s := Generate().Sealer(PurposeLedgerPrivate)
	plain, ad := bytes.Repeat([]byte("x"), 2048), []byte("private\x00coll/doc/1")
	sealed := s.Seal(nil, plain, ad)
	b.Run("seal", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for range b.N {
			s.Seal(nil, plain, ad)
		}
	})
	b.Run("open", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for range b.N {
			if _, err := s.Open(nil, sealed, ad); err != nil {
				b.Fatal(err)
			}
		}
	})
}
