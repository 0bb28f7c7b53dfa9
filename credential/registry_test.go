package credential_test

import (
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

func TestRegistryValidate(t *testing.T) {
	reg := testRegistry()
	for _, d := range reg.Departments {
		if err := d.Validate(); err != nil {
			t.Errorf("department %s: %v", d.ID, err)
		}
	}
	for _, ct := range reg.Types {
		if err := ct.Validate(); err != nil {
			t.Errorf("type %s: %v", ct.ID, err)
		}
	}
	deptCases := map[string]func(d *credential.Department){
		"id upper case":              func(d *credential.Department) { d.ID = "SAMR" },
		"bad MSP":                    func(d *credential.Department) { d.MSPID = "1 MSP" },
		"bad USCC":                   func(d *credential.Department) { d.USCC = "11100000MB02000125" },
		"no English name":            func(d *credential.Department) { d.NameEn = "" },
		"name with a trailing space": func(d *credential.Department) { d.NameZh = "市场监督管理局 " },
		"name too long":              func(d *credential.Department) { d.NameZh = strings.Repeat("局", credential.MaxNameLength+1) },
		"no roles":                   func(d *credential.Department) { d.Roles = nil },
		"unknown role":               func(d *credential.Department) { d.Roles = []credential.Role{"auditor"} },
		"duplicate key":              func(d *credential.Department) { d.Keys = append(d.Keys, d.Keys[0]) },
		"key not base64":             func(d *credential.Department) { d.Keys[0].PublicKey = "钥匙" },
		"key too short":              func(d *credential.Department) { d.Keys[0].PublicKey = "AAAA" },
		"compromised without time":   func(d *credential.Department) { d.Keys[0].Status = credential.KeyCompromised },
		"unknown key status":         func(d *credential.Department) { d.Keys[0].Status = "lost" },
		"key period reversed":        func(d *credential.Department) { d.Keys[0].ValidUntil = d.Keys[0].ValidFrom },
	}
	for name, change := range deptCases {
		t.Run("department "+name, func(t *testing.T) {
			d := mustDept(t, testRegistry(), "samr")
			change(&d)
			wantCode(t, d.Validate(), credential.CodeInvalid)
		})
	}
	typeCases := map[string]func(ct *credential.CredentialType){
		"bad code":            func(ct *credential.CredentialType) { ct.Code = samrUSCC },
		"no fields":           func(ct *credential.CredentialType) { ct.Fields = nil },
		"field name with dot": func(ct *credential.CredentialType) { ct.Fields[0].Name = "holder.name" },
		"duplicate field":     func(ct *credential.CredentialType) { ct.Fields[1].Name = ct.Fields[0].Name },
		"unknown field type":  func(ct *credential.CredentialType) { ct.Fields[0].Type = "blob" },
		"no Chinese label":    func(ct *credential.CredentialType) { ct.Fields[0].LabelZh = "" },
		"negative validity":   func(ct *credential.CredentialType) { ct.DefaultValidityDays = -1 },
		"name too long":       func(ct *credential.CredentialType) { ct.NameEn = strings.Repeat("x", credential.MaxNameLength+1) },
	}
	for name, change := range typeCases {
		t.Run("type "+name, func(t *testing.T) {
			ct := mustType(t, testRegistry(), "business-licence")
			change(&ct)
			wantCode(t, ct.Validate(), credential.CodeInvalid)
		})
	}
}

func TestKeys(t *testing.T) {
	samr := mustDept(t, testRegistry(), "samr")
	if k, ok := samr.ActiveKey(now); !ok || k.ID != "samr-2025" {
		t.Fatalf("ActiveKey(now) = %s, %v; want samr-2025", k.ID, ok)
	}
	if _, ok := samr.ActiveKey(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)); ok {
		t.Fatal("a retired key is offered for signing")
	}
	old, _ := samr.Key("samr-2024")
	tests := []struct {
		name string
		key  credential.Key
		at   time.Time
		ok   bool
	}{
		{"retired key inside its period", old, old.ValidFrom, true},
		{"retired key at its end", old, old.ValidUntil, false},
		{"retired key before its start", old, old.ValidFrom.Add(-time.Nanosecond), false},
		{"compromised key before the compromise", credential.Key{ID: "k", ValidFrom: old.ValidFrom, Status: credential.KeyCompromised, CompromisedAt: now}, now.Add(-time.Second), true},
		{"compromised key at the compromise", credential.Key{ID: "k", ValidFrom: old.ValidFrom, Status: credential.KeyCompromised, CompromisedAt: now}, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.key.AcceptsSignatureAt(tt.at)
			if (err == nil) != tt.ok {
				t.Fatalf("AcceptsSignatureAt = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
