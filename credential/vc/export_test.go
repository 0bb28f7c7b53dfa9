package vc_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/credential/vc"
)

// served is what the gateway serves for the fixture: every department's
// controller document and samr's status lists, with the given revoked and
// suspended indexes in list 0.
func (f fixture) served(t testing.TB, revoked, suspended []int) webFetcher {
	t.Helper()
	web := webFetcher{}
	for _, d := range f.reg.Departments {
		b, err := json.Marshal(vc.NewControllerDocument(base, d))
		if err != nil {
			t.Fatal(err)
		}
		web[vc.IssuerURL(base, d.ID)] = b
	}
	samr, _ := f.reg.Department(demo.Market)
	for purpose, set := range map[string][]int{vc.PurposeRevocation: revoked, vc.PurposeSuspension: suspended} {
		b, err := vc.NewStatusListCredential(vc.StatusListParams{BaseURL: base, Department: samr, Purpose: purpose,
			ValidFrom: now, ValidUntil: now.Add(time.Hour)}, set, f.keys[demo.Market])
		if err != nil {
			t.Fatal(err)
		}
		web[vc.StatusListURL(base, demo.Market, purpose, 0)] = b
	}
	return web
}

func TestExportVerifiesWithAnIndependentVerifier(t *testing.T) {
	f := newFixture(t)
	doc := f.licence(t)
	pres, err := doc.Present([]string{"companyName", credential.ClaimHolderName})
	if err != nil {
		t.Fatal(err)
	}
	const seq = 12345
	_, index := vc.StatusPosition(seq)
	tests := []struct {
		name                string
		doc                 *credential.Document
		revoked, suspended  []int
		wantClaims          int
		wantRev, wantSuspen bool
	}{
		{"full credential, valid", doc, []int{1, 2, 3}, nil, 9, false, false},
		{"presentation, valid", pres, nil, nil, 2, false, false},
		{"revoked credential", doc, []int{index}, nil, 9, true, false},
		{"suspended presentation", pres, nil, []int{index}, 2, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := vc.Export(tc.doc, f.params(seq), f.keys[demo.Market])
			if err != nil {
				t.Fatalf("Export: %v", err)
			}
			web := f.served(t, tc.revoked, tc.suspended)
			got, err := independentVerify(out, web)
			if err != nil {
				t.Fatalf("independent verifier: %v", err)
			}
			subject := got["credentialSubject"].(map[string]any)
			if len(subject) != tc.wantClaims+1 { // + type
				t.Fatalf("subject has %d members, want %d claims: %v", len(subject), tc.wantClaims, subject)
			}
			entries := got["credentialStatus"].([]any)
			if len(entries) != 2 {
				t.Fatalf("%d status entries", len(entries))
			}
			for _, e := range entries {
				entry := e.(map[string]any)
				set, err := independentStatus(entry, web)
				if err != nil {
					t.Fatalf("status %v: %v", entry["statusPurpose"], err)
				}
				want := map[any]bool{vc.PurposeRevocation: tc.wantRev, vc.PurposeSuspension: tc.wantSuspen}[entry["statusPurpose"]]
				if set != want {
					t.Fatalf("%v bit = %v, want %v", entry["statusPurpose"], set, want)
				}
				// The package's own status check agrees.
				var se vc.StatusEntry
				b, _ := json.Marshal(entry)
				json.Unmarshal(b, &se)
				own, err := vc.CheckStatus(web[se.StatusListCredential], se, vc.IssuerURL(base, demo.Market), vc.RegistryResolver(base, f.reg))
				if err != nil || own != want {
					t.Fatalf("CheckStatus = %v, %v; want %v", own, err, want)
				}
			}
			// And so does the package's own verifier.
			if _, err := vc.VerifyCredential(out, base, f.reg); err != nil {
				t.Fatalf("VerifyCredential: %v", err)
			}
		})
	}
}

func TestExportedCredentialTampering(t *testing.T) {
	f := newFixture(t)
	out, err := vc.Export(f.licence(t), f.params(1), f.keys[demo.Market])
	if err != nil {
		t.Fatal(err)
	}
	web := f.served(t, nil, nil)
	tests := []struct {
		name   string
		tamper func(m map[string]any)
	}{
		{"altered claim", func(m map[string]any) { m["credentialSubject"].(map[string]any)["companyName"] = "另一家公司" }},
		{"added claim", func(m map[string]any) { m["credentialSubject"].(map[string]any)["score"] = "100" }},
		{"removed claim", func(m map[string]any) { delete(m["credentialSubject"].(map[string]any), "address") }},
		{"extended validity", func(m map[string]any) { m["validUntil"] = "2046-02-26T09:30:00Z" }},
		{"moved status index", func(m map[string]any) {
			m["credentialStatus"].([]any)[0].(map[string]any)["statusListIndex"] = "7"
		}},
		{"other issuer", func(m map[string]any) { m["issuer"].(map[string]any)["id"] = vc.IssuerURL(base, demo.Education) }},
		{"altered proof creation time", func(m map[string]any) { m["proof"].(map[string]any)["created"] = "2026-03-01T09:31:00Z" }},
		{"altered identifier", func(m map[string]any) {
			m["identifier"] = strings.Replace(m["identifier"].(string), ".001.", ".002.", 1)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatal(err)
			}
			tc.tamper(m)
			b, _ := json.Marshal(m)
			if _, err := independentVerify(b, web); err == nil {
				t.Fatal("independent verifier accepted a tampered credential")
			}
			if _, err := vc.VerifyCredential(b, base, f.reg); err == nil {
				t.Fatal("VerifyCredential accepted a tampered credential")
			}
		})
	}
}

func TestExportRefuses(t *testing.T) {
	f := newFixture(t)
	doc := f.licence(t)
	altered := *doc
	altered.Claims = append([]credential.Claim(nil), doc.Claims...)
	altered.Claims[0].Value = "王五"
	tests := []struct {
		name   string
		doc    *credential.Document
		signer vc.Signer
		params func(p *vc.ExportParams)
		want   string
	}{
		{"another department's key", doc, f.keys[demo.Education], nil, "not a key of samr"},
		{"mismatched private key", doc, vc.Signer{KeyID: "samr-2025", Key: seedKey(99)}, nil, "does not match"},
		{"retired key", doc, vc.Signer{KeyID: "samr-2024", Key: seedKey(90)}, nil, "no longer signs"},
		{"no creation time", doc, f.keys[demo.Market], func(p *vc.ExportParams) { p.Created = time.Time{} }, "creation time"},
		{"document that fails its digest", &altered, f.keys[demo.Market], nil, "digest"},
		{"issuer missing from the registry", doc, f.keys[demo.Market], func(p *vc.ExportParams) { p.Registry.Departments = nil }, "unknown issuer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := f.params(1)
			if tc.params != nil {
				tc.params(&p)
			}
			_, err := vc.Export(tc.doc, p, tc.signer)
			if err == nil || credential.ErrorCode(err) != credential.CodeInvalid || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an invalid error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestVerifyCredentialKeyRules(t *testing.T) {
	f := newFixture(t)
	out, err := vc.Export(f.licence(t), f.params(1), f.keys[demo.Market])
	if err != nil {
		t.Fatal(err)
	}
	compromise := func(at time.Time) credential.Registry {
		reg := newFixture(t).reg
		for i := range reg.Departments {
			for j := range reg.Departments[i].Keys {
				if reg.Departments[i].Keys[j].ID == "samr-2025" {
					reg.Departments[i].Keys[j].Status = credential.KeyCompromised
					reg.Departments[i].Keys[j].CompromisedAt = at
				}
			}
		}
		return reg
	}
	if _, err := vc.VerifyCredential(out, base, compromise(now.Add(time.Hour))); err != nil {
		t.Fatalf("signed before the compromise: %v", err)
	}
	if _, err := vc.VerifyCredential(out, base, compromise(now)); err == nil {
		t.Fatal("accepted a proof made at the compromise time")
	}
	if _, err := vc.VerifyCredential(out, "https://other.example", f.reg); err == nil {
		t.Fatal("accepted a key outside the configured gateway")
	}
	// A generic verifier sees a compromised key as revoked: not an assertion method.
	reg := compromise(now.Add(time.Hour))
	samr, _ := reg.Department(demo.Market)
	cd := vc.NewControllerDocument(base, samr)
	for _, a := range cd.AssertionMethod {
		if strings.HasSuffix(a, "#samr-2025") {
			t.Fatal("compromised key is still an assertion method")
		}
	}
}

func TestExportRejectsReservedClaimNames(t *testing.T) {
	f := newFixture(t)
	ty, _ := f.reg.Type("diploma")
	ty.Fields = append(ty.Fields, credential.FieldSpec{Name: "type", Type: credential.FieldString, LabelZh: "类型", LabelEn: "Type"})
	for i := range f.reg.Types {
		if f.reg.Types[i].ID == "diploma" {
			f.reg.Types[i] = ty
		}
	}
	dept, _ := f.reg.Department(demo.Education)
	s := f.keys[demo.Education]
	d, err := credential.Issue(credential.IssueParams{Type: ty, Issuer: dept,
		Holder:   credential.Holder{Name: "李四", IDType: credential.IDPassport, IDNumber: "E12345678"},
		Fields:   map[string]string{"school": "示例大学", "major": "数学", "level": "本科", "graduatedOn": "2022-06-30", "certificateNumber": "1", "type": "x"},
		IssuedAt: issuedAt}, s.KeyID, s.Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vc.Export(d, f.params(1), s); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Fatalf("got %v", err)
	}
}

func FuzzParseCredential(f *testing.F) {
	fx := newFixture(f)
	out, err := vc.Export(fx.licence(f), fx.params(3), fx.keys[demo.Market])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(out)
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2","https://evil.example/ctx"],"proof":{}}`))
	f.Add([]byte(`{}`))
	web := fx.served(f, nil, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := vc.ParseCredential(data)
		if err != nil {
			if credential.ErrorCode(err) != credential.CodeInvalid {
				t.Fatalf("error %v is not 'invalid'", err)
			}
		} else if c.Proof == nil {
			t.Fatal("parsed a credential without proof")
		}
		// Verification never panics, and whatever it accepts the independent
		// verifier accepts too, with the same subject.
		got, err := vc.VerifyCredential(data, base, fx.reg)
		if err != nil {
			return
		}
		doc, err := independentVerify(data, web)
		if err != nil {
			t.Fatalf("VerifyCredential accepted what the independent verifier rejects (%v): %s", err, data)
		}
		subject, _ := doc["credentialSubject"].(map[string]any)
		if len(subject) != len(got.CredentialSubject) {
			t.Fatalf("subjects differ: %v and %v", subject, got.CredentialSubject)
		}
		for k, v := range got.CredentialSubject {
			if subject[k] != v {
				t.Fatalf("subject %s: %v and %v", k, subject[k], v)
			}
		}
	})
}

func BenchmarkExport(b *testing.B) {
	f := newFixture(b)
	doc := f.licence(b)
	for b.Loop() {
		if _, err := vc.Export(doc, f.params(1), f.keys[demo.Market]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCredential(b *testing.B) {
	f := newFixture(b)
	out, err := vc.Export(f.licence(b), f.params(1), f.keys[demo.Market])
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := vc.VerifyCredential(out, base, f.reg); err != nil {
			b.Fatal(err)
		}
	}
}
