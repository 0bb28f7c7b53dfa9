package credential_test

import (
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

func TestRecordStatus(t *testing.T) {
	base := credential.Record{ID: "x", Type: licenceCode, Issuer: "samr", KeyID: "samr-2025", Status: credential.StatusValid,
		IssuedAt: issuedAt, ValidFrom: issuedAt, ValidUntil: now.Add(time.Hour)}
	compromised := func(at time.Time) credential.Registry {
		reg := testRegistry()
		for i := range reg.Departments {
			for j := range reg.Departments[i].Keys {
				if k := &reg.Departments[i].Keys[j]; k.ID == "samr-2025" {
					k.Status, k.CompromisedAt = credential.KeyCompromised, at
				}
			}
		}
		return reg
	}
	tests := []struct {
		name string
		edit func(*credential.Record)
		reg  credential.Registry
		at   time.Time
		want credential.Status
	}{
		{"valid", nil, testRegistry(), now, credential.StatusValid},
		{"expired", nil, testRegistry(), now.Add(time.Hour), credential.StatusExpired},
		{"not yet valid", func(r *credential.Record) { r.ValidFrom = now.Add(time.Minute) }, testRegistry(), now, credential.StatusNotYetValid},
		{"suspended", func(r *credential.Record) { r.Status = credential.StatusSuspended }, testRegistry(), now, credential.StatusSuspended},
		{"revoked and expired", func(r *credential.Record) { r.Status = credential.StatusRevoked }, testRegistry(), now.Add(time.Hour), credential.StatusRevoked},
		{"issuer left the registry", func(r *credential.Record) { r.Issuer = "gone" }, testRegistry(), now, credential.StatusForged},
		{"type not the issuer's", func(r *credential.Record) { r.Type = diplomaCode }, testRegistry(), now, credential.StatusForged},
		{"unknown type", func(r *credential.Record) { r.Type = "11100000MB02000124999" }, testRegistry(), now, credential.StatusForged},
		{"unknown key", func(r *credential.Record) { r.KeyID = "samr-1999" }, testRegistry(), now, credential.StatusForged},
		{"key retired before issuance", func(r *credential.Record) { r.KeyID = "samr-2024" }, testRegistry(), now, credential.StatusForged},
		{"key compromised before issuance", nil, compromised(issuedAt.Add(-time.Hour)), now, credential.StatusForged},
		{"key compromised after issuance", nil, compromised(issuedAt.Add(time.Hour)), now, credential.StatusValid},
		{"record without key", func(r *credential.Record) { r.KeyID = "" }, testRegistry(), now, credential.StatusValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := base
			if tt.edit != nil {
				tt.edit(&rec)
			}
			if got := credential.RecordStatus(rec, tt.reg, tt.at); got != tt.want {
				t.Fatalf("RecordStatus = %s, want %s", got, tt.want)
			}
		})
	}
}
