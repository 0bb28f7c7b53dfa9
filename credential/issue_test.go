package credential_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

func TestNewDocument(t *testing.T) {
	reg := testRegistry()
	p := licenceParams(t, reg)
	d, err := credential.NewDocument(p)
	if err != nil {
		t.Fatalf("NewDocument: %v", err)
	}
	id, err := credential.ParseIdentifier(d.ID)
	if err != nil {
		t.Fatalf("document id %s does not parse: %v", d.ID, err)
	}
	if id.TypeCode != licenceCode || id.Issuer != samrUSCC || id.Version != 1 {
		t.Errorf("identifier %+v does not name the type, issuer and version 1", id)
	}
	if d.Format != credential.Format || d.Type != licenceCode || d.Issuer != "samr" || d.Version != 1 {
		t.Errorf("header = %s %s %s v%d", d.Format, d.Type, d.Issuer, d.Version)
	}
	if !d.IssuedAt.Equal(issuedAt) || !d.ValidFrom.Equal(issuedAt) || !d.ValidUntil.Equal(issuedAt.AddDate(0, 0, 3650)) {
		t.Errorf("times = %v %v %v; want validFrom = issuedAt and the type's default validity", d.IssuedAt, d.ValidFrom, d.ValidUntil)
	}
	names := make([]string, len(d.Claims))
	for i, c := range d.Claims {
		names[i] = c.Name
		if len(c.Salt) != 22 {
			t.Errorf("claim %s salt %q is not 16 bytes of base64url", c.Name, c.Salt)
		}
	}
	wantNames := []string{"address", "companyName", "establishedOn", "holder.idNumber", "holder.idType", "holder.name", "registeredCapital"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("claims = %v, want sorted %v", names, wantNames)
	}
	for name, want := range map[string]string{
		"companyName":       "北京示例科技有限公司",
		"registeredCapital": "100.5",
		"address":           "北京市海淀区中关村大街１号　Ａ座",
		"holder.name":       "张三",
	} {
		if c, _ := d.Claim(name); c.Value != want {
			t.Errorf("claim %s = %q, want %q", name, c.Value, want)
		}
	}
	if d.Holder() != (credential.Holder{Name: "张三", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"}) {
		t.Errorf("Holder() = %+v", d.Holder())
	}
	if _, _, err := d.CheckStructure(reg, true); err != nil {
		t.Errorf("CheckStructure of a new document: %v", err)
	}
}

// Chinese text survives signing, JSON and verification byte for byte.
func TestChineseRoundTrip(t *testing.T) {
	reg := testRegistry()
	d := issueLicence(t, reg)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "北京示例科技有限公司") {
		t.Errorf("JSON does not carry the Chinese text as UTF-8: %s", b)
	}
	var back credential.Document
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, c := range d.Claims {
		if got, _ := back.Claim(c.Name); got != c {
			t.Errorf("claim %s after JSON = %+v, want %+v", c.Name, got, c)
		}
	}
	v := credential.Verify(credential.VerifyInput{Document: &back, Registry: reg, Record: recordOf(d), Online: true, Now: now})
	if !v.Valid {
		t.Fatalf("decoded document does not verify: %+v", v.Checks)
	}
}

func TestNewDocumentRejects(t *testing.T) {
	reg := testRegistry()
	tests := []struct {
		name   string
		change func(p *credential.IssueParams)
		code   credential.Code
	}{
		{"unknown field", func(p *credential.IssueParams) { p.Fields["colour"] = "红" }, credential.CodeInvalid},
		{"holder claim as field", func(p *credential.IssueParams) { p.Fields["holder.name"] = "李四" }, credential.CodeInvalid},
		{"missing required field", func(p *credential.IssueParams) { delete(p.Fields, "address") }, credential.CodeInvalid},
		{"blank required field", func(p *credential.IssueParams) { p.Fields["address"] = " \u3000 " }, credential.CodeInvalid},
		{"date field not a date", func(p *credential.IssueParams) { p.Fields["establishedOn"] = "二〇二〇年五月四日" }, credential.CodeInvalid},
		{"number field not a number", func(p *credential.IssueParams) { p.Fields["registeredCapital"] = "一百万" }, credential.CodeInvalid},
		{"string too long", func(p *credential.IssueParams) { p.Fields["companyName"] = strings.Repeat("公", 21) }, credential.CodeInvalid},
		{"control character", func(p *credential.IssueParams) { p.Fields["address"] = "北京\x07" }, credential.CodeInvalid},
		{"issuer not authorized", func(p *credential.IssueParams) { p.Issuer = mustDept(t, reg, "edu") }, credential.CodeForbidden},
		{"holder without name", func(p *credential.IssueParams) { p.Holder.Name = "  " }, credential.CodeInvalid},
		{"holder name too long", func(p *credential.IssueParams) { p.Holder.Name = strings.Repeat("张", 201) }, credential.CodeInvalid},
		{"holder ID check digit", func(p *credential.IssueParams) { p.Holder.IDNumber = "110105194912310021" }, credential.CodeInvalid},
		{"holder USCC check", func(p *credential.IssueParams) {
			p.Holder = credential.Holder{Name: "某公司", IDType: credential.IDUSCC, IDNumber: "11100000000013338X"}
		}, credential.CodeInvalid},
		{"holder ID type unknown", func(p *credential.IssueParams) { p.Holder.IDType = "驾驶证" }, credential.CodeInvalid},
		{"holder ID type missing", func(p *credential.IssueParams) { p.Holder.IDType = "" }, credential.CodeInvalid},
		{"holder ID number missing", func(p *credential.IssueParams) {
			p.Holder = credential.Holder{Name: "张三", IDType: credential.IDOther}
		}, credential.CodeInvalid},
		{"no issue time", func(p *credential.IssueParams) { p.IssuedAt = time.Time{} }, credential.CodeInvalid},
		{"validUntil before validFrom", func(p *credential.IssueParams) {
			p.ValidFrom = issuedAt
			p.ValidUntil = issuedAt.Add(-time.Second)
		}, credential.CodeInvalid},
		{"validUntil equal to validFrom", func(p *credential.IssueParams) {
			p.ValidFrom = issuedAt
			p.ValidUntil = issuedAt
		}, credential.CodeInvalid},
		{"version 1000", func(p *credential.IssueParams) { p.Version = 1000 }, credential.CodeInvalid},
		{"serial with lower case", func(p *credential.IssueParams) { p.Serial = "abc" }, credential.CodeInvalid},
		{"renews junk", func(p *credential.IssueParams) { p.Renews = "1.2.156.3005.2.x" }, credential.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := licenceParams(t, reg)
			tt.change(&p)
			d, err := credential.Issue(p, "samr-2025", samrKey)
			if d != nil {
				t.Errorf("got a document %s", d.ID)
			}
			wantCode(t, err, tt.code)
		})
	}
}

func TestNewDocumentOptions(t *testing.T) {
	reg := testRegistry()
	t.Run("blank optional field is left out", func(t *testing.T) {
		p := licenceParams(t, reg)
		p.Fields["registeredCapital"] = "  "
		d, err := credential.NewDocument(p)
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := d.Claim("registeredCapital"); ok {
			t.Fatalf("blank optional field became claim %+v", c)
		}
	})
	t.Run("holder ID number is trimmed and upper-cased", func(t *testing.T) {
		p := licenceParams(t, reg)
		p.Holder.IDNumber = " 11010519491231002x "
		d, err := credential.NewDocument(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Holder().IDNumber; got != "11010519491231002X" {
			t.Fatalf("holder ID number = %q", got)
		}
	})
	t.Run("passport number kept as given", func(t *testing.T) {
		p := licenceParams(t, reg)
		p.Holder = credential.Holder{Name: "Zhang San", IDType: credential.IDPassport, IDNumber: "E12345678"}
		d, err := credential.NewDocument(p)
		if err != nil {
			t.Fatal(err)
		}
		if d.Holder() != p.Holder {
			t.Fatalf("holder = %+v, want %+v", d.Holder(), p.Holder)
		}
	})
	t.Run("explicit period, version, serial and renewal", func(t *testing.T) {
		p := licenceParams(t, reg)
		old := issueLicence(t, reg)
		p.ValidFrom = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
		p.ValidUntil = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		p.Version = 2
		p.Serial = "SERIAL01"
		p.Renews = old.ID
		d, err := credential.NewDocument(p)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := credential.ParseIdentifier(d.ID)
		if id.Serial != "SERIAL01" || id.Version != 2 || d.Version != 2 || d.Renews != old.ID {
			t.Errorf("id %+v, version %d, renews %s", id, d.Version, d.Renews)
		}
		if d.ValidFrom.Location() != time.UTC || !d.ValidFrom.Equal(p.ValidFrom) || !d.ValidUntil.Equal(p.ValidUntil) {
			t.Errorf("period %v - %v", d.ValidFrom, d.ValidUntil)
		}
	})
	t.Run("type without default validity never expires", func(t *testing.T) {
		p := credential.IssueParams{
			Type: mustType(t, reg, "diploma"), Issuer: mustDept(t, reg, "edu"), IssuedAt: issuedAt,
			Holder: credential.Holder{Name: "李四", IDType: credential.IDResidentCard, IDNumber: "440524188001010014"},
			Fields: map[string]string{"school": "清华大学"},
		}
		d, err := credential.NewDocument(p)
		if err != nil {
			t.Fatal(err)
		}
		if !d.ValidUntil.IsZero() {
			t.Fatalf("validUntil = %v, want none", d.ValidUntil)
		}
	})
	t.Run("two issuances differ in serial and salts", func(t *testing.T) {
		a, b := issueLicence(t, reg), issueLicence(t, reg)
		if a.ID == b.ID || a.Claims[0].Salt == b.Claims[0].Salt || a.Proof.Digest == b.Proof.Digest {
			t.Fatal("two issuances share an identifier, salt or digest")
		}
	})
}

func TestCheckStructure(t *testing.T) {
	reg := testRegistry()
	tests := []struct {
		name   string
		change func(d *credential.Document)
	}{
		{"wrong format", func(d *credential.Document) { d.Format = "certledger/v0" }},
		{"identifier check character", func(d *credential.Document) { d.ID = d.ID[:len(d.ID)-1] + "?" }},
		{"unknown type", func(d *credential.Document) { d.Type = diplomaCode + "9" }},
		{"type by id instead of code", func(d *credential.Document) { d.Type = "business-licence" }},
		{"unknown issuer", func(d *credential.Document) { d.Issuer = "nobody" }},
		{"identifier of another issuer", func(d *credential.Document) { d.Issuer = "edu" }},
		{"version differs from identifier", func(d *credential.Document) { d.Version = 2 }},
		{"no issue time", func(d *credential.Document) { d.IssuedAt = time.Time{} }},
		{"no validFrom", func(d *credential.Document) { d.ValidFrom = time.Time{} }},
		{"validUntil before validFrom", func(d *credential.Document) { d.ValidUntil = d.ValidFrom.Add(-time.Hour) }},
		{"hidden claim in a full document", func(d *credential.Document) { d.Hidden = []string{strings.Repeat("ab", 32)} }},
		{"claim of unknown name", func(d *credential.Document) { d.Claims[0].Name = "colour" }},
		{"claim of wrong type", func(d *credential.Document) { d.Claims[0].Type = credential.FieldNumber }},
		{"claim not canonical", func(d *credential.Document) { d.Claims[0].Value = " " + d.Claims[0].Value }},
		{"claim twice", func(d *credential.Document) { d.Claims = append(d.Claims, d.Claims[0]) }},
		{"required claim missing", func(d *credential.Document) { d.Claims = d.Claims[1:] }},
		{"required claim empty", func(d *credential.Document) { d.Claims[0].Value = "" }},
		{"renews junk", func(d *credential.Document) { d.Renews = "nope" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := issueLicence(t, reg)
			tt.change(d)
			_, _, err := d.CheckStructure(reg, true)
			wantCode(t, err, credential.CodeInvalid)
		})
	}
}
