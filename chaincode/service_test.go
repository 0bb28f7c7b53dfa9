package chaincode

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// licenceCode and diplomaCode are demo type codes, so the tests name types
// both ways the registry does.
var (
	licenceCode = demo.Types()[0].Code
	diplomaCode = demo.Types()[1].Code
)

func sampleService() credential.Service {
	return credential.Service{Code: "BDC-001", NameZh: "不动产登记", NameEn: "Real estate registration",
		Requesters: []string{demo.HumanRes, demo.Market},
		Credentials: []credential.ServiceCredential{
			{Type: "diploma", Fields: []string{"school", credential.ClaimHolderName}},
			{Type: licenceCode, Fields: []string{"companyName", "address", credential.ClaimHolderIDNumber}},
		}}
}

func putService(a *apiKeyLedger, msp string, s credential.Service) (credential.Service, error) {
	var out credential.Service
	err := a.run(msp, func(tx Tx) (err error) { out, err = PutService(tx, s); return err })
	return out, err
}

// The stored item names types by ID, sorts every list, carries the time
// and the governance department, and is endorsed by governance alone; an
// update replaces it, and the key's history keeps both versions.
func TestPutService(t *testing.T) {
	a := newAPIKeyLedger(t)
	got, err := putService(a, "GovMSP", sampleService())
	if err != nil {
		t.Fatal(err)
	}
	want := credential.Service{Code: "BDC-001", NameZh: "不动产登记", NameEn: "Real estate registration",
		Requesters: []string{demo.HumanRes, demo.Market},
		Credentials: []credential.ServiceCredential{
			{Type: "business-licence", Fields: []string{"address", "companyName", credential.ClaimHolderIDNumber}},
			{Type: "diploma", Fields: []string{"holder.name", "school"}},
		}, UpdatedAt: t0, UpdatedBy: demo.Governance}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored %+v\nwant   %+v", got, want)
	}
	for _, w := range []string{"put service/BDC-001=", "policy service/BDC-001=GovMSP"} {
		if !strings.Contains(a.last, w) {
			t.Errorf("trace lacks %q:\n%s", w, a.last)
		}
	}

	a.now = t0.Add(time.Hour)
	upd := sampleService()
	upd.NameEn = "Registration of real estate"
	upd.Credentials = upd.Credentials[1:]
	if _, err := putService(a, "GovMSP", upd); err != nil {
		t.Fatal(err)
	}
	list, err := GetServices(a.l.tx("", a.now, "", nil))
	if err != nil || len(list) != 1 || list[0].NameEn != upd.NameEn || len(list[0].Credentials) != 1 || !list[0].UpdatedAt.Equal(a.now) {
		t.Fatalf("after update: %+v, %v", list, err)
	}
	hist := a.l.history[serviceKey("BDC-001")]
	if len(hist) != 2 {
		t.Fatalf("history of the item has %d versions, want 2", len(hist))
	}
	var first credential.Service
	if err := json.Unmarshal(hist[1].Value, &first); err != nil || first.NameEn != "Real estate registration" {
		t.Fatalf("oldest version %s: %v", hist[1].Value, err)
	}
}

func TestPutServiceOnlyGovernance(t *testing.T) {
	a := newAPIKeyLedger(t)
	for msp, reason := range map[string]credential.Reason{
		"SamrMSP":  credential.ReasonNotGovernance,
		"OtherMSP": credential.ReasonUnknownDepartment,
	} {
		if _, err := putService(a, msp, sampleService()); credential.ErrorReason(err) != reason {
			t.Errorf("%s: %v, want %s", msp, err, reason)
		}
	}
	if list, _ := GetServices(a.l.tx("", a.now, "", nil)); len(list) != 0 {
		t.Fatalf("refused writes left %+v", list)
	}
}

// Every check of the item is made again in the contract, whatever the
// gateway did; the error points at the member.
func TestPutServiceRefusesInvalid(t *testing.T) {
	a := newAPIKeyLedger(t)
	cases := []struct {
		name    string
		edit    func(*credential.Service)
		pointer string
	}{
		{"lower-case code", func(s *credential.Service) { s.Code = "bdc-001" }, "/code"},
		{"code ending in a hyphen", func(s *credential.Service) { s.Code = "BDC-" }, "/code"},
		{"code too long", func(s *credential.Service) { s.Code = strings.Repeat("A", 65) }, "/code"},
		{"empty name", func(s *credential.Service) { s.NameZh = "" }, "/nameZh"},
		{"name with spaces", func(s *credential.Service) { s.NameEn = " x" }, "/nameEn"},
		{"no requesters", func(s *credential.Service) { s.Requesters = nil }, "/requesters"},
		{"unknown requester", func(s *credential.Service) { s.Requesters = []string{demo.Market, "police"} }, "/requesters/1"},
		{"requester twice", func(s *credential.Service) { s.Requesters = []string{demo.Market, demo.Market} }, "/requesters/1"},
		{"no credentials", func(s *credential.Service) { s.Credentials = nil }, "/credentials"},
		{"unknown type", func(s *credential.Service) { s.Credentials[1].Type = "passport" }, "/credentials/1/type"},
		{"type twice, by ID and code", func(s *credential.Service) { s.Credentials[1].Type = diplomaCode }, "/credentials/1/type"},
		{"no fields", func(s *credential.Service) { s.Credentials[0].Fields = nil }, "/credentials/0/fields"},
		{"field of another type", func(s *credential.Service) { s.Credentials[0].Fields = []string{"companyName"} }, "/credentials/0/fields/0"},
		{"unknown holder claim", func(s *credential.Service) { s.Credentials[0].Fields = []string{"school", "holder.birthday"} }, "/credentials/0/fields/1"},
		{"field twice", func(s *credential.Service) { s.Credentials[0].Fields = []string{"school", "school"} }, "/credentials/0/fields/1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sampleService()
			c.edit(&s)
			_, err := putService(a, "GovMSP", s)
			var e *credential.Error
			if !errors.As(err, &e) || e.Reason != credential.ReasonInvalidService || e.Pointer != c.pointer {
				t.Fatalf("got %v (%+v), want invalid_service at %s", err, e, c.pointer)
			}
		})
	}
}

// Endorsers must write the same bytes whatever order the lists came in.
func TestPutServiceIsDeterministic(t *testing.T) {
	l, _ := provisioned(t)
	var traces []string
	for i := range 6 {
		s := sampleService()
		if i%2 == 1 {
			s.Requesters = []string{s.Requesters[1], s.Requesters[0]}
			s.Credentials = []credential.ServiceCredential{s.Credentials[1], s.Credentials[0]}
			s.Credentials[0].Fields = []string{"address", credential.ClaimHolderIDNumber, "companyName"}
			s.Credentials[0].Type = "business-licence"
		}
		tx := l.clone().tx(fmt.Sprintf("%064x", 7), t0, "GovMSP", nil)
		if _, err := PutService(tx, s); err != nil {
			t.Fatal(err)
		}
		traces = append(traces, tx.trace())
	}
	for _, tr := range traces[1:] {
		if tr != traces[0] {
			t.Fatalf("writes differ:\n%s\n--\n%s", traces[0], tr)
		}
	}
}

func TestGetServicesSortedByCode(t *testing.T) {
	a := newAPIKeyLedger(t)
	for _, code := range []string{"ZC-002", "A1", "M-7"} {
		s := sampleService()
		s.Code = code
		if _, err := putService(a, "GovMSP", s); err != nil {
			t.Fatal(err)
		}
	}
	list, err := GetServices(a.l.tx("", a.now, "", nil))
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, s := range list {
		codes = append(codes, s.Code)
	}
	if strings.Join(codes, " ") != "A1 M-7 ZC-002" {
		t.Fatalf("codes %v", codes)
	}
}
