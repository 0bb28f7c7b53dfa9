package embedded

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/atrest"
)

// fakeClock is a settable clock for transaction timestamps.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a ledger provisioned with the demo registry, each department
// holding one active signing key.
type fixture struct {
	t         testing.TB
	dir       string
	clock     *fakeClock
	ledger    *Ledger
	depts     map[string]credential.Department
	keys      map[string]ed25519.PrivateKey
	types     map[string]credential.CredentialType
	holderKey []byte
}

var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// testKEK seals the private values of every ledger of these tests. It is
// fixed because a test's helper process opens the same folder.
var testKEK = mustParseKEK("Q2VydExlZGdlciB0ZXN0IEtFSywgbmV2ZXIgdXNlZCE=")

func mustParseKEK(text string) atrest.KEK {
	k, err := atrest.Parse(text)
	if err != nil {
		panic(err)
	}
	return k
}

func newFixture(t testing.TB, opts ...Option) *fixture {
	t.Helper()
	return newFixtureIn(t, t.TempDir(), opts...)
}

func newFixtureIn(t testing.TB, dir string, opts ...Option) *fixture {
	t.Helper()
	f := &fixture{
		t: t, dir: dir, clock: &fakeClock{now: start},
		depts: map[string]credential.Department{}, keys: map[string]ed25519.PrivateKey{},
		types: map[string]credential.CredentialType{}, holderKey: []byte("0123456789abcdef0123456789abcdef"),
	}
	f.open(opts...)
	t.Cleanup(func() { f.ledger.Close() })
	ctx := context.Background()
	for _, d := range demo.Departments() {
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		d.Keys = []credential.Key{{ID: d.ID + "-2026", PublicKey: base64.StdEncoding.EncodeToString(pub),
			ValidFrom: start.Add(-24 * time.Hour), Status: credential.KeyActive}}
		if err := f.ledger.PutDepartment(ctx, demo.Departments()[0].MSPID, d); err != nil {
			t.Fatalf("put department %s: %v", d.ID, err)
		}
		f.depts[d.ID], f.keys[d.ID] = d, priv
	}
	for _, ty := range demo.Types() {
		if err := f.ledger.PutCredentialType(ctx, f.depts[demo.Governance].MSPID, ty); err != nil {
			t.Fatalf("put type %s: %v", ty.ID, err)
		}
		f.types[ty.ID] = ty
	}
	return f
}

func (f *fixture) open(opts ...Option) {
	f.t.Helper()
	l, err := Open(f.dir, testKEK, append([]Option{WithClock(f.clock.Now)}, opts...)...)
	if err != nil {
		f.t.Fatal(err)
	}
	f.ledger = l
}

// reopen closes and opens the ledger on the same folder.
func (f *fixture) reopen() {
	f.t.Helper()
	if err := f.ledger.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.open()
}

func (f *fixture) msp(dept string) string { return f.depts[dept].MSPID }

// licence builds a signed business licence of samr, issued now.
func (f *fixture) licence(name string) *credential.Document {
	f.t.Helper()
	return f.document(demo.Market, "business-licence", map[string]string{
		"companyName": name, "entityType": "有限责任公司", "legalRepresentative": "张三",
		"establishedOn": "2020-05-01", "address": "北京市东城区", "registeredCapital": "100",
	})
}

func (f *fixture) document(dept, typeID string, fields map[string]string) *credential.Document {
	f.t.Helper()
	d := f.depts[dept]
	doc, err := credential.Issue(credential.IssueParams{
		Type: f.types[typeID], Issuer: d,
		Holder:   holderFor(f.types[typeID], "北京某某科技有限公司"),
		Fields:   fields,
		IssuedAt: f.clock.Now(),
	}, d.Keys[0].ID, f.keys[dept])
	if err != nil {
		f.t.Fatal(err)
	}
	return doc
}

// holderFor is a holder the type is issued to: a company when it accepts
// one, else a person.
func holderFor(t credential.CredentialType, name string) credential.Holder {
	if t.AcceptsHolderIDType(credential.IDUSCC) {
		return credential.Holder{Name: name, IDType: credential.IDUSCC, IDNumber: "91110000802100433B"}
	}
	return credential.Holder{Name: name, IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"}
}

func (f *fixture) request(doc *credential.Document) credential.IssueRequest {
	h := doc.Holder()
	return credential.IssueRequest{Document: *doc, HolderRef: credential.HolderRef(f.holderKey, doc.Issuer, h.IDType, h.IDNumber)}
}

// issue records doc as its issuer and fails the test on error.
func (f *fixture) issue(doc *credential.Document) credential.Record {
	f.t.Helper()
	res, err := f.ledger.Issue(context.Background(), f.msp(doc.Issuer), f.request(doc))
	if err != nil {
		f.t.Fatalf("issue: %v", err)
	}
	return res.Record
}

// wantCode fails unless err is an application error with code.
func wantCode(t testing.TB, err error, code credential.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := credential.ErrorCode(err); got != code {
		t.Fatalf("got %v (code %s), want code %s", err, got, code)
	}
}

type issueCall struct {
	msp string
	req credential.IssueRequest
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

func strconvU(n uint64) string { return strconv.FormatUint(n, 10) }
