package credential_test

import (
	"fmt"
	"time"

	"github.com/certledger/certledger/credential"
)

// A holder's list shows each credential's status from its public record and
// the registry, without reading the document: the same status Verify derives,
// except that the content is not checked.
func ExampleRecordStatus() {
	reg := credential.Registry{
		Departments: []credential.Department{{ID: "samr", Keys: []credential.Key{{ID: "samr-1",
			ValidFrom: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Status: credential.KeyActive}}}},
		Types: []credential.CredentialType{{ID: "business-licence", Code: "11100000MB02000124001", Issuers: []string{"samr"}}},
	}
	issued := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rec := credential.Record{Type: "11100000MB02000124001", Issuer: "samr", KeyID: "samr-1", Status: credential.StatusValid,
		IssuedAt: issued, ValidFrom: issued, ValidUntil: issued.AddDate(1, 0, 0)}

	fmt.Println(credential.RecordStatus(rec, reg, issued.AddDate(0, 6, 0)))
	fmt.Println(credential.RecordStatus(rec, reg, issued.AddDate(2, 0, 0)))
	// The key is reported compromised from before the issuance: whatever it
	// signed from then on is forged.
	reg.Departments[0].Keys[0].Status = credential.KeyCompromised
	reg.Departments[0].Keys[0].CompromisedAt = issued.Add(-time.Hour)
	fmt.Println(credential.RecordStatus(rec, reg, issued.AddDate(0, 6, 0)))
	// Output:
	// valid
	// expired
	// forged
}
