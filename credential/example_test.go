package credential_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/certledger/certledger/credential"
)

// A department issues and signs a diploma; a verifier checks it against the
// registry and the ledger record.
func ExampleIssue() {
	// The department's signing key; the registry holds its public half.
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	edu := credential.Department{
		ID: "edu", MSPID: "EduMSP", USCC: "11100000MB0300013R", NameZh: "教育局", NameEn: "Education Bureau",
		Roles: []credential.Role{credential.RoleIssuer},
		Keys: []credential.Key{{ID: "edu-2026", Status: credential.KeyActive,
			PublicKey: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
			ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	diploma := credential.CredentialType{
		ID: "diploma", Code: "11100000MB0300013R001", NameZh: "毕业证书", NameEn: "Diploma", Issuers: []string{"edu"},
		Fields: []credential.FieldSpec{
			{Name: "school", Type: credential.FieldString, Required: true, LabelZh: "学校", LabelEn: "School"},
			{Name: "graduatedOn", Type: credential.FieldDate, Required: true, LabelZh: "毕业日期", LabelEn: "Graduated on"},
		},
	}
	reg := credential.Registry{Departments: []credential.Department{edu}, Types: []credential.CredentialType{diploma}}

	issued := time.Date(2026, 7, 1, 2, 0, 0, 0, time.UTC)
	doc, err := credential.Issue(credential.IssueParams{
		Type: diploma, Issuer: edu, IssuedAt: issued, Serial: "DEMO0001",
		Holder: credential.Holder{Name: "李雷", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"},
		Fields: map[string]string{"school": "北京大学", "graduatedOn": "2026-06-30"},
	}, "edu-2026", key)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(doc.ID)

	// The ledger's public record of the issuance, as a backend returns it.
	record := &credential.Record{ID: doc.ID, Type: doc.Type, Issuer: doc.Issuer, Digest: doc.Proof.Digest,
		KeyID: doc.Proof.KeyID, Status: credential.StatusValid, IssuedAt: doc.IssuedAt,
		ValidFrom: doc.ValidFrom, IssueTxID: "tx-42"}
	v := credential.Verify(credential.VerifyInput{Document: doc, Registry: reg, Record: record, Online: true,
		Now: issued.Add(time.Hour)})
	fmt.Println(v.Valid, v.Status)
	for _, c := range v.Checks {
		fmt.Printf("%-9s %v\n", c.Name, c.OK)
	}

	// Changing one field breaks the integrity check.
	doc.Claims[0].Value = "清华大学"
	v = credential.Verify(credential.VerifyInput{Document: doc, Registry: reg, Record: record, Online: true,
		Now: issued.Add(time.Hour)})
	fmt.Println(v.Valid, v.Status)
	// Output:
	// 1.2.156.3005.2.11100000MB0300013R001.11100000MB0300013R.DEMO0001.001.B
	// true valid
	// integrity true
	// signature true
	// issuer    true
	// ledger    true
	// status    true
	// validity  true
	// false forged
}

func ExampleParseIdentifier() {
	id, err := credential.ParseIdentifier("1.2.156.3005.2.11100000MB0300013R001.11100000MB0300013R.DEMO0001.001.B")
	fmt.Println(id.TypeCode, id.Issuer, id.Serial, id.Version, err)

	// One wrong character is caught by the MOD 37,36 check character.
	_, err = credential.ParseIdentifier("1.2.156.3005.2.11100000MB0300013R001.11100000MB0300013R.DEMO0002.001.B")
	fmt.Println(err)
	// Output:
	// 11100000MB0300013R001 11100000MB0300013R DEMO0001 1 <nil>
	// invalid: identifier check character is wrong
}
