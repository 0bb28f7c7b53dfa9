package vc_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/credential/vc"
)

const base = "https://certs.example.gov.cn"

var (
	now      = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	issuedAt = now.Add(-24 * time.Hour)
	keyFrom  = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

func seedKey(b byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = b
	}
	return ed25519.NewKeyFromSeed(seed)
}

// fixture is the demo catalogue with one fixed key per department, plus a
// retired second key for samr.
type fixture struct {
	reg  credential.Registry
	keys map[string]vc.Signer
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	f := fixture{reg: credential.Registry{Types: demo.Types()}, keys: map[string]vc.Signer{}}
	for i, d := range demo.Departments() {
		k := seedKey(byte(50 + i))
		kid := d.ID + "-2025"
		d.Keys = []credential.Key{{ID: kid, PublicKey: base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey)), ValidFrom: keyFrom, Status: credential.KeyActive}}
		if d.ID == demo.Market {
			old := seedKey(90)
			d.Keys = append(d.Keys, credential.Key{ID: "samr-2024", PublicKey: base64.StdEncoding.EncodeToString(old.Public().(ed25519.PublicKey)),
				ValidFrom: keyFrom.AddDate(-1, 0, 0), ValidUntil: keyFrom, Status: credential.KeyRetired})
		}
		f.reg.Departments = append(f.reg.Departments, d)
		f.keys[d.ID] = vc.Signer{KeyID: kid, Key: k}
	}
	f.reg.Sort()
	return f
}

func (f fixture) licence(t testing.TB) *credential.Document {
	t.Helper()
	ty, _ := f.reg.Type("business-licence")
	dept, _ := f.reg.Department(demo.Market)
	s := f.keys[demo.Market]
	d, err := credential.Issue(credential.IssueParams{Type: ty, Issuer: dept,
		Holder: credential.Holder{Name: "北京示例科技有限公司", IDType: credential.IDUSCC, IDNumber: "91110108MA01ABCD1E"},
		Fields: map[string]string{
			"companyName": "北京示例科技有限公司", "entityType": "有限责任公司", "legalRepresentative": "张三",
			"registeredCapital": "500", "establishedOn": "2019-03-15", "address": "北京市海淀区中关村大街1号",
		},
		IssuedAt: issuedAt}, s.KeyID, s.Key)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f fixture) params(seq uint64) vc.ExportParams {
	return vc.ExportParams{BaseURL: base, Registry: f.reg, StatusSequence: seq, Created: now}
}
