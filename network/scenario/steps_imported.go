package scenario

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
	"github.com/certledger/certledger/credential/verifier"
)

// Steps proving that an imported credential is a first-class credential,
// whatever the import does inside (docs/decisions/0021-anchored-batches.md):
// verified online and offline, listed, exported, found by its holder,
// changed, renewed and anchored one at a time, through the HTTP API only.

// The sampled rows: the first, both sides of a chunk boundary of an
// anchored batch, the demo company's and the last.
const (
	importSuspendRow = credential.AnchorChunkSize - 1
	importRevokeRow  = credential.AnchorChunkSize
	importRenewRow   = importRows - 1
)

var importSamples = []int{0, importSuspendRow, importRevokeRow, importHolderRow, importRenewRow}

// importedCredential is GET /api/v1/credentials/{id} as the issuer reads
// an imported credential: its document and its full record.
type importedCredential struct {
	issued
	Record credential.Record `json:"record"`
}

func (s *suite) importedCred(t testing.TB, row int) importedCredential {
	t.Helper()
	id := s.imp.ids[row]
	r := s.c.Request(t, "GET", "/api/v1/credentials/"+url.PathEscape(id), s.samr, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("imported row %d, %s: %d %s", row, id, r.Status, r.Body)
	}
	var c importedCredential
	r.JSON(t, &c)
	if c.ID != id || c.Document.ID != id || c.Record.ID != id {
		t.Fatalf("GET %s answered %q, document %q, record %q", id, c.ID, c.Document.ID, c.Record.ID)
	}
	return c
}

var pageStatusAttr = regexp.MustCompile(`data-status="([^"]*)"`)

// pageStatus is the status the verification page /v/{id} shows.
func (s *suite) pageStatus(t testing.TB, id string) string {
	t.Helper()
	r := s.c.Request(t, "GET", "/v/"+url.PathEscape(id), "", nil, "Accept-Language", "en")
	m := pageStatusAttr.FindSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("page of %s: %d, no status banner", id, r.Status)
	}
	return string(m[1])
}

// expectOffline checks an offline report: authentic (integrity, signature,
// issuer, validity and a current trust list) but of unknown status.
func expectOffline(t testing.TB, id string, rep verifier.Report, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("offline verification of %s: %v", id, err)
	}
	if rep.ID != id || rep.Valid || rep.Status != credential.StatusUnknown {
		t.Fatalf("offline report: %s valid %v status %q, want %s of unknown status", rep.ID, rep.Valid, rep.Status, id)
	}
	for _, name := range []string{credential.CheckIntegrity, credential.CheckSignature, credential.CheckIssuer, credential.CheckValidity, credential.CheckTrustList} {
		i := slices.IndexFunc(rep.Checks, func(c credential.Check) bool { return c.Name == name })
		if i < 0 || !rep.Checks[i].OK {
			t.Errorf("offline check %s of %s failed or missing: %+v", name, id, rep.Checks)
		}
	}
}

// importedVerify: each sampled credential verifies online by its document
// and by its verification URL, its page shows it valid, and both its
// document and its compact QR code verify offline against the trust list,
// as `certledger verify` does.
func (s *suite) importedVerify(t *testing.T) {
	tl := s.trustList(t)
	for _, row := range importSamples {
		t.Run(fmt.Sprintf("row %d", row), func(t *testing.T) {
			c := s.importedCred(t, row)
			v := s.verify(t, map[string]any{"document": c.Document})
			if !v.Valid || v.Status != string(credential.StatusValid) {
				t.Fatalf("the imported document does not verify: %+v", v)
			}
			for _, name := range []string{credential.CheckSignature, credential.CheckIntegrity, credential.CheckIssuer, credential.CheckLedger, credential.CheckStatus, credential.CheckValidity} {
				if ch, ok := v.check(name); !ok || !ch.OK {
					t.Errorf("check %s: %+v (present %v)", name, ch, ok)
				}
			}
			if v := s.verify(t, map[string]any{"qr": c.VerifyURL}); !v.Valid {
				t.Fatalf("the verification URL %s does not verify: %+v", c.VerifyURL, v)
			}
			if st := s.pageStatus(t, c.ID); st != string(credential.StatusValid) {
				t.Fatalf("the page shows %q", st)
			}

			raw, err := json.Marshal(c.Document)
			if err != nil {
				t.Fatal(err)
			}
			in, err := verifier.Read(raw)
			if err != nil || in.Kind != verifier.KindDocument {
				t.Fatalf("the document read as %q: %v", in.Kind, err)
			}
			rep, err := verifier.Offline(in, tl, time.Now(), time.UTC)
			expectOffline(t, c.ID, rep, err)

			var fields []string
			for _, cl := range c.Document.Claims {
				fields = append(fields, cl.Name)
			}
			a := s.present(t, c.ID, fields, "compact")
			png, ok := strings.CutPrefix(a.QRURL, "data:image/png;base64,")
			if !ok {
				t.Fatalf("qrUrl is not an inline PNG: %.40q", a.QRURL)
			}
			img, err := base64.StdEncoding.DecodeString(png)
			if err != nil {
				t.Fatal(err)
			}
			in, err = verifier.Read(img)
			if err != nil || in.Kind != verifier.KindCompact || !in.FromQR || in.Text != a.Payload {
				t.Fatalf("the compact QR read as %q (from QR %v, the payload %v): %v", in.Kind, in.FromQR, in.Text == a.Payload, err)
			}
			rep, err = verifier.Offline(in, tl, time.Now(), time.UTC)
			expectOffline(t, c.ID, rep, err)
			if len(rep.Fields) != len(fields) {
				t.Errorf("the compact QR discloses %d fields, want %d", len(rep.Fields), len(fields))
			}
		})
	}
}

// registerFirstPage is the first page of samr's register for q: a search
// by holder ID finds a handful, never a page's worth.
func (s *suite) registerFirstPage(t testing.TB, q url.Values) registerPage {
	t.Helper()
	r := s.c.Request(t, "GET", "/api/v1/credentials?"+q.Encode(), s.samr, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var p registerPage
	r.JSON(t, &p)
	return p
}

func holderQuery(uscc string) url.Values {
	return url.Values{"holderIdType": {credential.IDUSCC}, "holderIdNumber": {uscc}}
}

// importedRegister: a search of samr's register by each sampled row's
// holder finds its credential (alone, but for the demo company, which
// holds others), and its W3C VC export carries revocation and suspension
// entries whose bits are clear.
func (s *suite) importedRegister(t *testing.T) {
	for _, row := range importSamples {
		id := s.imp.ids[row]
		got := s.registerIDs(t, s.samr, holderQuery(s.imp.holders[row]))
		if row == importHolderRow && !slices.Contains(got, id) || row != importHolderRow && !slices.Equal(got, []string{id}) {
			t.Errorf("row %d: the register finds %v by its holder, want %s", row, got, id)
		}
		for purpose, set := range s.statusBits(t, id) {
			if set {
				t.Errorf("row %d: the %s bit of %s is set", row, purpose, id)
			}
		}
	}
}

// importedHolder: the demo company signs in and finds the credential
// imported for it in its wallet, opens it, and its document names it.
func (s *suite) importedHolder(t *testing.T) {
	z := s.signIn(t, s.imp.citizen)
	id := s.imp.ids[importHolderRow]
	items := z.wallet(t)
	i := slices.IndexFunc(items, func(it myItem) bool { return it.ID == id })
	if i < 0 {
		t.Fatalf("%s's wallet (%d credentials) lacks the imported %s", z.who.Username, len(items), id)
	}
	if it := items[i]; it.Status != string(credential.StatusValid) || it.Issuer.ID != "samr" || it.Type.ID != "business-licence" {
		t.Fatalf("the wallet lists %+v", it)
	}
	r := z.c.Request(t, "GET", "/api/v1/me/credentials/"+url.PathEscape(id), "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("open %s: %d %s", id, r.Status, r.Body)
	}
	var cred myCredential
	r.JSON(t, &cred)
	if cred.ID != id || cred.DocumentElsewhere || cred.Document == nil || cred.Document.ID != id || !cred.Valid {
		t.Fatalf("open %s answered another credential, no document or not valid: %s", id, r.Body)
	}
	if h := cred.Document.Holder(); h.IDType != z.who.IDType || h.IDNumber != z.who.IDNumber || h.Name != z.who.Name {
		t.Fatalf("the document names %+v, want %s", h, z.who.Username)
	}
}

// importedLifecycle: one imported credential is suspended and reinstated,
// another revoked; each time verification, the page and the status list
// follow that credential alone, and each history is its issuance, then its
// own changes.
func (s *suite) importedLifecycle(t *testing.T) {
	rows := []int{0, importSuspendRow, importRevokeRow}
	docs := map[int]importedCredential{}
	for _, row := range rows {
		docs[row] = s.importedCred(t, row)
	}
	expect := func(t *testing.T, want map[int]credential.Status) {
		t.Helper()
		for _, row := range rows {
			c, st := docs[row], want[row]
			if v := s.verify(t, map[string]any{"document": c.Document}); v.Status != string(st) || v.Valid != (st == credential.StatusValid) {
				t.Errorf("row %d verifies %q (valid %v), want %q", row, v.Status, v.Valid, st)
			}
			// The page names a revocation by its code.
			page := string(st)
			if st == credential.StatusRevoked {
				page += "-" + string(credential.RevokedCancelled)
			}
			if got := s.pageStatus(t, c.ID); got != page {
				t.Errorf("row %d's page shows %q, want %q", row, got, page)
			}
			bits := s.statusBits(t, c.ID)
			if bits[vc.PurposeRevocation] != (st == credential.StatusRevoked) || bits[vc.PurposeSuspension] != (st == credential.StatusSuspended) {
				t.Errorf("row %d's status list bits %v, want %q", row, bits, st)
			}
		}
	}
	steps := []struct {
		row    int
		action string
		body   map[string]string
		want   map[int]credential.Status
	}{
		{importSuspendRow, "suspend", map[string]string{"reason": "存量证照核查，暂扣待查"},
			map[int]credential.Status{0: credential.StatusValid, importSuspendRow: credential.StatusSuspended, importRevokeRow: credential.StatusValid}},
		{importSuspendRow, "reinstate", map[string]string{"reason": "核查无误，发还"},
			map[int]credential.Status{0: credential.StatusValid, importSuspendRow: credential.StatusValid, importRevokeRow: credential.StatusValid}},
		{importRevokeRow, "revoke", map[string]string{"reason": "企业已注销", "code": string(credential.RevokedCancelled)},
			map[int]credential.Status{0: credential.StatusValid, importSuspendRow: credential.StatusValid, importRevokeRow: credential.StatusRevoked}},
	}
	for i, st := range steps {
		t.Run(fmt.Sprintf("%d %s row %d", i, st.action, st.row), func(t *testing.T) {
			r := s.c.Request(t, "POST", "/api/v1/credentials/"+url.PathEscape(s.imp.ids[st.row])+"/"+st.action, s.samr, st.body)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", st.action, r.Status, r.Body)
			}
			expect(t, st.want)
		})
	}
	if p := s.registerFirstPage(t, holderQuery(s.imp.holders[importRevokeRow])); len(p.Items) != 1 || p.Items[0].Status != string(credential.StatusRevoked) {
		t.Errorf("the register lists the revoked row as %+v", p.Items)
	}

	for _, h := range []struct {
		row  int
		want []credential.Action
	}{
		{0, []credential.Action{credential.ActionIssue}},
		{importSuspendRow, []credential.Action{credential.ActionIssue, credential.ActionSuspend, credential.ActionReinstate}},
		{importRevokeRow, []credential.Action{credential.ActionIssue, credential.ActionRevoke}},
	} {
		got := s.historyFor(t, s.imp.ids[h.row])
		var actions []credential.Action
		txs := map[string]bool{}
		for _, c := range got {
			actions = append(actions, c.Action)
			if c.TxID == "" || c.Time.IsZero() || c.Actor != "samr" {
				t.Errorf("row %d: history entry %+v lacks its transaction, time or actor", h.row, c)
			}
			txs[c.TxID] = true
		}
		if !slices.Equal(actions, h.want) || len(txs) != len(got) {
			t.Errorf("row %d's history is %v (transactions %d), want %v each in its own", h.row, actions, len(txs), h.want)
			continue
		}
		if got[0].TxID != docs[h.row].Record.IssueTxID {
			t.Errorf("row %d: the issuance's transaction %s, the record's %s", h.row, got[0].TxID, docs[h.row].Record.IssueTxID)
		}
		if last := got[len(got)-1]; h.row == importRevokeRow && (last.Code != credential.RevokedCancelled || last.Reason != "企业已注销") {
			t.Errorf("the revocation's code or reason was lost: %+v", last)
		}
	}
}

// importedRenewal: renewing an imported credential (延续) makes version 2,
// which verifies; the imported version verifies superseded, its page says
// so, its history ends with the supersession and its revocation bit is set.
func (s *suite) importedRenewal(t *testing.T) {
	v1 := s.importedCred(t, importRenewRow)
	v2 := s.newVersion(t, v1.ID, "renew", map[string]any{"validUntil": "2044-01-01", "reason": "存量证照延续"})
	if v2.Document.Version != 2 || v1.Document.Version != 1 {
		t.Fatalf("renewed version %d into version %d, want 1 into 2", v1.Document.Version, v2.Document.Version)
	}
	if v := s.verify(t, map[string]any{"document": v2.Document}); !v.Valid {
		t.Fatalf("the renewal does not verify: %+v", v)
	}
	if v := s.verify(t, map[string]any{"document": v1.Document}); v.Valid || v.Status != string(credential.StatusSuperseded) {
		t.Fatalf("the imported version verifies as %+v", v)
	}
	if st := s.pageStatus(t, v1.ID); st != string(credential.StatusSuperseded) {
		t.Errorf("the imported version's page shows %q", st)
	}
	h := s.historyFor(t, v1.ID)
	if len(h) != 2 || h[0].Action != credential.ActionIssue || h[1].Action != credential.ActionSupersede || h[1].SupersededBy != v2.ID {
		t.Errorf("the imported version's history %+v, want its issuance then its supersession by %s", h, v2.ID)
	}
	if !s.statusBits(t, v1.ID)[vc.PurposeRevocation] {
		t.Error("the superseded imported version's revocation bit is clear")
	}
}

// importedAnchor: each sampled document, whatever has happened to it
// since (reinstated, revoked, superseded), carries proof.anchor, an
// inclusion proof of its leaf under its batch's root. The leaf is rebuilt
// from what the issuer reads of the record (digest, holder reference,
// validity), so the proof ties the document to the public record; proofs
// of one batch reach one root, and a leaf with another holder reference
// or another credential's identifier does not verify.
func (s *suite) importedAnchor(t *testing.T) {
	type batch struct {
		root  string
		count int
	}
	roots := map[string]batch{}
	var ids []string
	for _, row := range importSamples {
		c := s.importedCred(t, row)
		p, rec := c.Document.Proof.Anchor, c.Record
		if p == nil {
			t.Fatalf("row %d: the document of %s carries no proof.anchor", row, c.ID)
		}
		if rec.Digest != c.Document.Proof.Digest || len(rec.HolderRef) != 64 {
			t.Fatalf("row %d: the record's digest %s (document's %s), holder reference %q", row, rec.Digest, c.Document.Proof.Digest, rec.HolderRef)
		}
		leaf := credential.AnchorLeaf{Digest: rec.Digest, HolderRef: rec.HolderRef, ValidFrom: rec.ValidFrom, ValidUntil: rec.ValidUntil}
		if err := p.Verify(c.ID, leaf); err != nil {
			t.Fatalf("row %d: the anchor proof of %s does not verify: %v", row, c.ID, err)
		}
		other := leaf
		other.HolderRef = strings.Repeat("0", 64)
		if p.Verify(c.ID, other) == nil {
			t.Errorf("row %d: the anchor proof verifies with another holder reference", row)
		}
		for _, prev := range ids {
			if p.Verify(prev, leaf) == nil {
				t.Errorf("row %d: the anchor proof of %s verifies as %s", row, c.ID, prev)
			}
		}
		if b, ok := roots[p.Token]; ok && (b.root != p.Root || b.count != p.Count) {
			t.Errorf("row %d: batch %s has root %s of %d leaves here, %s of %d before", row, p.Token, p.Root, p.Count, b.root, b.count)
		}
		roots[p.Token] = batch{p.Root, p.Count}
		ids = append(ids, c.ID)
	}
}
