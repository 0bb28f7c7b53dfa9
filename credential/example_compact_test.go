package credential_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

func ExampleEncodeCompact() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	reg := credential.Registry{Types: demo.Types()}
	for _, d := range demo.Departments() {
		d.Keys = []credential.Key{{ID: d.ID + "-1", PublicKey: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
			ValidFrom: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Status: credential.KeyActive}}
		reg.Departments = append(reg.Departments, d)
	}
	ty, _ := reg.Type("professional-qualification")
	hrss, _ := reg.Department(demo.HumanRes)
	issued := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	doc, err := credential.Issue(credential.IssueParams{Type: ty, Issuer: hrss, IssuedAt: issued,
		Holder: credential.Holder{Name: "王五", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"},
		Fields: map[string]string{"occupation": "电工", "grade": "三级/高级工", "certificateNumber": "S0001"},
	}, "hrss-1", key)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The holder shows name, occupation and grade; the rest stays hidden.
	pres, _ := doc.Present([]string{credential.ClaimHolderName, "occupation", "grade"})
	text, err := credential.EncodeCompact(pres)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(text, credential.CompactPrefix), len(text) <= credential.MaxCompactLength)

	// Offline, the verifier decodes the QR text and checks it against its
	// registry (or cached trust list).
	got, err := credential.DecodeCompact(text)
	if err != nil {
		fmt.Println(err)
		return
	}
	v := credential.Verify(credential.VerifyInput{Document: got, Registry: reg, Now: issued.AddDate(0, 1, 0)})
	for _, c := range v.Checks[:3] {
		fmt.Println(c.Name, c.OK)
	}
	fmt.Println(v.Status)
	fmt.Println(got.Claims[0].Name, got.Claims[0].Value, len(got.Hidden), "hidden")
	// Output:
	// true true
	// integrity true
	// signature true
	// issuer true
	// unknown
	// grade 三级/高级工 3 hidden
}
