package credential

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestAppendDocumentJSON encodes documents byte for byte as json.Marshal
// does, including the strings, times and members its fast path leaves to
// json.Marshal.
func TestAppendDocumentJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)
	base := func() Document {
		return Document{Format: Format, ID: "CL.11100000MB02000124001.11100000MB02000124.0ABCDEFGHJKL000.001.X", Type: "11100000MB02000124001",
			Issuer: "samr", IssuedAt: at, ValidFrom: at.Truncate(24 * time.Hour), ValidUntil: at.AddDate(10, 0, 0), Version: 1,
			Claims: []Claim{{Name: "holder.name", Type: FieldString, Value: "福州数字未来科技有限公司", Salt: NewSalt()},
				{Name: "registeredCapital", Type: FieldNumber, Value: "100", Salt: NewSalt()}},
			Proof: Proof{Algorithm: "Ed25519", KeyID: "samr-2026", Digest: "ab12", Signature: "c2ln"}}
	}
	shanghai := time.FixedZone("CST", 8*3600)
	for name, change := range map[string]func(*Document){
		"plain":             func(*Document) {},
		"no expiry":         func(d *Document) { d.ValidUntil = time.Time{} },
		"renewal, hidden":   func(d *Document) { d.Renews, d.Hidden = "CL.x", []string{"aa", "bb"} },
		"no claims":         func(d *Document) { d.Claims = nil },
		"empty claims":      func(d *Document) { d.Claims = []Claim{} },
		"escapes":           func(d *Document) { d.Claims[0].Value = "a\"b\\c\nd\te<f>&g\u2028h\u2029\x01" },
		"invalid UTF-8":     func(d *Document) { d.Claims[1].Value = "ab\xffcd" },
		"zone":              func(d *Document) { d.ValidFrom = d.ValidFrom.In(shanghai) },
		"zone with seconds": func(d *Document) { d.ValidFrom = d.ValidFrom.In(time.FixedZone("LMT", 8*3600+17)) },
		"far year":          func(d *Document) { d.ValidUntil = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"anchor proof":      func(d *Document) { d.Proof.Anchor = &AnchorProof{Token: "ABC", Count: 1, Root: "00"} },
	} {
		d := base()
		change(&d)
		want, wantErr := json.Marshal(&d)
		got, err := appendDocumentJSON([]byte("x"), &d)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Errorf("%s:\n%s %v\nwant\n%s %v", name, got, err, want, wantErr)
		}
	}
}

// BenchmarkEncodeAnchorChunk encodes a chunk of documents.
func BenchmarkEncodeAnchorChunk(b *testing.B) {
	docs := benchChunkDocs()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeAnchorChunk(docs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeAnchorChunkAt reads the middle document of a chunk, as a
// verification of one anchored credential does; BenchmarkDecodeAnchorChunk
// decodes the whole chunk, as reading it did before the documents carried
// their lengths.
func BenchmarkDecodeAnchorChunkAt(b *testing.B) {
	raw, err := EncodeAnchorChunk(benchChunkDocs())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeAnchorChunkAt(raw, AnchorChunkSize/2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeAnchorChunk(b *testing.B) {
	raw, err := EncodeAnchorChunk(benchChunkDocs())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeAnchorChunk(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func benchChunkDocs() []Document {
	docs := make([]Document, AnchorChunkSize)
	for i := range docs {
		docs[i] = Document{Format: Format, ID: "CL.11100000MB02000124001.11100000MB02000124.0ABCDEFGHJKL000.001.X", Type: "11100000MB02000124001",
			Issuer: "samr", IssuedAt: time.Now().UTC(), ValidFrom: time.Now().UTC(), Version: 1,
			Claims: []Claim{{Name: "holder.name", Type: FieldString, Value: "福州数字未来科技有限公司", Salt: NewSalt()},
				{Name: "address", Type: FieldString, Value: "福州市鼓楼区五四路1号", Salt: NewSalt()}},
			Proof: Proof{Algorithm: "Ed25519", KeyID: "samr-2026", Digest: "ab12", Signature: "c2ln"}}
	}
	return docs
}

// TestAppendJSONString writes what json.Marshal writes.
func TestAppendJSONString(t *testing.T) {
	for _, v := range []string{"", "福州市鼓楼区五四路1号", `a"b`, `a\b`, "a\nb", "<&>", "a\u2028b", "—", "\xff", "plain"} {
		want, _ := json.Marshal(v)
		if got := AppendJSONString([]byte("x"), v); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Errorf("%q: %s, want %s", v, got, want)
		}
	}
}
