package credential_test

import (
	"errors"
	"testing"

	"github.com/certledger/certledger/credential"
)

// A type that names holder ID types is issued only to those; one that
// names none, as entries registered before them, to any.
func TestIssueChecksTheHolderIDType(t *testing.T) {
	reg := testRegistry()
	cases := []struct {
		name   string
		accept []string
		holder credential.Holder
		want   credential.Reason // "" for issued
	}{
		{"a company for a company's type", []string{credential.IDUSCC},
			credential.Holder{Name: "北京示例科技有限公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"}, ""},
		{"a resident for a company's type", []string{credential.IDUSCC},
			credential.Holder{Name: "张三", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"}, credential.ReasonHolderIDTypeNotAccepted},
		{"a passport among several", []string{credential.IDResidentCard, credential.IDPassport},
			credential.Holder{Name: "John Smith", IDType: credential.IDPassport, IDNumber: "E12345678"}, ""},
		{"a type naming none", nil,
			credential.Holder{Name: "张三", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := licenceParams(t, reg)
			p.Type.HolderIDTypes, p.Holder = c.accept, c.holder
			_, err := credential.NewDocument(p)
			if credential.ErrorReason(err) != c.want {
				t.Fatalf("NewDocument: %v, want reason %q", err, c.want)
			}
			if c.want != "" {
				var e *credential.Error
				if !errors.As(err, &e) || e.Pointer != "/holder/idType" {
					t.Fatalf("the refusal does not point at holder.idType: %+v", err)
				}
			}
		})
	}
}

func TestRegistryValidatesHolderIDTypes(t *testing.T) {
	for _, c := range []struct {
		ids []string
		ok  bool
	}{
		{nil, true},
		{[]string{credential.IDUSCC}, true},
		{credential.IDTypes(), true},
		{[]string{"library_card"}, false},
		{[]string{credential.IDPassport, credential.IDPassport}, false},
		{[]string{""}, false},
	} {
		ty := mustType(t, testRegistry(), "business-licence")
		ty.HolderIDTypes = c.ids
		err := ty.Validate()
		if (err == nil) != c.ok || err != nil && credential.ErrorReason(err) != credential.ReasonInvalidRegistryEntry {
			t.Errorf("holder ID types %q: %v", c.ids, err)
		}
	}
}
