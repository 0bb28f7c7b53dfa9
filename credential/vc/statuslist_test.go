package vc_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/credential/vc"
)

func TestStatusPositionIsAPermutationOfEachList(t *testing.T) {
	for _, list := range []uint64{0, 1, 7} {
		seen := make([]bool, vc.StatusListSize)
		for i := uint64(0); i < vc.StatusListSize; i++ {
			l, idx := vc.StatusPosition(list*vc.StatusListSize + i)
			if l != list || idx < 0 || idx >= vc.StatusListSize {
				t.Fatalf("seq %d -> list %d index %d", list*vc.StatusListSize+i, l, idx)
			}
			if seen[idx] {
				t.Fatalf("list %d: index %d allocated twice", list, idx)
			}
			seen[idx] = true
		}
	}
	_, a := vc.StatusPosition(0)
	_, b := vc.StatusPosition(1)
	if d := a - b; d > -8 && d < 8 {
		t.Fatalf("consecutive credentials share a byte of the list: %d, %d", a, b)
	}
}

func TestBitstring(t *testing.T) {
	b := vc.NewBitstring()
	if len(b)*8 != vc.StatusListSize {
		t.Fatalf("list has %d entries", len(b)*8)
	}
	for _, i := range []int{0, 9, vc.StatusListSize - 1} {
		if err := b.Set(i, true); err != nil {
			t.Fatal(err)
		}
	}
	// Index 0 is the most significant bit of the first byte.
	if b[0] != 0x80 || b[1] != 0x40 || b[len(b)-1] != 0x01 {
		t.Fatalf("bit order: % x ... % x", b[:2], b[len(b)-1:])
	}
	enc := b.Encode()
	if !strings.HasPrefix(enc, "u") || strings.ContainsAny(enc, "+/=") {
		t.Fatalf("encodedList %q is not multibase base64url without padding", enc)
	}
	back, err := vc.DecodeBitstring(enc)
	if err != nil || !bytes.Equal(back, b) {
		t.Fatalf("round trip: %v", err)
	}
	b.Set(9, false)
	if v, _ := b.Get(9); v {
		t.Fatal("Set(9, false) left the bit set")
	}
	for _, i := range []int{-1, vc.StatusListSize} {
		if _, err := b.Get(i); err == nil {
			t.Fatalf("Get(%d) succeeded", i)
		}
		if err := b.Set(i, true); err == nil {
			t.Fatalf("Set(%d) succeeded", i)
		}
	}
}

func TestDecodeBitstringRejects(t *testing.T) {
	gz := func(b []byte) string {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(b)
		w.Close()
		return "u" + base64.RawURLEncoding.EncodeToString(z.Bytes())
	}
	for name, tc := range map[string]struct{ enc, want string }{
		"no multibase prefix":   {strings.TrimPrefix(gz(make([]byte, 16384)), "u"), "multibase"},
		"base64 with padding":   {gz(make([]byte, 16384)) + "=", "base64url"},
		"not gzip":              {"u" + base64.RawURLEncoding.EncodeToString([]byte("plain")), "GZIP"},
		"shorter than 131,072":  {gz(make([]byte, 1024)), "fewer than the minimum"},
		"inflates beyond 2 MiB": {gz(make([]byte, 3<<20)), "inflates to more than"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := vc.DecodeBitstring(tc.enc)
			if err == nil || credential.ErrorCode(err) != credential.CodeInvalid || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCheckStatusRefusesTheWrongList(t *testing.T) {
	f := newFixture(t)
	web := f.served(t, []int{5}, nil)
	samrIssuer := vc.IssuerURL(base, demo.Market)
	resolve := vc.RegistryResolver(base, f.reg)
	revocation := vc.StatusListURL(base, demo.Market, vc.PurposeRevocation, 0)
	suspension := vc.StatusListURL(base, demo.Market, vc.PurposeSuspension, 0)
	entry := vc.StatusEntry{ID: revocation + "#5", Type: "BitstringStatusListEntry", StatusPurpose: vc.PurposeRevocation,
		StatusListIndex: "5", StatusListCredential: revocation}
	if set, err := vc.CheckStatus(web[revocation], entry, samrIssuer, resolve); err != nil || !set {
		t.Fatalf("revoked entry: %v, %v", set, err)
	}
	tests := []struct {
		name   string
		list   []byte
		entry  func(e *vc.StatusEntry)
		issuer string
	}{
		{"suspension list for a revocation entry", web[suspension], func(e *vc.StatusEntry) { e.StatusListCredential = suspension }, samrIssuer},
		{"list other than the one named", web[suspension], nil, samrIssuer},
		{"list of another issuer", web[revocation], nil, vc.IssuerURL(base, demo.Education)},
		{"non-decimal index", web[revocation], func(e *vc.StatusEntry) { e.StatusListIndex = "05" }, samrIssuer},
		{"tampered list", []byte(strings.Replace(string(web[revocation]), `"revocation"`, `"suspension"`, 1)), nil, samrIssuer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := entry
			if tc.entry != nil {
				tc.entry(&e)
			}
			if _, err := vc.CheckStatus(tc.list, e, tc.issuer, resolve); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func FuzzDecodeBitstring(f *testing.F) {
	b := vc.NewBitstring()
	b.Set(3, true)
	f.Add(b.Encode())
	f.Add("u")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := vc.DecodeBitstring(s)
		if err != nil {
			if credential.ErrorCode(err) != credential.CodeInvalid {
				t.Fatalf("error %v is not 'invalid'", err)
			}
			return
		}
		if len(got)*8 < vc.StatusListSize {
			t.Fatalf("accepted a list of %d entries", len(got)*8)
		}
	})
}
