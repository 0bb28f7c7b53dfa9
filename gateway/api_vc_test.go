package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/vc"
)

// statusFake adds what docs/decisions/0004-status-list-index.md asks the
// contract for to the real embedded ledger: a status sequence number per
// credential, allocated at issuance and unique per department, and the
// entries of a list with their recorded status. Sequence numbers start in
// list 2 so that list numbers are exercised.
type statusFake struct {
	credential.Ledger
	mu   sync.Mutex
	next map[string]uint64
	seq  map[string]uint64
	ids  map[string][]string
}

const fakeFirstSequence = 2*vc.StatusListSize + 17

func (f *statusFake) Issue(ctx context.Context, msp string, req credential.IssueRequest) (credential.IssueResult, error) {
	res, err := f.Ledger.Issue(ctx, msp, req)
	if err != nil || res.Replayed {
		return res, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	dept := res.Record.Issuer
	if _, ok := f.next[dept]; !ok {
		f.next[dept] = fakeFirstSequence
	}
	f.seq[res.Record.ID] = f.next[dept]
	f.next[dept]++
	f.ids[dept] = append(f.ids[dept], res.Record.ID)
	return res, nil
}

func (f *statusFake) StatusSequence(_ context.Context, id string) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.seq[id]
	if !ok {
		return 0, credential.Errorf(credential.CodeNotFound, "no status sequence for %s", id)
	}
	return s, nil
}

func (f *statusFake) StatusEntries(ctx context.Context, dept string, list uint64) ([]gateway.StatusEntry, error) {
	f.mu.Lock()
	ids := append([]string(nil), f.ids[dept]...)
	f.mu.Unlock()
	var out []gateway.StatusEntry
	for _, id := range ids {
		seq, _ := f.StatusSequence(ctx, id)
		if seq/vc.StatusListSize != list {
			continue
		}
		rec, err := f.Ledger.Record(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, gateway.StatusEntry{Sequence: seq, ID: id, Status: rec.Status})
	}
	return out, nil
}

// withStatusLedger puts the fake in front of the ledger and gives the
// gateway a clock the test can move forward.
func withStatusLedger(offset *atomic.Int64) envOption {
	return func(c *gateway.Config, w *ledgerWrap) {
		w.wrap = func(l credential.Ledger) credential.Ledger {
			return &statusFake{Ledger: l, next: map[string]uint64{}, seq: map[string]uint64{}, ids: map[string][]string{}}
		}
		c.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	}
}

func (e *apiEnv) registry(t *testing.T) credential.Registry {
	t.Helper()
	reg, err := e.ledger.Registry(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func (e *apiEnv) exportVC(t *testing.T, id string) (*vc.Credential, []byte) {
	t.Helper()
	r := e.do(t, "GET", "/api/v1/credentials/"+id+"/vc", e.key("samr"), nil)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != gateway.VCContentType {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	c, err := vc.VerifyCredential(r.Body, publicURL, e.registry(t))
	if err != nil {
		t.Fatalf("the exported credential does not verify: %v\n%s", err, r.Body)
	}
	return c, r.Body
}

// statusBit fetches the credential's status list for purpose from the
// gateway and reads its bit.
func (e *apiEnv) statusBit(t *testing.T, c *vc.Credential, purpose string) bool {
	t.Helper()
	for _, entry := range c.CredentialStatus {
		if entry.StatusPurpose != purpose {
			continue
		}
		r := e.do(t, "GET", relative(t, entry.StatusListCredential), "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("status list: %d %s", r.Status, r.Body)
		}
		set, err := vc.CheckStatus(r.Body, entry, c.Issuer.ID, vc.RegistryResolver(publicURL, e.registry(t)))
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	t.Fatalf("no %s entry in %+v", purpose, c.CredentialStatus)
	return false
}

func TestVCExportAndStatusLists(t *testing.T) {
	var offset atomic.Int64
	e := newAPIEnv(t, withStatusLedger(&offset))
	lic := e.mustIssue(t, "可验证凭证有限公司")
	other := e.mustIssue(t, "同列表有限公司")

	c, _ := e.exportVC(t, lic.ID)
	if c.Identifier != lic.ID || c.LedgerDigest != lic.Document.Proof.Digest || len(c.CredentialSubject) != len(lic.Document.Claims)+1 {
		t.Fatalf("exported %+v", c)
	}
	wantList := vc.StatusListURL(publicURL, "samr", vc.PurposeRevocation, 2)
	if c.CredentialStatus[0].StatusListCredential != wantList {
		t.Fatalf("status entry %+v, want list %s", c.CredentialStatus[0], wantList)
	}
	if e.statusBit(t, c, vc.PurposeRevocation) || e.statusBit(t, c, vc.PurposeSuspension) {
		t.Fatal("a valid credential is marked in its status list")
	}

	t.Run("the issuer's controller document resolves the proof key", func(t *testing.T) {
		r := e.do(t, "GET", relative(t, c.Issuer.ID), "", nil)
		var doc vc.ControllerDocument
		r.decode(t, &doc)
		samr, _ := e.registry(t).Department("samr")
		k, _ := samr.Key(lic.Document.Proof.KeyID)
		pub, _ := k.Ed25519()
		found := false
		for _, m := range doc.VerificationMethod {
			if m.ID == c.Proof.VerificationMethod && m.PublicKeyMultibase == vc.MultikeyEd25519(pub) {
				found = true
			}
		}
		if !found || doc.ID != c.Issuer.ID {
			t.Fatalf("%s does not list %s: %+v", c.Issuer.ID, c.Proof.VerificationMethod, doc)
		}
		expectProblem(t, e.do(t, "GET", "/issuers/nosuch", "", nil), http.StatusNotFound)
	})

	t.Run("revoked shows in the revocation list, suspended in the suspension list", func(t *testing.T) {
		e.pageChangeStatus(t, lic.ID, "revoke", map[string]string{"reason": "吊销", "code": "penalty"})
		e.pageChangeStatus(t, other.ID, "suspend", map[string]string{"reason": "暂扣待查"})
		// Lists are cached for a minute; move the gateway's clock past it.
		offset.Store(int64(2 * time.Minute))
		if !e.statusBit(t, c, vc.PurposeRevocation) {
			t.Fatal("the revoked credential is not marked revoked")
		}
		oc, _ := e.exportVC(t, other.ID)
		if !e.statusBit(t, oc, vc.PurposeSuspension) || e.statusBit(t, oc, vc.PurposeRevocation) {
			t.Fatal("the suspended credential's bits are wrong")
		}
		if e.statusBit(t, c, vc.PurposeSuspension) {
			t.Fatal("the revoked credential is marked suspended")
		}
	})

	t.Run("access", func(t *testing.T) {
		_, token, _ := credential.ParseVerifyURL(other.VerifyURL)
		if r := e.do(t, "GET", "/api/v1/credentials/"+other.ID+"/vc?t="+token, "", nil); r.Status != http.StatusOK {
			t.Fatalf("with the token: %d %s", r.Status, r.Body)
		}
		expectProblem(t, e.do(t, "GET", "/api/v1/credentials/"+lic.ID+"/vc?t="+token, "", nil), http.StatusForbidden)
		expectProblem(t, e.do(t, "GET", "/api/v1/credentials/"+lic.ID+"/vc", e.key("edu"), nil), http.StatusForbidden)
		expectProblem(t, e.do(t, "GET", "/api/v1/credentials/"+lic.ID+"/vc", "", nil), http.StatusUnauthorized)
		expectProblem(t, e.do(t, "GET", "/status/samr/expiry/2", "", nil), http.StatusNotFound)
		expectProblem(t, e.do(t, "GET", "/status/samr/revocation/02", "", nil), http.StatusNotFound)
	})

	t.Run("a presentation exports its disclosed claims only", func(t *testing.T) {
		p, _ := e.present(t, other.ID, map[string]any{"fields": []string{"companyName"}})
		r := e.do(t, "POST", "/api/v1/vc", "", map[string]any{"presentation": p.Presentation})
		if r.Status != http.StatusOK {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		pc, err := vc.VerifyCredential(r.Body, publicURL, e.registry(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(pc.CredentialSubject) != 2 || pc.CredentialSubject["companyName"] != "同列表有限公司" {
			t.Fatalf("subject %v", pc.CredentialSubject)
		}
		forged := *p.Presentation
		forged.Claims = append([]credential.Claim(nil), forged.Claims...)
		forged.Claims[0].Value = "冒名有限公司"
		expectProblem(t, e.do(t, "POST", "/api/v1/vc", "", map[string]any{"presentation": &forged}), http.StatusBadRequest)
	})

	t.Run("tampering with the export breaks its proof", func(t *testing.T) {
		_, raw := e.exportVC(t, other.ID)
		var m map[string]any
		json.Unmarshal(raw, &m)
		m["credentialSubject"].(map[string]any)["companyName"] = "冒名有限公司"
		bad, _ := json.Marshal(m)
		if _, err := vc.VerifyCredential(bad, publicURL, e.registry(t)); err == nil {
			t.Fatal("an altered export verifies")
		}
	})
}

func TestVCExportNeedsStatusPositions(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "无状态列表有限公司")
	p := expectProblem(t, e.do(t, "GET", "/api/v1/credentials/"+lic.ID+"/vc", e.key("samr"), nil), http.StatusServiceUnavailable)
	if p.Detail == "" {
		t.Fatal("no detail")
	}
	expectProblem(t, e.do(t, "GET", "/status/samr/revocation/0", "", nil), http.StatusServiceUnavailable)
	if r := e.do(t, "GET", "/issuers/samr", "", nil); r.Status != http.StatusOK {
		t.Fatalf("controller document: %d", r.Status)
	}
}
