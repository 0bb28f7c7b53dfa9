package credential_test

import (
	"bytes"
	"compress/zlib"
	"reflect"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
)

func offline(d *credential.Document, reg credential.Registry) credential.Verification {
	return credential.Verify(credential.VerifyInput{Document: d, Registry: reg, Online: false, Now: now})
}

func checkOK(t *testing.T, v credential.Verification, names ...string) {
	t.Helper()
	for _, n := range names {
		found := false
		for _, c := range v.Checks {
			if c.Name == n {
				found = true
				if !c.OK {
					t.Fatalf("check %s failed: %s", n, c.Detail)
				}
			}
		}
		if !found {
			t.Fatalf("no check %s in %+v", n, v.Checks)
		}
	}
}

func TestCompactRoundTrip(t *testing.T) {
	reg := testRegistry()
	doc := issueLicence(t, reg)
	tests := []struct {
		name   string
		fields []string // nil: the full document
	}{
		{"full document with Chinese values", nil},
		{"company name only", []string{"companyName"}},
		{"holder name and address", []string{credential.ClaimHolderName, "address"}},
		{"no field", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := doc
			if tc.fields != nil {
				var err error
				if src, err = doc.Present(tc.fields); err != nil {
					t.Fatal(err)
				}
			}
			text, err := credential.EncodeCompact(src)
			if err != nil {
				t.Fatalf("EncodeCompact: %v", err)
			}
			if !credential.IsCompact(text) || len(text) > credential.MaxCompactLength {
				t.Fatalf("payload %q (%d chars)", text, len(text))
			}
			for _, r := range text {
				if !strings.ContainsRune("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", r) {
					t.Fatalf("payload holds %q, outside the QR alphanumeric set", r)
				}
			}
			got, err := credential.DecodeCompact(text)
			if err != nil {
				t.Fatalf("DecodeCompact: %v", err)
			}
			if !reflect.DeepEqual(got, src) {
				t.Fatalf("round trip changed the document:\n got %+v\nwant %+v", got, src)
			}
			v := offline(got, reg)
			checkOK(t, v, credential.CheckIntegrity, credential.CheckSignature, credential.CheckIssuer, credential.CheckValidity)
			if v.Status != credential.StatusUnknown || v.Valid {
				t.Fatalf("offline verification: valid=%v status=%s, want unknown", v.Valid, v.Status)
			}
		})
	}
}

func TestCompactEveryAlteredCharacterFails(t *testing.T) {
	reg := testRegistry()
	doc := issueLicence(t, reg)
	p, _ := doc.Present([]string{"companyName", credential.ClaimHolderName})
	text, err := credential.EncodeCompact(p)
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	for i := len(credential.CompactPrefix); i < len(text); i++ {
		// Two substitutes per position: the neighbour in the alphabet changes
		// the low bits of a group, the far one the high bits.
		k := strings.IndexByte(alphabet, text[i])
		for _, delta := range []int{1, 22} {
			b := []byte(text)
			b[i] = alphabet[(k+delta)%45]
			got, err := credential.DecodeCompact(string(b))
			if err != nil {
				if credential.ErrorCode(err) != credential.CodeInvalid {
					t.Fatalf("position %d: error %v is not 'invalid'", i, err)
				}
				continue
			}
			// Deflate's final byte may carry padding bits that no decoder
			// reads: flipping those yields the very same signed document,
			// which is not a forgery.
			if reflect.DeepEqual(got, p) {
				continue
			}
			if v := offline(got, reg); v.Status != credential.StatusForged {
				t.Fatalf("position %d altered to %q: decoded and verified as %s", i, b[i], v.Status)
			}
		}
	}
}

func TestCompactForgeries(t *testing.T) {
	reg := testRegistry()
	tests := []struct {
		name string
		kid  string
		key  []byte
	}{
		{"unregistered key under a registered id", "samr-2025", seedKey(9)},
		{"unregistered key id", "samr-rogue", seedKey(9)},
		{"another department's key", "edu-1", eduKey},
		{"retired key after its validity", "samr-2024", samrOldKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := credential.Issue(licenceParams(t, reg), tc.kid, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			text, err := credential.EncodeCompact(d)
			if err != nil {
				t.Fatal(err)
			}
			got, err := credential.DecodeCompact(text)
			if err != nil {
				t.Fatal(err)
			}
			if v := offline(got, reg); v.Status != credential.StatusForged {
				t.Fatalf("status %s, want forged: %+v", v.Status, v.Checks)
			}
		})
	}
}

func TestCompactOverBudgetIsAClearError(t *testing.T) {
	reg := testRegistry()
	p := licenceParams(t, reg)
	// 500 distinct CJK characters: 1,500 bytes that compression cannot shrink.
	var addr strings.Builder
	for i := range 500 {
		addr.WriteRune(rune(0x4E00 + i*37))
	}
	p.Fields["address"] = addr.String()
	doc, err := credential.Issue(p, "samr-2025", samrKey)
	if err != nil {
		t.Fatal(err)
	}
	_, err = credential.EncodeCompact(doc)
	wantCode(t, err, credential.CodeInvalid)
	if !strings.Contains(err.Error(), "disclose fewer fields or use the by-reference QR") {
		t.Fatalf("error %q does not tell the user what to do", err)
	}
	// Leaving the long field out fits.
	pres, _ := doc.Present([]string{"companyName", credential.ClaimHolderName})
	if _, err := credential.EncodeCompact(pres); err != nil {
		t.Fatalf("presentation without the address: %v", err)
	}
}

func TestDecodeCompactErrors(t *testing.T) {
	zlibOf := func(b []byte) string {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write(b)
		w.Close()
		return credential.CompactPrefix + credential.EncodeBase45(z.Bytes())
	}
	good, err := credential.EncodeCompact(issueLicence(t, testRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := credential.DecodeBase45(strings.TrimPrefix(good, credential.CompactPrefix))
	tests := []struct {
		name, text, want string
	}{
		{"no prefix", strings.TrimPrefix(good, credential.CompactPrefix), "prefix"},
		{"other prefix", "HC1:" + strings.TrimPrefix(good, credential.CompactPrefix), "prefix"},
		{"lower-case base45", strings.ToLower(good), "prefix"},
		{"bad base45", credential.CompactPrefix + "AB", "base45"},
		{"not zlib", credential.CompactPrefix + credential.EncodeBase45([]byte("plain text")), "zlib"},
		{"truncated zlib", credential.CompactPrefix + credential.EncodeBase45(raw[:len(raw)-3]), "corrupt"},
		{"bytes after the stream", credential.CompactPrefix + credential.EncodeBase45(append(append([]byte{}, raw...), 0)), "after the compressed data"},
		{"zip bomb", zlibOf(make([]byte, 1<<20)), "inflates to more than"},
		{"not CBOR", zlibOf([]byte{0xff, 0x00}), "CBOR"},
		{"untagged array", zlibOf([]byte{0x84, 0x40, 0xa0, 0x40, 0x40}), "CBOR tag"},
		{"COSE_Sign (98) instead of COSE_Sign1", zlibOf([]byte{0xd8, 0x62, 0x84, 0x40, 0xa0, 0x40, 0x40}), "not COSE_Sign1"},
		{"too long for a QR code", credential.CompactPrefix + strings.Repeat("0", 5000), "more than a QR code holds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := credential.DecodeCompact(tc.text)
			wantCode(t, err, credential.CodeInvalid)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func FuzzDecodeCompact(f *testing.F) {
	reg := testRegistry()
	doc := issueLicence(f, reg)
	full, _ := credential.EncodeCompact(doc)
	p, _ := doc.Present([]string{"address"})
	pres, _ := credential.EncodeCompact(p)
	f.Add(full)
	f.Add(pres)
	f.Add(credential.CompactPrefix)
	f.Add(credential.CompactPrefix + "6BFOXN*TS0BI$ZD.P9")
	f.Fuzz(func(t *testing.T, text string) {
		d, err := credential.DecodeCompact(text)
		if err != nil {
			if credential.ErrorCode(err) != credential.CodeInvalid {
				t.Fatalf("error %v is not 'invalid'", err)
			}
			return
		}
		// Whatever decodes has a consistent digest and re-encodes to the
		// same document.
		if err := d.CheckIntegrity(); err != nil {
			t.Fatalf("decoded document fails its own digest: %v", err)
		}
		again, err := credential.EncodeCompact(d)
		if err != nil {
			if len(text) > credential.MaxCompactLength {
				return // decodable, but over the budget EncodeCompact enforces
			}
			t.Fatalf("re-encoding a decoded payload: %v", err)
		}
		d2, err := credential.DecodeCompact(again)
		if err != nil || !reflect.DeepEqual(d, d2) {
			t.Fatalf("re-encoded payload decodes to %+v, %v", d2, err)
		}
		_ = credential.Verify(credential.VerifyInput{Document: d, Registry: reg, Now: now})
	})
}

func BenchmarkEncodeCompact(b *testing.B) {
	doc := issueLicence(b, testRegistry())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := credential.EncodeCompact(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCompactOffline is the whole offline check of a scanned
// payload: decode, recompute the digest, verify the signature and the
// issuer's authorization against the registry.
func BenchmarkVerifyCompactOffline(b *testing.B) {
	reg := testRegistry()
	doc := issueLicence(b, reg)
	p, _ := doc.Present([]string{"companyName", credential.ClaimHolderName})
	text, err := credential.EncodeCompact(p)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d, err := credential.DecodeCompact(text)
		if err != nil {
			b.Fatal(err)
		}
		if v := credential.Verify(credential.VerifyInput{Document: d, Registry: reg, Now: now}); v.Status != credential.StatusUnknown {
			b.Fatal(v.Status)
		}
	}
}

// BenchmarkVerifyCompactOfflineParallel is the same check on every core,
// as a verification service runs it; ops/s = 1e9 / (ns/op).
func BenchmarkVerifyCompactOfflineParallel(b *testing.B) {
	reg := testRegistry()
	doc := issueLicence(b, reg)
	p, _ := doc.Present([]string{"companyName", credential.ClaimHolderName})
	text, err := credential.EncodeCompact(p)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d, err := credential.DecodeCompact(text)
			if err != nil {
				b.Error(err)
				return
			}
			if v := credential.Verify(credential.VerifyInput{Document: d, Registry: reg, Now: now}); v.Status != credential.StatusUnknown {
				b.Error(v.Status)
				return
			}
		}
	})
}
