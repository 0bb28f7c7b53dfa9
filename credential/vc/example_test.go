package vc_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/credential/vc"
)

func ExampleExport() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	reg := credential.Registry{Types: demo.Types()}
	for _, d := range demo.Departments() {
		d.Keys = []credential.Key{{ID: d.ID + "-1", PublicKey: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
			ValidFrom: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Status: credential.KeyActive}}
		reg.Departments = append(reg.Departments, d)
	}
	ty, _ := reg.Type("diploma")
	edu, _ := reg.Department(demo.Education)
	issued := time.Date(2026, 6, 30, 8, 0, 0, 0, time.UTC)
	doc, err := credential.Issue(credential.IssueParams{Type: ty, Issuer: edu, IssuedAt: issued, Serial: "DIPLOMA2026000001",
		Holder: credential.Holder{Name: "李四", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"},
		Fields: map[string]string{"school": "北京示例大学", "major": "数学", "level": "本科", "graduatedOn": "2026-06-30", "certificateNumber": "1001"},
	}, "edu-1", key)
	if err != nil {
		fmt.Println(err)
		return
	}
	// A presentation showing only the school exports only the school.
	pres, _ := doc.Present([]string{"school"})
	out, err := vc.Export(pres, vc.ExportParams{BaseURL: "https://certs.example.gov.cn", Registry: reg, StatusSequence: 0,
		Created: issued.Add(time.Hour)}, vc.Signer{KeyID: "edu-1", Key: key})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := vc.VerifyCredential(out, "https://certs.example.gov.cn", reg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Issuer.ID)
	fmt.Println(c.Proof.Cryptosuite, c.Proof.VerificationMethod)
	fmt.Println(c.CredentialSubject["school"], len(c.CredentialSubject))
	fmt.Println(c.CredentialStatus[0].StatusPurpose, c.CredentialStatus[0].StatusListCredential, c.CredentialStatus[0].StatusListIndex)
	// Output:
	// https://certs.example.gov.cn/issuers/edu
	// eddsa-rdfc-2022 https://certs.example.gov.cn/issuers/edu#edu-1
	// 北京示例大学 2
	// revocation https://certs.example.gov.cn/status/edu/revocation/0 23505
}
