package gateway

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strings"
	"sync"
	"time"

	"github.com/certledger/certledger/credential"
)

// droppedRow is a row left out of its batch, and why.
type droppedRow struct {
	row anchorRow
	err error
}

// buildAnchor builds the anchored batch of rows. A row whose document
// cannot be built (it was validated, so only a registry changed since can
// do that) is dropped and the batch formed again without it.
func (s *Server) buildAnchor(iss anchorIssuer, rows []anchorRow, apiKey, staff string) (credential.AnchorRequest, []anchorRow, []droppedRow) {
	var dropped []droppedRow
	for len(rows) > 0 {
		req, errs := s.tryBuildAnchor(iss, rows, apiKey, staff)
		if errs == nil {
			return req, rows, dropped
		}
		kept := make([]anchorRow, 0, len(rows))
		for i, r := range rows {
			if errs[i] != nil {
				dropped = append(dropped, droppedRow{r, errs[i]})
			} else {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	return credential.AnchorRequest{}, nil, dropped
}

// tryBuildAnchor builds each row's document as a single issuance does
// (claims with fresh salts, holder claims, validity, version 1, the
// department's signing key) but with the batch's serial and issuance time,
// on every core, and the request with their leaves, root and chunks. errs
// is nil, or holds the error of each row that failed.
func (s *Server) tryBuildAnchor(iss anchorIssuer, rows []anchorRow, apiKey, staff string) (req credential.AnchorRequest, errs []error) {
	n := len(rows)
	token := anchorToken(iss.dept.ID, iss.typ.Code, rows)
	now := s.now().UTC().Truncate(time.Millisecond)
	docs := make([]credential.Document, n)
	leaves := make([]credential.AnchorLeaf, n)
	var mu sync.Mutex
	fail := func(i int, err error) {
		mu.Lock()
		defer mu.Unlock()
		if errs == nil {
			errs = make([]error, n)
		}
		errs[i] = err
	}
	parallel(n, func(i int) {
		r := &rows[i]
		d, err := credential.NewDocument(credential.IssueParams{Type: iss.typ, Issuer: iss.dept, Holder: r.holder, Fields: r.fields,
			ValidFrom: r.validFrom, ValidUntil: r.validUntil, IssuedAt: now, Serial: credential.AnchoredSerial(token, i)})
		if err == nil {
			err = d.Sign(iss.key.KeyID, iss.key.Private)
		}
		if err != nil {
			fail(i, err)
			return
		}
		docs[i] = *d
		leaves[i] = credential.AnchorLeaf{Digest: d.Proof.Digest, ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil,
			HolderRef: credential.HolderRef(s.secrets.HolderKey, iss.dept.ID, r.holder.IDType, r.holder.IDNumber)}
	})
	if errs != nil {
		return req, errs
	}
	chunks := make([][]byte, credential.AnchorChunks(n))
	parallel(len(chunks), func(c int) {
		lo, hi := c*credential.AnchorChunkSize, min((c+1)*credential.AnchorChunkSize, n)
		b, err := credential.EncodeAnchorChunk(docs[lo:hi])
		if err != nil {
			for i := lo; i < hi; i++ {
				fail(i, err)
			}
		}
		chunks[c] = b
	})
	if errs != nil {
		return req, errs
	}
	root, _ := credential.AnchorRoots(iss.typ.Code, iss.dept.USCC, token, leaves)
	return credential.AnchorRequest{
		Token: token, Type: iss.typ.Code, KeyID: iss.key.KeyID, IssuedAt: now, Root: hex.EncodeToString(root[:]),
		RequestHash: s.anchorRequestHash(iss.dept.ID, rows), Leaves: leaves, APIKeyID: apiKey, Staff: staff, Chunks: chunks,
	}, nil
}

// anchorToken names the batch of rows: a hash of the department, the type
// and the rows' idempotency keys in order, so the same rows, sent again or
// taken up by a resumed import, form the same batch.
func anchorToken(dept, typeCode string, rows []anchorRow) string {
	h := sha256.New()
	writeLP(h, "certledger.anchor-token.v1")
	writeLP(h, dept)
	writeLP(h, typeCode)
	for _, r := range rows {
		writeLP(h, r.idem)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return credential.AnchorToken(sum)
}

// anchorRequestHash is the keyed hash of the rows' contents (their request
// hashes), which tells the ledger a replay of the batch from its token
// reused with other rows.
func (s *Server) anchorRequestHash(dept string, rows []anchorRow) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.reqHash)
		b.WriteByte('.')
	}
	return s.keyedHash("certledger.anchor-request.v1", dept, []byte(b.String()))
}

func writeLP(h hash.Hash, s string) {
	h.Write(binary.AppendUvarint(nil, uint64(len(s))))
	h.Write([]byte(s))
}
