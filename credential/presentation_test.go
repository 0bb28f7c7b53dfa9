package credential_test

import (
	"encoding/hex"
	"testing"

	"github.com/certledger/certledger/credential"
)

func TestPresentVerifiesWithTheIssuerSignature(t *testing.T) {
	reg := testRegistry()
	doc := issueLicence(t, reg)
	tests := []struct {
		name       string
		fields     []string
		wantHidden int
	}{
		{"one type field", []string{"companyName"}, 6},
		{"holder name and a date", []string{credential.ClaimHolderName, "establishedOn"}, 5},
		{"nothing", nil, 7},
		{"everything", []string{"address", "companyName", "establishedOn", "registeredCapital",
			credential.ClaimHolderName, credential.ClaimHolderIDType, credential.ClaimHolderIDNumber}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := doc.Present(tc.fields)
			if err != nil {
				t.Fatalf("Present: %v", err)
			}
			if len(p.Claims) != len(tc.fields) || len(p.Hidden) != tc.wantHidden {
				t.Fatalf("got %d claims and %d hidden, want %d and %d", len(p.Claims), len(p.Hidden), len(tc.fields), tc.wantHidden)
			}
			if p.IsPresentation() != (tc.wantHidden > 0) {
				t.Fatalf("IsPresentation() = %v", p.IsPresentation())
			}
			if err := p.CheckIntegrity(); err != nil {
				t.Fatalf("CheckIntegrity: %v", err)
			}
			v := credential.Verify(credential.VerifyInput{Document: p, Registry: reg, Record: recordOf(doc), Online: true, Now: now})
			if !v.Valid || v.Status != credential.StatusValid {
				t.Fatalf("Verify: %+v", v)
			}
		})
	}
}

func TestPresentDoesNotAlterTheDocument(t *testing.T) {
	doc := issueLicence(t, testRegistry())
	before := len(doc.Claims)
	if _, err := doc.Present([]string{"companyName"}); err != nil {
		t.Fatal(err)
	}
	if len(doc.Claims) != before || len(doc.Hidden) != 0 {
		t.Fatalf("Present changed its receiver: %d claims, %d hidden", len(doc.Claims), len(doc.Hidden))
	}
}

func TestPresentOfAPresentationHidesMore(t *testing.T) {
	reg := testRegistry()
	doc := issueLicence(t, reg)
	p1, err := doc.Present([]string{"companyName", "address"})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := p1.Present([]string{"address"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Claims) != 1 || len(p2.Hidden) != 6 {
		t.Fatalf("got %d claims, %d hidden", len(p2.Claims), len(p2.Hidden))
	}
	if err := p2.CheckIntegrity(); err != nil {
		t.Fatal(err)
	}
	// What p1 already hides cannot be revealed again from p1.
	_, err = p1.Present([]string{"establishedOn"})
	wantCode(t, err, credential.CodeInvalid)
}

func TestPresentRejectsBadFieldLists(t *testing.T) {
	doc := issueLicence(t, testRegistry())
	for name, fields := range map[string][]string{
		"unknown field":    {"shoeSize"},
		"empty name":       {""},
		"repeated field":   {"companyName", "companyName"},
		"case mismatch":    {"CompanyName"},
		"holder prefix":    {"holder"},
		"one bad among ok": {"companyName", "nope"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := doc.Present(fields)
			wantCode(t, err, credential.CodeInvalid)
		})
	}
}

func TestPresentationTamperingFails(t *testing.T) {
	reg := testRegistry()
	doc := issueLicence(t, reg)
	other := issueLicence(t, reg) // same values, other salts
	tests := []struct {
		name   string
		tamper func(p *credential.Document)
	}{
		{"altered revealed value", func(p *credential.Document) { p.Claims[0].Value = "北京另一家公司" }},
		{"altered revealed salt", func(p *credential.Document) { p.Claims[0].Salt = other.Claims[0].Salt }},
		{"swapped hidden commitment", func(p *credential.Document) {
			c, _ := other.Claim("address")
			h, _ := c.Commitment()
			for i, s := range p.Hidden {
				if mine, _ := doc.Claim("address"); commitmentHex(t, mine) == s {
					p.Hidden[i] = hex.EncodeToString(h[:])
				}
			}
		}},
		{"dropped hidden commitment", func(p *credential.Document) { p.Hidden = p.Hidden[1:] }},
		{"hidden claim revealed from another credential", func(p *credential.Document) {
			c, _ := other.Claim("address")
			p.Claims = append(p.Claims, c)
			p.SortClaims()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := doc.Present([]string{"companyName"})
			if err != nil {
				t.Fatal(err)
			}
			tc.tamper(p)
			if err := p.CheckIntegrity(); err == nil {
				t.Fatal("tampered presentation passed the integrity check")
			}
			v := credential.Verify(credential.VerifyInput{Document: p, Registry: reg, Record: recordOf(doc), Online: true, Now: now})
			if v.Valid || v.Status != credential.StatusForged {
				t.Fatalf("Verify: valid=%v status=%s", v.Valid, v.Status)
			}
		})
	}
}

func commitmentHex(t *testing.T, c credential.Claim) string {
	t.Helper()
	h, err := c.Commitment()
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h[:])
}

func BenchmarkPresent(b *testing.B) {
	doc := issueLicence(b, testRegistry())
	fields := []string{"companyName", credential.ClaimHolderName}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := doc.Present(fields); err != nil {
			b.Fatal(err)
		}
	}
}
