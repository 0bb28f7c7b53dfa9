package credential_test

import (
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

func TestValidServiceCode(t *testing.T) {
	for code, want := range map[string]bool{
		"A": true, "7": true, "BDCDJ-2026-001": true, "11350100003598069Y4000117002000": true, strings.Repeat("A", 64): true,
		"": false, strings.Repeat("A", 65): false, "bdcdj": false, "-A": false, "A-": false, "A_1": false, "A 1": false, "事项": false,
	} {
		if got := credential.ValidServiceCode(code); got != want {
			t.Errorf("ValidServiceCode(%q) = %v, want %v", code, got, want)
		}
	}
}

// A type named by its code is stored by its ID, and naming it again by
// its ID is a repeat; every problem is reported, not only the first.
func TestCheckServiceNamesTypesByID(t *testing.T) {
	reg := credential.Registry{Departments: demo.Departments(), Types: demo.Types()}
	lic := demo.Types()[0]
	s := credential.Service{Code: "X-1", NameZh: "事项", NameEn: "Item", Requesters: []string{"samr"},
		Credentials: []credential.ServiceCredential{{Type: lic.Code, Fields: []string{"companyName"}}}}
	stored, probs := credential.CheckService(s, reg)
	if len(probs) != 0 || stored.Credentials[0].Type != lic.ID {
		t.Fatalf("stored %+v, problems %v", stored, probs)
	}
	s.Credentials = append(s.Credentials, credential.ServiceCredential{Type: lic.ID, Fields: []string{"address"}})
	s.Requesters = []string{"nosuch"}
	_, probs = credential.CheckService(s, reg)
	var ptrs []string
	for _, p := range probs {
		ptrs = append(ptrs, p.Pointer+" "+string(p.Reason))
	}
	if got := strings.Join(ptrs, ", "); got != "/requesters/0 department_not_found, /credentials/1/type invalid_service" {
		t.Fatalf("problems %s", got)
	}
	if fields, ok := stored.Needs(lic.ID); !ok || len(fields) != 1 {
		t.Fatalf("Needs(%s) = %v, %v", lic.ID, fields, ok)
	}
}
