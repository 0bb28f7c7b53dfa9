package credential_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// The fixture: two issuing departments, each with its own types, and keys
// derived from fixed seeds so failures are reproducible.
const (
	samrUSCC    = "11100000MB02000124"
	eduUSCC     = "11100000MB0300013R"
	licenceCode = "11100000MB02000124001"
	diplomaCode = "11100000MB0300013R001"
)

var (
	// now is the verification time of most tests; credentials are issued
	// a day before it.
	now      = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	issuedAt = now.Add(-24 * time.Hour)
)

func seedKey(b byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = b
	}
	return ed25519.NewKeyFromSeed(seed)
}

func pubB64(k ed25519.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey))
}

var (
	samrKey    = seedKey(1)
	samrOldKey = seedKey(2)
	eduKey     = seedKey(3)
)

func testRegistry() credential.Registry {
	keyFrom := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return credential.Registry{
		Departments: []credential.Department{
			{ID: "edu", MSPID: "EduMSP", USCC: eduUSCC, NameZh: "教育局", NameEn: "Education Bureau",
				Roles: []credential.Role{credential.RoleIssuer},
				Keys:  []credential.Key{{ID: "edu-1", PublicKey: pubB64(eduKey), ValidFrom: keyFrom, Status: credential.KeyActive}}},
			{ID: "samr", MSPID: "SamrMSP", USCC: samrUSCC, NameZh: "市场监督管理局", NameEn: "Market Regulation",
				Roles: []credential.Role{credential.RoleIssuer},
				Keys: []credential.Key{
					{ID: "samr-2024", PublicKey: pubB64(samrOldKey), ValidFrom: keyFrom.AddDate(-1, 0, 0), ValidUntil: keyFrom, Status: credential.KeyRetired},
					{ID: "samr-2025", PublicKey: pubB64(samrKey), ValidFrom: keyFrom, Status: credential.KeyActive},
				}},
		},
		Types: []credential.CredentialType{
			{ID: "business-licence", Code: licenceCode, NameZh: "营业执照", NameEn: "Business Licence",
				Issuers: []string{"samr"}, DefaultValidityDays: 3650,
				Fields: []credential.FieldSpec{
					{Name: "companyName", Type: credential.FieldString, Required: true, LabelZh: "名称", LabelEn: "Company name", MaxLength: 20},
					{Name: "registeredCapital", Type: credential.FieldNumber, LabelZh: "注册资本", LabelEn: "Registered capital"},
					{Name: "establishedOn", Type: credential.FieldDate, Required: true, LabelZh: "成立日期", LabelEn: "Established on"},
					{Name: "address", Type: credential.FieldString, Required: true, LabelZh: "住所", LabelEn: "Address"},
				}},
			{ID: "diploma", Code: diplomaCode, NameZh: "毕业证书", NameEn: "Diploma",
				Issuers: []string{"edu"},
				Fields: []credential.FieldSpec{
					{Name: "school", Type: credential.FieldString, Required: true, LabelZh: "学校", LabelEn: "School"},
				}},
		},
	}
}

func mustDept(t testing.TB, reg credential.Registry, id string) credential.Department {
	t.Helper()
	d, ok := reg.Department(id)
	if !ok {
		t.Fatalf("no department %s", id)
	}
	return d
}

func mustType(t testing.TB, reg credential.Registry, id string) credential.CredentialType {
	t.Helper()
	ct, ok := reg.Type(id)
	if !ok {
		t.Fatalf("no type %s", id)
	}
	return ct
}

// licenceParams is a valid business licence request with Chinese text.
func licenceParams(t testing.TB, reg credential.Registry) credential.IssueParams {
	return credential.IssueParams{
		Type:   mustType(t, reg, "business-licence"),
		Issuer: mustDept(t, reg, "samr"),
		Holder: credential.Holder{Name: "张三", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"},
		Fields: map[string]string{
			"companyName":       "北京示例科技有限公司",
			"registeredCapital": "100.50",
			"establishedOn":     "2020-05-04",
			"address":           "北京市海淀区中关村大街１号　Ａ座",
		},
		IssuedAt: issuedAt,
	}
}

// issueLicence issues and signs a licence with samr's active key.
func issueLicence(t testing.TB, reg credential.Registry) *credential.Document {
	t.Helper()
	d, err := credential.Issue(licenceParams(t, reg), "samr-2025", samrKey)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return d
}

// recordOf is the ledger record a backend would write for d.
func recordOf(d *credential.Document) *credential.Record {
	return &credential.Record{
		ID: d.ID, Type: d.Type, Issuer: d.Issuer, Digest: d.Proof.Digest, KeyID: d.Proof.KeyID,
		HolderRef: "ref", Status: credential.StatusValid, IssuedAt: d.IssuedAt,
		ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil, Version: d.Version, Renews: d.Renews,
		IssueTxID: "tx-1",
	}
}

func wantCode(t *testing.T, err error, code credential.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := credential.ErrorCode(err); got != code {
		t.Fatalf("got error %v (code %s), want code %s", err, got, code)
	}
}
