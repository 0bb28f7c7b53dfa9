package embedded_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/ledger/embedded"
)

// Open a ledger in a data folder, register the demo catalogue, issue a
// business licence as the market regulator and verify it online.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "certledger-example")
	defer os.RemoveAll(dir)

	// The operator's key-encryption key seals the private documents; a
	// gateway reads it with atrest.LoadFile or atrest.Parse.
	kek := atrest.Generate()
	ledger, err := embedded.Open(dir, kek)
	if err != nil {
		log.Fatal(err) // a *embedded.ChainError if the folder was tampered with
	}
	defer ledger.Close()
	ctx := context.Background()
	now := time.Now().UTC()

	// The governance department registers itself first (bootstrap), then
	// the other departments and the credential types.
	depts := demo.Departments()
	govMSP := depts[0].MSPID
	keys := map[string]ed25519.PrivateKey{}
	for _, d := range depts {
		pub, priv, _ := ed25519.GenerateKey(nil)
		keys[d.ID] = priv
		d.Keys = []credential.Key{{ID: d.ID + "-1", PublicKey: base64.StdEncoding.EncodeToString(pub),
			ValidFrom: now.Add(-time.Hour), Status: credential.KeyActive}}
		if err := ledger.PutDepartment(ctx, govMSP, d); err != nil {
			log.Fatal(err)
		}
	}
	for _, t := range demo.Types() {
		if err := ledger.PutCredentialType(ctx, govMSP, t); err != nil {
			log.Fatal(err)
		}
	}

	reg, _ := ledger.Registry(ctx)
	samr, _ := reg.Department(demo.Market)
	licence, _ := reg.Type("business-licence")
	doc, err := credential.Issue(credential.IssueParams{
		Type: licence, Issuer: samr, IssuedAt: now,
		Holder: credential.Holder{Name: "北京示例科技有限公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"companyName": "北京示例科技有限公司", "entityType": "有限责任公司",
			"legalRepresentative": "李四", "establishedOn": "2021-03-15", "address": "北京市海淀区"},
	}, samr.Keys[0].ID, keys[demo.Market])
	if err != nil {
		log.Fatal(err)
	}
	holderKey := []byte("a 32-byte secret held by gateways")
	res, err := ledger.Issue(ctx, samr.MSPID, credential.IssueRequest{
		Document:  *doc,
		HolderRef: credential.HolderRef(holderKey, samr.ID, credential.IDUSCC, "91110000802100433B"),
		// A gateway draws this at random in the department's current
		// status list; the contract refuses a number already taken.
		StatusSequence: 131072 + 5,
	})
	if err != nil {
		log.Fatal(err)
	}

	rec, _ := ledger.Record(ctx, doc.ID)
	v := credential.Verify(credential.VerifyInput{Document: doc, Registry: reg, Record: &rec, Online: true, Now: now})
	fmt.Println("block:", res.Record.BlockNumber)
	fmt.Println("status:", v.Status, "valid:", v.Valid)

	// Status list 1 of the department (sequences 131072 onwards) holds the
	// credential, read from the contract's status index.
	entries, _ := ledger.StatusEntries(ctx, demo.Market, 1)
	fmt.Println("status list 1:", len(entries), "entry, sequence", entries[0].Sequence, entries[0].Status)
	// Output:
	// block: 8
	// status: valid valid: true
	// status list 1: 1 entry, sequence 131077 valid
}
