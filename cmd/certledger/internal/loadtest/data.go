package loadtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// benchHolderID (GB 11643) and benchCompanyID (GB 32100) are valid
// numbers: the holders of every load-test credential (a holder may hold
// any number of credentials).
const (
	benchHolderID  = "11010519491231002X"
	benchCompanyID = "91350100M000100Y43"
)

// benchHolder is a holder named name that type t is issued to: a person,
// or a company for a type held by companies (a business licence).
func benchHolder(t credential.CredentialType, name string) credential.Holder {
	if t.AcceptsHolderIDType(credential.IDResidentCard) {
		return credential.Holder{Name: name, IDType: credential.IDResidentCard, IDNumber: benchHolderID}
	}
	return credential.Holder{Name: name, IDType: credential.IDUSCC, IDNumber: benchCompanyID}
}

// fieldValues fills every field of t with a plausible value, Chinese text
// for strings, numbered by n so no two requests are alike.
func fieldValues(t credential.CredentialType, n int) map[string]string {
	out := make(map[string]string, len(t.Fields))
	for _, f := range t.Fields {
		switch f.Type {
		case credential.FieldDate:
			out[f.Name] = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n%1500).Format(time.DateOnly)
		case credential.FieldNumber:
			out[f.Name] = strconv.Itoa(100+n%10000) + ".5"
		default:
			v := f.LabelZh + "（压测样例" + strconv.Itoa(n) + "）"
			if max := f.MaxLength; max > 0 && utf8.RuneCountInString(v) > max {
				v = string([]rune(v)[:max])
			}
			out[f.Name] = v
		}
	}
	return out
}

// issueBody is the JSON body of the n-th issuance request.
func issueBody(t credential.CredentialType, n int) []byte {
	b, err := json.Marshal(issueRequest{
		Type:   t.ID,
		Holder: benchHolder(t, "压测持证人"+strconv.Itoa(n)),
		Fields: fieldValues(t, n),
	})
	if err != nil {
		panic(err) // only strings: cannot fail
	}
	return b
}

// localCredential is a signed credential with the registry and ledger
// record that verify it, built without any server.
type localCredential struct {
	Doc      *credential.Document
	Registry credential.Registry
	Record   *credential.Record
}

// newLocalCredential signs a credential of the demo type typeID with a
// fresh key of its issuing department.
func newLocalCredential(typeID string, now time.Time) (localCredential, error) {
	reg := credential.Registry{Departments: demo.Departments(), Types: demo.Types()}
	t, ok := reg.Type(typeID)
	if !ok || len(t.Issuers) == 0 {
		return localCredential{}, fmt.Errorf("%q is not a demo credential type", typeID)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return localCredential{}, err
	}
	var issuer credential.Department
	for i := range reg.Departments {
		if reg.Departments[i].ID == t.Issuers[0] {
			reg.Departments[i].Keys = []credential.Key{{ID: "bench-1", PublicKey: base64.StdEncoding.EncodeToString(pub),
				ValidFrom: now.Add(-time.Hour), Status: credential.KeyActive}}
			issuer = reg.Departments[i]
		}
	}
	doc, err := credential.Issue(credential.IssueParams{
		Type: t, Issuer: issuer, IssuedAt: now,
		Holder: benchHolder(t, "压测持证人"),
		Fields: fieldValues(t, 1),
	}, "bench-1", priv)
	if err != nil {
		return localCredential{}, err
	}
	rec := &credential.Record{ID: doc.ID, Type: doc.Type, Issuer: doc.Issuer, Digest: doc.Proof.Digest, KeyID: doc.Proof.KeyID,
		Status: credential.StatusValid, IssuedAt: doc.IssuedAt, ValidFrom: doc.ValidFrom, ValidUntil: doc.ValidUntil,
		Version: doc.Version, IssueTxID: "local"}
	return localCredential{Doc: doc, Registry: reg, Record: rec}, nil
}
