package credential_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

func digestOf(t *testing.T, d *credential.Document) string {
	t.Helper()
	s, err := d.ComputeDigest()
	if err != nil {
		t.Fatalf("ComputeDigest: %v", err)
	}
	return s
}

func cloneDoc(d *credential.Document) *credential.Document {
	c := *d
	c.Claims = slices.Clone(d.Claims)
	c.Hidden = slices.Clone(d.Hidden)
	return &c
}

func TestDigestDeterministic(t *testing.T) {
	d := issueLicence(t, testRegistry())
	first := digestOf(t, d)
	if first != d.Proof.Digest || len(first) != 64 || strings.ToLower(first) != first {
		t.Fatalf("digest %q is not the signed lower-case hex SHA-256 %q", first, d.Proof.Digest)
	}
	if again := digestOf(t, d); again != first {
		t.Fatalf("digest changed between calls: %s, %s", first, again)
	}
	b, _ := json.Marshal(d)
	var back credential.Document
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got := digestOf(t, &back); got != first {
		t.Fatalf("digest after JSON = %s, want %s", got, first)
	}

	t.Run("claim order does not matter", func(t *testing.T) {
		r := cloneDoc(d)
		slices.Reverse(r.Claims)
		if got := digestOf(t, r); got != first {
			t.Fatalf("reordered claims digest %s, want %s", got, first)
		}
		r.SortClaims()
		if !slices.Equal(r.Claims, d.Claims) {
			t.Fatal("SortClaims does not restore the canonical order")
		}
	})
	t.Run("time zone of the same instant does not matter", func(t *testing.T) {
		r := cloneDoc(d)
		cst := time.FixedZone("CST", 8*3600)
		r.IssuedAt, r.ValidFrom, r.ValidUntil = d.IssuedAt.In(cst), d.ValidFrom.In(cst), d.ValidUntil.In(cst)
		if got := digestOf(t, r); got != first {
			t.Fatalf("digest in +08:00 = %s, want %s", got, first)
		}
	})
	t.Run("proof is not part of the digest", func(t *testing.T) {
		r := cloneDoc(d)
		r.Proof = credential.Proof{KeyID: "other"}
		if got := digestOf(t, r); got != first {
			t.Fatal("digest depends on the proof")
		}
	})
	t.Run("hiding a claim keeps the digest", func(t *testing.T) {
		r := cloneDoc(d)
		i := slices.IndexFunc(r.Claims, func(c credential.Claim) bool { return c.Name == credential.ClaimHolderIDNumber })
		h, err := r.Claims[i].Commitment()
		if err != nil {
			t.Fatal(err)
		}
		r.Claims = slices.Delete(r.Claims, i, i+1)
		r.Hidden = []string{hex.EncodeToString(h[:])}
		if got := digestOf(t, r); got != first {
			t.Fatalf("presentation digest %s, want %s", got, first)
		}
	})
}

func TestDigestChangesWithEveryField(t *testing.T) {
	d := issueLicence(t, testRegistry())
	base := digestOf(t, d)
	other := credential.Identifier{TypeCode: licenceCode, Issuer: samrUSCC, Serial: "OTHER", Version: 1}.String()
	changes := map[string]func(d *credential.Document){
		"id":         func(d *credential.Document) { d.ID = other },
		"type":       func(d *credential.Document) { d.Type = diplomaCode },
		"issuer":     func(d *credential.Document) { d.Issuer = "edu" },
		"issuedAt":   func(d *credential.Document) { d.IssuedAt = d.IssuedAt.Add(time.Nanosecond) },
		"validFrom":  func(d *credential.Document) { d.ValidFrom = d.ValidFrom.Add(time.Millisecond) },
		"validUntil": func(d *credential.Document) { d.ValidUntil = time.Time{} },
		"version":    func(d *credential.Document) { d.Version = 2 },
		"renews":     func(d *credential.Document) { d.Renews = other },
		"drop claim": func(d *credential.Document) { d.Claims = d.Claims[1:] },
		"add hidden": func(d *credential.Document) { d.Hidden = []string{strings.Repeat("0", 64)} },
	}
	for i, c := range d.Claims {
		changes["claim "+c.Name+" value"] = func(d *credential.Document) { d.Claims[i].Value += "改" }
		changes["claim "+c.Name+" name"] = func(d *credential.Document) { d.Claims[i].Name += "x" }
		changes["claim "+c.Name+" type"] = func(d *credential.Document) { d.Claims[i].Type += "x" }
		changes["claim "+c.Name+" salt"] = func(d *credential.Document) { d.Claims[i].Salt = credential.NewSalt() }
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			m := cloneDoc(d)
			change(m)
			if got := digestOf(t, m); got == base {
				t.Fatal("digest did not change")
			}
			if err := m.CheckIntegrity(); err == nil {
				t.Fatal("CheckIntegrity accepts the altered document")
			}
		})
	}
}

// Length prefixes keep field boundaries: moving characters from a claim's
// name into its value yields another commitment.
func TestCommitmentBoundaries(t *testing.T) {
	salt := credential.NewSalt()
	a := credential.Claim{Name: "ab", Type: credential.FieldString, Value: "c", Salt: salt}
	b := credential.Claim{Name: "a", Type: credential.FieldString, Value: "bc", Salt: salt}
	ha, errA := a.Commitment()
	hb, errB := b.Commitment()
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if ha == hb {
		t.Fatal("different claims share a commitment")
	}
}

func TestCommitmentRejectsBadSalt(t *testing.T) {
	raw := make([]byte, credential.SaltSize)
	good := base64.RawURLEncoding.EncodeToString(raw)
	// The last character carries 4 unused bits; a decoder that ignores them
	// would accept this second spelling of the same salt.
	alias := good[:len(good)-1] + "B"
	tests := map[string]string{
		"empty":             "",
		"15 bytes":          base64.RawURLEncoding.EncodeToString(raw[:15]),
		"17 bytes":          base64.RawURLEncoding.EncodeToString(append(raw, 0)),
		"padded":            base64.URLEncoding.EncodeToString(raw),
		"standard base64":   base64.StdEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfb, 0xff, 0xfb, 0xff, 0xfb, 0xff, 0xfb, 0xff, 0xfb, 0xff, 0xfb, 0xff, 0xfb, 0xff})[:22],
		"line break":        good[:10] + "\n" + good[10:],
		"unused bits set":   alias,
		"not base64 at all": "盐盐盐盐盐盐盐",
	}
	for name, salt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := credential.Claim{Name: "n", Type: credential.FieldString, Value: "v", Salt: salt}.Commitment()
			wantCode(t, err, credential.CodeInvalid)
		})
	}
	if _, err := (credential.Claim{Name: "n", Type: credential.FieldString, Salt: good}).Commitment(); err != nil {
		t.Fatalf("canonical salt rejected: %v", err)
	}
}

func TestCommitmentsRejectBadHidden(t *testing.T) {
	d := issueLicence(t, testRegistry())
	h, _ := d.Claims[0].Commitment()
	tests := map[string][]string{
		"upper-case hex":      {strings.ToUpper(strings.Repeat("ab", 32))},
		"31 bytes":            {strings.Repeat("ab", 31)},
		"not hex":             {strings.Repeat("zz", 32)},
		"duplicate of hidden": {strings.Repeat("ab", 32), strings.Repeat("ab", 32)},
		"duplicate of claim":  {hex.EncodeToString(h[:])},
	}
	for name, hidden := range tests {
		t.Run(name, func(t *testing.T) {
			m := cloneDoc(d)
			m.Hidden = hidden
			_, err := m.ComputeDigest()
			wantCode(t, err, credential.CodeInvalid)
		})
	}
}

func TestCheckSignature(t *testing.T) {
	d := issueLicence(t, testRegistry())
	samrPub := samrKey.Public().(ed25519.PublicKey)
	if err := d.CheckSignature(samrPub); err != nil {
		t.Fatalf("valid signature: %v", err)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(d.Proof.Signature)
	tests := []struct {
		name   string
		pub    ed25519.PublicKey
		change func(p *credential.Proof)
	}{
		{"wrong key", eduKey.Public().(ed25519.PublicKey), func(*credential.Proof) {}},
		{"key id swapped", samrPub, func(p *credential.Proof) { p.KeyID = "samr-2024" }},
		{"signature tampered", samrPub, func(p *credential.Proof) {
			s := slices.Clone(sig)
			s[10] ^= 1
			p.Signature = base64.RawURLEncoding.EncodeToString(s)
		}},
		{"signature truncated", samrPub, func(p *credential.Proof) { p.Signature = p.Signature[:40] }},
		{"signature padded", samrPub, func(p *credential.Proof) { p.Signature = base64.URLEncoding.EncodeToString(sig) }},
		{"signature with line break", samrPub, func(p *credential.Proof) { p.Signature = p.Signature[:20] + "\n" + p.Signature[20:] }},
		{"digest in proof changed", samrPub, func(p *credential.Proof) { p.Digest = strings.Repeat("0", 64) }},
		{"other algorithm", samrPub, func(p *credential.Proof) { p.Algorithm = "ES256" }},
		{"public key of wrong size", samrPub[:16], func(*credential.Proof) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := cloneDoc(d)
			tt.change(&m.Proof)
			wantCode(t, m.CheckSignature(tt.pub), credential.CodeInvalid)
		})
	}
}

// The commitment and digest encodings are a format: every credential ever
// issued depends on them. These known answers are built byte by byte from
// the documented layout (length-prefixed fields), independently of the code.
func TestCommitmentKnownAnswer(t *testing.T) {
	salt := make([]byte, credential.SaltSize)
	for i := range salt {
		salt[i] = byte(i)
	}
	c := credential.Claim{Name: "school", Type: credential.FieldString, Value: "北京大学", Salt: base64.RawURLEncoding.EncodeToString(salt)}
	var in []byte
	for _, f := range []string{"certledger.claim.v1", "school", "string", string(salt), "北京大学"} {
		in = append(in, byte(len(f))) // every field is shorter than 128 bytes: a one-byte uvarint
		in = append(in, f...)
	}
	want := sha256.Sum256(in)
	got, err := c.Commitment()
	if err != nil || got != want {
		t.Fatalf("Commitment = %x, %v; want %x", got, err, want)
	}
}

func TestDigestKnownAnswer(t *testing.T) {
	salt := func(b byte) string {
		return base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{b}, credential.SaltSize))
	}
	d := &credential.Document{
		Format: credential.Format, ID: sampleID.String(), Type: licenceCode, Issuer: "samr",
		IssuedAt:  time.Date(2026, 3, 1, 8, 0, 0, 500_000_000, time.UTC),
		ValidFrom: time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)),
		Version:   1,
		Claims: []credential.Claim{
			{Name: "b", Type: credential.FieldString, Value: "乙", Salt: salt(2)},
			{Name: "a", Type: credential.FieldNumber, Value: "1", Salt: salt(1)},
		},
	}
	var cs [][32]byte
	for _, c := range d.Claims {
		h, _ := c.Commitment()
		cs = append(cs, h)
	}
	slices.SortFunc(cs, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	var in []byte
	for _, f := range []string{"certledger.credential.v1", d.ID, licenceCode, "samr",
		"2026-03-01T08:00:00.5Z", "2026-02-28T16:00:00Z", "", "1", ""} {
		in = append(in, byte(len(f)))
		in = append(in, f...)
	}
	in = append(in, 2)
	in = append(in, cs[0][:]...)
	in = append(in, cs[1][:]...)
	want := sha256.Sum256(in)
	if got := digestOf(t, d); got != hex.EncodeToString(want[:]) {
		t.Fatalf("digest %s, want %x", got, want)
	}
}
