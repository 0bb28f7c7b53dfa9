package gateway_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
	"github.com/certledger/certledger/gateway"
)

// withClock gives the gateway a clock the test can move forward.
func withClock(offset *atomic.Int64) envOption {
	return func(c *gateway.Config, _ *ledgerWrap) {
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
	e := newAPIEnv(t, withClock(&offset))
	lic := e.mustIssue(t, "可验证凭证有限公司")
	other := e.mustIssue(t, "同列表有限公司")

	c, _ := e.exportVC(t, lic.ID)
	if c.Identifier != lic.ID || c.LedgerDigest != lic.Document.Proof.Digest || len(c.CredentialSubject) != len(lic.Document.Claims)+1 {
		t.Fatalf("exported %+v", c)
	}
	// The ledger allocated the position at issuance, in the first list of
	// a fresh department, and the export points at exactly that position.
	seq := lic.Record.StatusSequence
	list, index := vc.StatusPosition(seq)
	if seq == 0 || list != 0 || other.Record.StatusSequence == 0 || other.Record.StatusSequence == seq {
		t.Fatalf("status sequences %d and %d", seq, other.Record.StatusSequence)
	}
	wantList := vc.StatusListURL(publicURL, "samr", vc.PurposeRevocation, 0)
	if c.CredentialStatus[0].StatusListCredential != wantList || c.CredentialStatus[0].StatusListIndex != strconv.Itoa(index) {
		t.Fatalf("status entry %+v, want list %s index %d", c.CredentialStatus[0], wantList, index)
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
