package gateway_test

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/keystore"
)

// govKeys reads the governance department's registered keys, the anchors
// an offline verifier configures.
func (e *apiEnv) govKeys(t *testing.T) []credential.Key {
	t.Helper()
	reg, err := e.ledger.Registry(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	gov, ok := reg.Department("gov")
	if !ok {
		t.Fatal("no gov department")
	}
	return gov.Keys
}

func (e *apiEnv) trustList(t *testing.T) *credential.TrustList {
	t.Helper()
	r := e.do(t, "GET", "/api/v1/trust-list", "", nil)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != gateway.TrustListContentType {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	tl, err := credential.ParseTrustList(r.Body, e.govKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func TestTrustList(t *testing.T) {
	var offset atomic.Int64
	e := newAPIEnv(t, withClock(&offset))
	first := e.trustList(t)
	now := time.Now()
	if first.Issuer != "gov" || len(first.Registry.Departments) != 4 || len(first.Registry.Types) != 3 || !first.Current(now) || first.Current(now.Add(25*time.Hour)) {
		t.Fatalf("list %+v", first)
	}
	lic := e.mustIssue(t, "信任列表有限公司")
	d, v, err := first.VerifyCompact(compactOf(t, e, lic.ID), now, time.UTC)
	if err != nil || d.ID != lic.ID || v.Status != credential.StatusUnknown || v.Valid {
		t.Fatalf("offline verification %v %+v", err, v)
	}
	offset.Add(int64(time.Millisecond)) // a list's sequence number is its time in milliseconds
	if second := e.trustList(t); !second.Supersedes(first) {
		t.Fatalf("a later list (#%d) does not supersede #%d", second.Sequence, first.Sequence)
	}
}

// withoutGov hides the governance department's signing keys.
type withoutGov struct{ *keystore.Store }

func (w withoutGov) SigningKeys(dept string) []keystore.SigningKey {
	if dept == "gov" {
		return nil
	}
	return w.Store.SigningKeys(dept)
}

func TestTrustListNeedsTheGovernanceKey(t *testing.T) {
	e := newAPIEnv(t)
	srv, err := gateway.New(gateway.Config{PublicURL: publicURL, Logger: slog.New(slog.DiscardHandler)}, e.ledger, withoutGov{e.ks})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	p := expectProblem(t, e.do(t, "GET", "/api/v1/trust-list", "", nil), http.StatusServiceUnavailable)
	if !strings.Contains(p.Detail, "governance department gov") {
		t.Fatalf("detail %q", p.Detail)
	}
}

func compactOf(t *testing.T, e *apiEnv, id string) string {
	t.Helper()
	p, r := e.present(t, id, map[string]any{"fields": []string{"companyName"}, "format": "compact"})
	if r.Status != http.StatusCreated {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	return p.Payload
}
