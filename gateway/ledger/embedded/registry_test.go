package embedded

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

func openEmpty(t *testing.T) *Ledger {
	t.Helper()
	l, err := Open(t.TempDir(), testKEK, WithClock(func() time.Time { return start }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func demoDept(id string) credential.Department {
	for _, d := range demo.Departments() {
		if d.ID == id {
			pub, _, _ := ed25519.GenerateKey(nil)
			d.Keys = []credential.Key{{ID: d.ID + "-k1", PublicKey: base64.StdEncoding.EncodeToString(pub),
				ValidFrom: start.Add(-time.Hour), Status: credential.KeyActive}}
			return d
		}
	}
	panic("no demo department " + id)
}

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	gov, samr := demoDept(demo.Governance), demoDept(demo.Market)
	tests := []struct {
		name   string
		caller string
		dept   credential.Department
		want   credential.Code
	}{
		{"issuer department cannot bootstrap", samr.MSPID, samr, credential.CodeForbidden},
		{"governance department of another MSP", "OtherMSP", gov, credential.CodeForbidden},
		{"invalid department", gov.MSPID, credential.Department{ID: "X"}, credential.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openEmpty(t)
			wantCode(t, l.PutDepartment(ctx, tt.caller, tt.dept), tt.want)
			reg, err := l.Registry(ctx)
			if err != nil || len(reg.Departments) != 0 {
				t.Fatalf("registry %+v, %v: want empty", reg, err)
			}
		})
	}
	t.Run("governance registers itself, then nobody else can bootstrap", func(t *testing.T) {
		l := openEmpty(t)
		if err := l.PutDepartment(ctx, gov.MSPID, gov); err != nil {
			t.Fatal(err)
		}
		other := gov
		other.ID, other.MSPID = "gov2", "Gov2MSP"
		wantCode(t, l.PutDepartment(ctx, other.MSPID, other), credential.CodeForbidden)
		reg, err := l.Registry(ctx)
		if err != nil || len(reg.Departments) != 1 || reg.Departments[0].ID != gov.ID {
			t.Fatalf("registry %+v, %v", reg, err)
		}
	})
}

func TestRegistryChanges(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	govMSP, samrMSP := f.msp(demo.Governance), f.msp(demo.Market)
	samr := f.depts[demo.Market]
	licence := f.types["business-licence"]

	withKeys := func(d credential.Department, keys ...credential.Key) credential.Department {
		d.Keys = keys
		return d
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	newKey := credential.Key{ID: "samr-2027", PublicKey: base64.StdEncoding.EncodeToString(pub), ValidFrom: start, Status: credential.KeyActive}
	compromised := samr.Keys[0]
	compromised.Status, compromised.CompromisedAt = credential.KeyCompromised, start

	tests := []struct {
		name   string
		caller string
		put    func(msp string) error
		want   credential.Code // "" for success
	}{
		{"issuer cannot change a department", samrMSP, func(m string) error { return f.ledger.PutDepartment(ctx, m, samr) }, credential.CodeForbidden},
		{"issuer cannot change a type", samrMSP, func(m string) error { return f.ledger.PutCredentialType(ctx, m, licence) }, credential.CodeForbidden},
		{"unknown MSP cannot change the registry", "NobodyMSP", func(m string) error { return f.ledger.PutCredentialType(ctx, m, licence) }, credential.CodeForbidden},
		{"governance adds a key", govMSP, func(m string) error {
			return f.ledger.PutDepartment(ctx, m, withKeys(samr, samr.Keys[0], newKey))
		}, ""},
		{"a key cannot be removed", govMSP, func(m string) error { return f.ledger.PutDepartment(ctx, m, withKeys(samr, newKey)) }, credential.CodeConflict},
		{"a key cannot be replaced", govMSP, func(m string) error {
			k := samr.Keys[0]
			k.PublicKey = newKey.PublicKey
			return f.ledger.PutDepartment(ctx, m, withKeys(samr, k, newKey))
		}, credential.CodeConflict},
		{"governance marks a key compromised", govMSP, func(m string) error {
			return f.ledger.PutDepartment(ctx, m, withKeys(samr, compromised, newKey))
		}, ""},
		{"a compromise cannot be undone", govMSP, func(m string) error {
			return f.ledger.PutDepartment(ctx, m, withKeys(samr, samr.Keys[0], newKey))
		}, credential.CodeConflict},
		{"the USCC cannot change", govMSP, func(m string) error {
			d := withKeys(samr, compromised, newKey)
			d.USCC = f.depts[demo.Education].USCC
			return f.ledger.PutDepartment(ctx, m, d)
		}, credential.CodeConflict},
		{"an MSP belongs to one department", govMSP, func(m string) error {
			d := demoDept(demo.Education)
			d.ID, d.USCC = "edu2", "91110000802100433B"
			d.MSPID = samrMSP
			return f.ledger.PutDepartment(ctx, m, d)
		}, credential.CodeConflict},
		{"governance keeps its role", govMSP, func(m string) error {
			d := f.depts[demo.Governance]
			d.Roles = []credential.Role{credential.RoleIssuer}
			return f.ledger.PutDepartment(ctx, m, d)
		}, credential.CodeConflict},
		{"type issuers must be registered", govMSP, func(m string) error {
			ty := licence
			ty.Issuers = []string{"nobody"}
			return f.ledger.PutCredentialType(ctx, m, ty)
		}, credential.CodeInvalid},
		{"type issuers must have the issuer role", govMSP, func(m string) error {
			ty := licence
			ty.Issuers = []string{demo.Governance}
			return f.ledger.PutCredentialType(ctx, m, ty)
		}, credential.CodeInvalid},
		{"a type code cannot change", govMSP, func(m string) error {
			ty := licence
			ty.Code = f.types["diploma"].Code
			return f.ledger.PutCredentialType(ctx, m, ty)
		}, credential.CodeConflict},
		{"a type code belongs to one type", govMSP, func(m string) error {
			ty := licence
			ty.ID = "licence-copy"
			return f.ledger.PutCredentialType(ctx, m, ty)
		}, credential.CodeConflict},
		{"invalid type", govMSP, func(m string) error {
			ty := licence
			ty.Fields = nil
			return f.ledger.PutCredentialType(ctx, m, ty)
		}, credential.CodeInvalid},
		{"governance authorizes another issuer", govMSP, func(m string) error {
			ty := licence
			ty.Issuers = []string{demo.Market, demo.Education}
			return f.ledger.PutCredentialType(ctx, m, ty)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.put(tt.caller)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tt.want)
		})
	}

	reg, err := f.ledger.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Departments) != 4 || len(reg.Types) != 3 {
		t.Fatalf("registry has %d departments and %d types, want 4 and 3", len(reg.Departments), len(reg.Types))
	}
	for i := 1; i < len(reg.Departments); i++ {
		if reg.Departments[i-1].ID >= reg.Departments[i].ID {
			t.Fatalf("departments not sorted: %s before %s", reg.Departments[i-1].ID, reg.Departments[i].ID)
		}
	}
	got, _ := reg.Department(demo.Market)
	if k, ok := got.Key(samr.Keys[0].ID); !ok || k.Status != credential.KeyCompromised || len(got.Keys) != 2 {
		t.Fatalf("samr keys after the changes: %+v", got.Keys)
	}
	ty, _ := reg.Type("business-licence")
	if !ty.AuthorizesIssuer(demo.Education) {
		t.Fatalf("business licence issuers %v, want edu added", ty.Issuers)
	}
}

// A department's MSP ID is named in the endorsement policies of the keys it
// wrote, so changing it would strand its credentials: refused.
func TestDepartmentMSPCannotChange(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, id := range []string{demo.Education, demo.Governance} {
		d := f.depts[id]
		d.MSPID = "Other" + d.MSPID
		wantCode(t, f.ledger.PutDepartment(ctx, f.msp(demo.Governance), d), credential.CodeConflict)
	}
	reg, _ := f.ledger.Registry(ctx)
	if d, _ := reg.Department(demo.Education); d.MSPID != "EduMSP" {
		t.Fatalf("edu MSP is %s", d.MSPID)
	}
}
