package gateway

import (
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	json "github.com/go-json-experiment/json"
)

// fuzzRegistry is the demo registry, keys left out (parsing never reads them).
func fuzzRegistry() credential.Registry {
	return credential.Registry{Departments: demo.Departments(), Types: demo.Types()}
}

// FuzzIssueBody feeds arbitrary bodies through the issuance request
// parsing: it must never panic, and every rejection must be a client error
// (4xx), never an internal one.
func FuzzIssueBody(f *testing.F) {
	f.Add([]byte(`{"type":"business-licence","holder":{"name":"某公司","idType":"uscc","idNumber":"91350100M000100Y43"},` +
		`"fields":{"companyName":"某公司","entityType":"有限公司","legalRepresentative":"张三","registeredCapital":500,` +
		`"establishedOn":"2020-03-15","address":"福州"},"validFrom":"2024-01-01","validUntil":"2034-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"type":"diploma","fields":{"graduatedOn":"2020-02-30","school":null}}`))
	f.Add([]byte(`{"fields":{"a~/b":1e999}}`))
	reg := fuzzRegistry()
	samr, _ := reg.Department(demo.Market)
	f.Fuzz(func(t *testing.T, raw []byte) {
		var body issueBody
		if err := json.Unmarshal(raw, &body, json.RejectUnknownMembers(true)); err != nil {
			if describeJSONError(err, raw) == "" {
				t.Fatal("empty description")
			}
			return
		}
		in, err := parseIssueBody(reg, samr, body, time.UTC)
		if err != nil {
			p, _ := problemFor(err, DefaultBodyLimit)
			if p.Status < 400 || p.Status >= 500 || p.Detail == "" {
				t.Fatalf("rejection %v became %+v", err, p)
			}
			return
		}
		// Whatever passes the gateway's checks must build a document.
		if _, err := credential.NewDocument(credential.IssueParams{Type: in.Type, Issuer: samr, Holder: in.Holder, Fields: in.Fields,
			ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil, IssuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatalf("accepted request fails in the domain: %v\n%s", err, raw)
		}
	})
}

// FuzzQRText checks that QR text parsing never panics and only accepts
// valid identifiers.
func FuzzQRText(f *testing.F) {
	f.Add("https://verify.example/v/1.2.156.3005.2.11100000MB02000124001.11100000MB02000124.A.001.D?t=abc")
	f.Add("1.2.156.3005.2.11100000MB02000124001.11100000MB02000124.A.001.D")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, text string) {
		id, _, err := parseQRText(text)
		if err != nil {
			if credential.ErrorCode(err) != credential.CodeInvalid {
				t.Fatalf("error %v is not invalid", err)
			}
			return
		}
		if _, err := credential.ParseIdentifier(id); err != nil {
			t.Fatalf("accepted %q: %v", id, err)
		}
	})
}
