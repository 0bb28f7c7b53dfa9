package chaincode

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// anchorFixture anchors batches of business licences as samr on a
// provisioned memLedger, and runs the contract's other calls beside them.
type anchorFixture struct {
	t       *testing.T
	l       *memLedger
	key     ed25519.PrivateKey
	reg     credential.Registry
	samr    credential.Department
	licence credential.CredentialType
	txs     int
}

func newAnchorFixture(t *testing.T) *anchorFixture {
	t.Helper()
	l, key := provisioned(t)
	reg, err := GetRegistry(l.tx("", t0, "", nil))
	if err != nil {
		t.Fatal(err)
	}
	samr, _ := reg.Department(demo.Market)
	licence, _ := reg.Type("business-licence")
	return &anchorFixture{t: t, l: l, key: key, reg: reg, samr: samr, licence: licence}
}

// batchSpec describes a batch of samr's licences.
type batchSpec struct {
	seed       string // the token is drawn from it
	n          int
	statusFrom uint64 // zero: credential.AnchorStatusBase
	// holder is leaf i's holder reference; nil: ref("ab").
	holder func(i int) string
	// docs signs real documents; without it the chunks are opaque bytes,
	// which the contract stores unread, for batches only listed.
	docs     bool
	issuedAt time.Time // zero: t0
}

// request builds the AnchorRequest of s, and its documents when s.docs.
func (f *anchorFixture) request(s batchSpec) (credential.AnchorRequest, []credential.Document) {
	f.t.Helper()
	token := credential.AnchorToken(sha256.Sum256([]byte(s.seed)))
	at := s.issuedAt
	if at.IsZero() {
		at = t0
	}
	from := s.statusFrom
	if from == 0 {
		from = credential.AnchorStatusBase
	}
	holder := s.holder
	if holder == nil {
		holder = func(int) string { return ref("ab") }
	}
	req := credential.AnchorRequest{Token: token, Type: f.licence.Code, KeyID: f.samr.Keys[0].ID, IssuedAt: at,
		StatusFrom: from, RequestHash: "rows-" + s.seed, Leaves: make([]credential.AnchorLeaf, s.n)}
	var docs []credential.Document
	for i := range s.n {
		if !s.docs {
			d := sha256.Sum256([]byte(fmt.Sprint(s.seed, i)))
			req.Leaves[i] = credential.AnchorLeaf{Digest: hex.EncodeToString(d[:]), HolderRef: holder(i), ValidFrom: at}
			continue
		}
		p := f.params(fmt.Sprintf("公司%s%d", s.seed, i), at)
		p.Serial = credential.AnchoredSerial(token, i)
		doc := f.sign(p)
		docs = append(docs, *doc)
		req.Leaves[i] = credential.AnchorLeaf{Digest: doc.Proof.Digest, HolderRef: holder(i), ValidFrom: doc.ValidFrom, ValidUntil: doc.ValidUntil}
	}
	root, _ := credential.AnchorRoots(req.Type, f.samr.USCC, token, req.Leaves)
	req.Root = hex.EncodeToString(root[:])
	for c := 0; c < s.n; c += credential.AnchorChunkSize {
		if !s.docs {
			req.Chunks = append(req.Chunks, []byte("documents of chunk "+fmt.Sprint(c)))
			continue
		}
		b, err := credential.EncodeAnchorChunk(docs[c:min(c+credential.AnchorChunkSize, s.n)])
		if err != nil {
			f.t.Fatal(err)
		}
		req.Chunks = append(req.Chunks, b)
	}
	return req, docs
}

// transient is the transient data AnchorBatch reads for req.
func (f *anchorFixture) transient(req credential.AnchorRequest) map[string][]byte {
	raw, err := json.Marshal(req)
	if err != nil {
		f.t.Fatal(err)
	}
	leaves, err := credential.EncodeAnchorLeaves(req.Leaves)
	if err != nil {
		f.t.Fatal(err)
	}
	m := map[string][]byte{TransientAnchor: raw, TransientAnchorLeaves: leaves}
	for i, c := range req.Chunks {
		m[TransientAnchorChunk(i)] = c
	}
	return m
}

// next is a transaction of msp at ts, with a fresh transaction ID.
func (f *anchorFixture) next(ts time.Time, msp string, transient map[string][]byte) *memTx {
	f.txs++
	return f.l.tx(fmt.Sprintf("%064x", 1000+f.txs), ts, msp, transient)
}

// anchorAs runs AnchorBatch for req as msp at the fixture's ledger time,
// committing what an accepted batch wrote.
func (f *anchorFixture) anchorAs(msp string, req credential.AnchorRequest) (*memTx, credential.AnchorResult, error) {
	tx := f.next(t0.Add(time.Minute), msp, f.transient(req))
	res, err := AnchorBatch(tx)
	if err == nil {
		tx.commit()
	}
	return tx, res, err
}

// anchor anchors s as samr and returns the anchor and documents.
func (f *anchorFixture) anchor(s batchSpec) (credential.Anchor, []credential.Document) {
	f.t.Helper()
	req, docs := f.request(s)
	_, res, err := f.anchorAs("SamrMSP", req)
	if err != nil {
		f.t.Fatalf("anchor %s: %v", s.seed, err)
	}
	return res.Anchor, docs
}

// read runs fn on a read-only transaction of msp.
func (f *anchorFixture) read(msp string) *memTx { return f.l.tx("", t0.Add(2*time.Minute), msp, nil) }

// issue issues a single licence (or a new version, with renews and action)
// as samr and commits it.
func (f *anchorFixture) issue(doc *credential.Document, holderRef string, seq uint64, action credential.Action, reason string) (credential.IssueResult, *memTx, error) {
	f.t.Helper()
	raw, _ := json.Marshal(credential.IssueRequest{Document: *doc, HolderRef: holderRef, StatusSequence: seq, Action: action, Reason: reason})
	tx := f.next(doc.IssuedAt.Add(time.Minute), "SamrMSP", map[string][]byte{TransientRequest: raw})
	res, err := Issue(tx)
	if err == nil {
		tx.commit()
	}
	return res, tx, err
}

// params are the issuance parameters of a licence of company by samr.
func (f *anchorFixture) params(company string, at time.Time) credential.IssueParams {
	return credential.IssueParams{Type: f.licence, Issuer: f.samr, IssuedAt: at,
		Holder: credential.Holder{Name: company, IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"companyName": company, "entityType": "有限责任公司", "legalRepresentative": "王五",
			"establishedOn": "2020-01-01", "address": "上海市", "registeredCapital": "50", "businessScope": "软件开发"}}
}

// sign signs a document of p with samr's key.
func (f *anchorFixture) sign(p credential.IssueParams) *credential.Document {
	f.t.Helper()
	doc, err := credential.Issue(p, f.samr.Keys[0].ID, f.key)
	if err != nil {
		f.t.Fatal(err)
	}
	return doc
}

// nextVersion signs version+1 of prev at at: a change renames the company,
// a renewal extends the validity by a year.
func (f *anchorFixture) nextVersion(prev credential.Document, action credential.Action, at time.Time) *credential.Document {
	f.t.Helper()
	id, _ := credential.ParseIdentifier(prev.ID)
	company := prev.Holder().Name
	until := prev.ValidUntil
	if action == credential.ActionChange {
		company += "（更名）"
	} else {
		until = until.AddDate(1, 0, 0)
	}
	p := f.params(company, at)
	p.Serial, p.Version, p.Renews, p.ValidFrom, p.ValidUntil = id.Serial, id.Version+1, prev.ID, prev.ValidFrom, until
	return f.sign(p)
}
