package credential_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

const (
	anchorType   = "11100000000013338W001"
	anchorIssuer = "11100000000013338W"
)

func anchorLeaves(n int) []credential.AnchorLeaf {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]credential.AnchorLeaf, n)
	for i := range out {
		d := sha256.Sum256([]byte(fmt.Sprint("doc", i)))
		h := sha256.Sum256([]byte(fmt.Sprint("holder", i)))
		out[i] = credential.AnchorLeaf{Digest: hex.EncodeToString(d[:]), HolderRef: hex.EncodeToString(h[:]), ValidFrom: from, ValidUntil: from.AddDate(5, 0, 0)}
	}
	return out
}

func anchorOf(t *testing.T, token string, leaves []credential.AnchorLeaf) credential.Anchor {
	t.Helper()
	root, chunks := credential.AnchorRoots(anchorType, anchorIssuer, token, leaves)
	a := credential.Anchor{Token: token, Type: anchorType, Issuer: "dept", IssuerCode: anchorIssuer, Count: len(leaves), Root: hex.EncodeToString(root[:])}
	for _, c := range chunks {
		a.ChunkRoots = append(a.ChunkRoots, hex.EncodeToString(c[:]))
	}
	return a
}

func TestAnchorProofs(t *testing.T) {
	token := credential.AnchorToken(sha256.Sum256([]byte("batch")))
	for _, n := range []int{1, 2, 3, 7, 255, 256, 257, 513, 1000} {
		leaves := anchorLeaves(n)
		a := anchorOf(t, token, leaves)
		for _, i := range []int{0, 1, n / 2, n - 2, n - 1, 255, 256, 511, 512} {
			if i < 0 || i >= n {
				continue
			}
			c := i / credential.AnchorChunkSize
			chunk := leaves[c*credential.AnchorChunkSize : min((c+1)*credential.AnchorChunkSize, n)]
			p, err := a.Proof(i, chunk)
			if err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			id := a.CredentialID(i)
			if err := p.Verify(id, leaves[i]); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			// Each kind of tampering is refused.
			other := leaves[i]
			other.HolderRef = leaves[(i+1)%n].HolderRef
			if n > 1 && p.Verify(id, other) == nil {
				t.Errorf("n=%d i=%d: another holder verified", n, i)
			}
			if n > 1 {
				q := p
				q.Index = (i + 1) % n
				if q.Verify(id, leaves[i]) == nil {
					t.Errorf("n=%d i=%d: a moved index verified", n, i)
				}
			}
			if len(p.Path) > 0 {
				q := p
				q.Path = append([]string(nil), p.Path...)
				q.Path[len(q.Path)-1] = strings.Repeat("0", 64)
				if q.Verify(id, leaves[i]) == nil {
					t.Errorf("n=%d i=%d: a changed path verified", n, i)
				}
				q.Path = p.Path[:len(p.Path)-1]
				if q.Verify(id, leaves[i]) == nil {
					t.Errorf("n=%d i=%d: a shortened path verified", n, i)
				}
			}
			q := p
			q.Path = append(append([]string(nil), p.Path...), strings.Repeat("1", 64))
			if q.Verify(id, leaves[i]) == nil {
				t.Errorf("n=%d i=%d: a lengthened path verified", n, i)
			}
		}
	}
}

func TestAnchoredSerial(t *testing.T) {
	token := credential.AnchorToken(sha256.Sum256([]byte("x")))
	if !credential.ValidAnchorToken(token) {
		t.Fatalf("token %q is not valid", token)
	}
	for _, i := range []int{0, 1, 35, 36, credential.MaxAnchorLeaves - 1} {
		s := credential.AnchoredSerial(token, i)
		tok, j, ok := credential.IsAnchoredSerial(s)
		if !ok || tok != token || j != i {
			t.Errorf("%d: %q parsed as %q %d %v", i, s, tok, j, ok)
		}
		if _, err := credential.ParseIdentifier(credential.Identifier{TypeCode: anchorType, Issuer: anchorIssuer, Serial: s, Version: 1}.String()); err != nil {
			t.Errorf("%d: %v", i, err)
		}
	}
	for _, s := range []string{credential.NewSerial(time.Now()), "0" + token, "1" + token + "000", "0" + token + "ZZZ"} {
		if _, _, ok := credential.IsAnchoredSerial(s); ok {
			t.Errorf("%q taken for an anchored serial", s)
		}
	}
}

func TestAnchorRequestValidate(t *testing.T) {
	good := credential.AnchorRequest{
		Token: credential.AnchorToken(sha256.Sum256([]byte("v"))), Type: anchorType, KeyID: "k1",
		IssuedAt: time.Now(), StatusFrom: credential.AnchorStatusBase, RequestHash: "r1", Leaves: anchorLeaves(3),
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*credential.AnchorRequest)
	}{
		{"bad token", func(r *credential.AnchorRequest) { r.Token = "abc" }},
		{"no leaves", func(r *credential.AnchorRequest) { r.Leaves = nil }},
		{"too many leaves", func(r *credential.AnchorRequest) { r.Leaves = anchorLeaves(credential.MaxAnchorLeaves + 1) }},
		{"status below the anchored lists", func(r *credential.AnchorRequest) { r.StatusFrom = 5 }},
		{"status across a list", func(r *credential.AnchorRequest) { r.StatusFrom = credential.AnchorStatusBase + 131071 }},
		{"bad digest", func(r *credential.AnchorRequest) { r.Leaves[1].Digest = "zz" }},
		{"validity reversed", func(r *credential.AnchorRequest) { r.Leaves[2].ValidUntil = r.Leaves[2].ValidFrom }},
	}
	for _, c := range cases {
		r := good
		r.Leaves = anchorLeaves(3)
		c.edit(&r)
		if err := r.Validate(); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func TestAnchorChunkRoundTrip(t *testing.T) {
	docs := []credential.Document{{Format: credential.Format, ID: "a"}, {Format: credential.Format, ID: "b"}}
	b, err := credential.EncodeAnchorChunk(docs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := credential.DecodeAnchorChunk(b)
	if err != nil || len(got) != 2 || got[1].ID != "b" {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := credential.DecodeAnchorChunk([]byte("not gzip")); err == nil {
		t.Error("garbage decoded")
	}
}

func TestAnchorLeavesRoundTrip(t *testing.T) {
	leaves := anchorLeaves(3)
	leaves[1].ValidUntil = time.Time{}
	leaves[2].ValidFrom = time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("CST", 8*3600))
	b, err := credential.EncodeAnchorLeaves(leaves)
	if err != nil || len(b) != 3*credential.AnchorLeafSize {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
	got, err := credential.DecodeAnchorLeaves(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range leaves {
		// The leaf hash is what must survive storage: same instant, same text.
		if credential.AnchorLeafHash("x", got[i]) != credential.AnchorLeafHash("x", leaves[i]) || !got[i].ValidUntil.Equal(leaves[i].ValidUntil) {
			t.Errorf("leaf %d: %+v became %+v", i, leaves[i], got[i])
		}
	}
	if _, err := credential.DecodeAnchorLeaves(b[:len(b)-1]); err == nil {
		t.Error("a cut leaf decoded")
	}
	leaves[0].Digest = strings.ToUpper(leaves[0].Digest)
	r := credential.AnchorRequest{Token: credential.AnchorToken(sha256.Sum256([]byte("u"))), Type: anchorType, KeyID: "k", IssuedAt: time.Now(),
		StatusFrom: credential.AnchorStatusBase, RequestHash: "r", Leaves: leaves}
	if r.Validate() == nil {
		t.Error("an upper-case digest was accepted: its stored form would hash differently")
	}
}

func TestAnchorChunkAt(t *testing.T) {
	docs := make([]credential.Document, 5)
	for i := range docs {
		docs[i] = credential.Document{Format: credential.Format, ID: fmt.Sprint("doc-", i), Claims: []credential.Claim{{Name: "n", Value: strings.Repeat("x", i*100)}}}
	}
	b, err := credential.EncodeAnchorChunk(docs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range docs {
		d, err := credential.DecodeAnchorChunkAt(b, i)
		if err != nil || d.ID != docs[i].ID || d.Claims[0].Value != docs[i].Claims[0].Value {
			t.Errorf("document %d: %+v, %v", i, d, err)
		}
	}
	if _, err := credential.DecodeAnchorChunkAt(b, len(docs)); err == nil {
		t.Error("a document past the chunk's end decoded")
	}
	if _, err := credential.DecodeAnchorChunkAt(b[:len(b)/2], 4); err == nil {
		t.Error("a cut chunk decoded")
	}
}
