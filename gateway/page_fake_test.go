package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/demo"
	"github.com/gofiber/fiber/v2"
)

// pageLedger is a hand-written page backend over real signed documents and
// records in memory: the page handlers are tested for what they show
// without a ledger process. The browser test covers the real gateway.
type pageLedger struct {
	reg     credential.Registry
	records map[string]credential.Record
	docs    map[string]credential.Document
	tokens  map[string]string
	now     time.Time
	fail    error // returned by every read when set
}

func (l *pageLedger) pageRegistry(context.Context) (credential.Registry, error) {
	if l.fail != nil {
		return credential.Registry{}, l.fail
	}
	return l.reg, nil
}

func (l *pageLedger) pageRecord(_ context.Context, id string) (credential.Record, error) {
	if l.fail != nil {
		return credential.Record{}, l.fail
	}
	r, ok := l.records[id]
	if !ok {
		return credential.Record{}, credential.Errorf(credential.CodeNotFound, "no credential %s", id)
	}
	return r, nil
}

func (l *pageLedger) pageTokenMatches(id, token string) bool {
	want, ok := l.tokens[id]
	return ok && token == want
}

func (l *pageLedger) pageDisclose(ctx context.Context, id string) (*credential.Document, credential.Verification, error) {
	rec, err := l.pageRecord(ctx, id)
	if err != nil {
		return nil, credential.Verification{}, err
	}
	d, ok := l.docs[id]
	if !ok {
		return nil, credential.Verification{}, credential.Errorf(credential.CodeNotFound, "no document %s", id)
	}
	v := credential.Verify(credential.VerifyInput{Document: &d, Registry: l.reg, Record: &rec, Online: true, Now: l.now})
	return &d, v, nil
}

// fixture is a demo registry with one signing key per department.
type fixture struct {
	ledger *pageLedger
	keys   map[string]ed25519.PrivateKey
	app    *fiber.App
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	f := &fixture{keys: map[string]ed25519.PrivateKey{}}
	reg := credential.Registry{Types: demo.Types()}
	for _, d := range demo.Departments() {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		d.Keys = []credential.Key{{ID: d.ID + "-1", PublicKey: base64.StdEncoding.EncodeToString(pub), ValidFrom: now.AddDate(-1, 0, 0), Status: credential.KeyActive}}
		f.keys[d.ID] = priv
		reg.Departments = append(reg.Departments, d)
	}
	reg.Sort()
	f.ledger = &pageLedger{reg: reg, records: map[string]credential.Record{}, docs: map[string]credential.Document{}, tokens: map[string]string{}, now: now}
	r, err := newRenderer()
	if err != nil {
		t.Fatal(err)
	}
	f.app = fiber.New(fiber.Config{Immutable: true})
	p := &pages{r: r, b: f.ledger, now: func() time.Time { return f.ledger.now }, apiDocs: "/api/v1/openapi.json"}
	p.mount(f.app)
	return f
}

// issueLicence signs a business licence and records it as the ledger would.
func (f *fixture) issueLicence(t *testing.T, holder string) string {
	t.Helper()
	typ, _ := f.ledger.reg.Type("business-licence")
	dept, _ := f.ledger.reg.Department(demo.Market)
	doc, err := credential.Issue(credential.IssueParams{
		Type: typ, Issuer: dept, IssuedAt: f.ledger.now.Add(-time.Hour),
		Holder: credential.Holder{Name: holder, IDType: credential.IDUSCC, IDNumber: "91350100M000100Y43"},
		Fields: map[string]string{
			"companyName": holder, "entityType": "有限责任公司", "legalRepresentative": "张三",
			"registeredCapital": "500", "establishedOn": "2020-03-15", "address": "福建省福州市鼓楼区五四路100号",
		},
	}, dept.Keys[0].ID, f.keys[demo.Market])
	if err != nil {
		t.Fatal(err)
	}
	f.ledger.docs[doc.ID] = *doc
	f.ledger.records[doc.ID] = credential.Record{
		ID: doc.ID, Type: doc.Type, Issuer: doc.Issuer, Digest: doc.Proof.Digest, KeyID: doc.Proof.KeyID,
		Status: credential.StatusValid, IssuedAt: doc.IssuedAt, ValidFrom: doc.ValidFrom, ValidUntil: doc.ValidUntil,
		Version: doc.Version, IssueTxID: "tx-0001", BlockNumber: 7,
	}
	f.ledger.tokens[doc.ID] = "tok" + doc.ID[len(doc.ID)-5:]
	return doc.ID
}

// setStatus changes a record as a status change on the ledger would.
func (f *fixture) setStatus(id string, st credential.Status, code credential.RevocationCode, reason string) {
	r := f.ledger.records[id]
	r.Status, r.RevocationCode, r.StatusReason = st, code, reason
	f.ledger.records[id] = r
}

type pageResponse struct {
	status int
	header map[string]string
	body   string
}

// get requests path with the given headers (pairs of name, value).
func (f *fixture) get(t *testing.T, path string, headers ...string) pageResponse {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := f.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{}
	for k := range resp.Header {
		h[k] = resp.Header.Get(k)
	}
	return pageResponse{status: resp.StatusCode, header: h, body: string(buf)}
}
