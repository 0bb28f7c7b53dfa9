package chaincode

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/certledger/certledger/credential"
)

// The register lists a batch, one department index entry, as its leaves in
// leaf order, where the entry sorts: after the single issuances of the same
// instant. A leaf's position, and the cursor that resumes after it, is
// <inverted time>/~<type code>/<token>/<leaf, 4 digits>; a single
// issuance's stays <inverted time>/<identifier>. Each leaf looked at counts
// as one scanned entry against credential.MaxRegisterScan, so a page can
// stop inside a batch of 8,192 leaves; leaves are read a chunk at a time.

// registerPos is a parsed register cursor.
type registerPos struct {
	pos string // the cursor itself: the position to resume after
	// batch is the index key, after the department prefix, of the batch a
	// leaf cursor stops in, and leaf its leaf index; "" for an entry.
	batch string
	leaf  int
}

// registerCursor checks a page cursor, <inverted time>/<identifier> or
// <inverted time>/~<type code>/<token>/<leaf>, as the register returns them.
func registerCursor(after string) (registerPos, error) {
	if after == "" {
		return registerPos{}, nil
	}
	bad := credential.Errorf(credential.ReasonInvalidRequest, "the page cursor %q is not one this ledger returned", truncated(after))
	inv, rest, ok := strings.Cut(after, "/")
	if !ok || len(inv) != 19 || strings.Trim(inv, "0123456789") != "" {
		return registerPos{}, bad
	}
	batch, anchored := strings.CutPrefix(rest, anchorIndexMark)
	if !anchored {
		if _, err := credential.ParseIdentifier(rest); err != nil {
			return registerPos{}, bad
		}
		return registerPos{pos: after}, nil
	}
	typeCode, tail, _ := strings.Cut(batch, "/")
	token, leaf, _ := strings.Cut(tail, "/")
	n, err := strconv.Atoi(leaf)
	if !credential.ValidTypeCode(typeCode) || !credential.ValidAnchorToken(token) || len(leaf) != 4 ||
		strings.Trim(leaf, "0123456789") != "" || err != nil || n >= credential.MaxAnchorLeaves {
		return registerPos{}, bad
	}
	return registerPos{pos: after, batch: inv + "/" + anchorIndexMark + typeCode + "/" + token, leaf: n}, nil
}

// registerWalk gathers a register page from department index entries.
type registerWalk struct {
	tx      Tx
	br      BoundedRanger
	f       registerFilter
	prefix  string
	limit   int
	page    *credential.RegisterPage
	anchors *anchorReader
	// keys[i] is the position of page.Records[i]; one more record than the
	// page holds tells that another page follows.
	keys []string
	// last is the position of the last entry or leaf looked at.
	last string
	// resumeKey is the batch entry a leaf cursor resumes in, at resumeLeaf.
	resumeKey  string
	resumeLeaf int
	// stopped: the scan bound stopped the walk inside a batch.
	stopped bool
}

func (w *registerWalk) full() bool { return len(w.keys) > w.limit }

func (w *registerWalk) add(pos string, rec credential.Record) {
	if len(w.keys) <= w.limit {
		w.keys = append(w.keys, pos)
		w.page.Records = append(w.page.Records, rec)
	}
}

// entries looks at index entries in order: runs of single issuances are
// read together, a batch is expanded where it stands.
func (w *registerWalk) entries(kvs []KV) error {
	run := 0
	for i := 0; i <= len(kvs); i++ {
		if i < len(kvs) && !w.isBatch(kvs[i].Key) {
			continue
		}
		if err := w.singles(kvs[run:i]); err != nil {
			return err
		}
		if i == len(kvs) || w.full() {
			return nil
		}
		run = i + 1
		if err := w.batch(kvs[i]); err != nil {
			return err
		}
		if w.full() || w.stopped {
			return nil
		}
	}
	return nil
}

func (w *registerWalk) isBatch(key string) bool {
	_, rest, _ := strings.Cut(key[len(w.prefix):], "/")
	return strings.HasPrefix(rest, anchorIndexMark)
}

func (w *registerWalk) singles(kvs []KV) error {
	if len(kvs) == 0 {
		return nil
	}
	recs, err := w.f.records(w.tx, kvs)
	if err != nil {
		return err
	}
	for i, rec := range recs {
		if rec != nil {
			w.add(kvs[i].Key[len(w.prefix):], *rec)
		}
	}
	w.last = kvs[len(kvs)-1].Key[len(w.prefix):]
	return nil
}

// batch lists the leaves of a batch entry that pass the filters, from the
// leaf a cursor resumes at, until the page is full or the scan bound is
// reached. The entry only points: a batch of another department, type or
// token than its entry says is passed over.
func (w *registerWalk) batch(kv KV) error {
	rest := kv.Key[len(w.prefix):]
	pos := func(i int) string { return fmt.Sprintf("%s/%04d", rest, i) }
	done := pos(afterShard)
	_, tail, _ := strings.Cut(rest, "/")
	typeCode, token, _ := strings.Cut(tail[len(anchorIndexMark):], "/")
	if w.f.q.Type != "" && typeCode != w.f.q.Type {
		w.last = done
		return nil
	}
	var e anchorIndexEntry
	if err := decodeListed(kv.Value, &e); err != nil {
		return ledgerErr("decode "+kv.Key, err)
	}
	a, found, err := w.anchors.anchor(e.Anchor)
	if err != nil {
		return err
	}
	if !found || a.Issuer != w.f.q.Dept || a.Type != typeCode || a.Token != token || w.prefix+rest != anchorDeptIndexKey(a) {
		w.last = done
		return nil
	}
	from := 0
	if kv.Key == w.resumeKey {
		from = w.resumeLeaf
	}
	for i := from; i < a.Count; {
		budget := credential.MaxRegisterScan - w.page.Scanned
		if budget <= 0 {
			w.stopped = true
			return nil
		}
		to := min(a.Count, (i/credential.AnchorChunkSize+1)*credential.AnchorChunkSize, i+budget)
		recs, err := w.anchors.window(w.br, a, i, to)
		if err != nil {
			return err
		}
		w.page.Scanned += to - i
		for j, rec := range recs {
			w.last = pos(i + j)
			if rec != nil && w.f.keep(*rec) {
				w.add(w.last, *rec)
			}
		}
		if w.full() {
			return nil
		}
		i = to
	}
	w.last = done
	return nil
}

// holderRegisterLeaves lists the leaves of the department's batches (its
// issuer code) whose holder is one of refs, from their holder shards: at
// most budget shards read, one range scan per reference. listed[i] is the
// reference leaves[i] is listed under.
func holderRegisterLeaves(br BoundedRanger, refs []string, issuerCode string, budget int) (leaves []leafRef, listed []string, read int, err error) {
	for _, ref := range refs {
		p := prefixAnchorHolder + holderShard(ref) + "/" + issuerCode + "/"
		kvs, err := br.StateRangeN(p, prefixEnd(p), budget-read)
		if err != nil {
			return nil, nil, 0, ledgerErr("scan "+p, err)
		}
		read += len(kvs)
		for _, kv := range kvs {
			if !bytes.Contains(kv.Value, refBytes(ref)) {
				continue
			}
			entries, err := decodeHolderShard(kv.Value)
			if err != nil {
				return nil, nil, 0, ledgerErr("decode "+kv.Key, err)
			}
			name := kv.Key[len(prefixAnchorHolder)+len(holderShard(ref))+1:]
			for _, e := range entries {
				if e.HolderRef == ref {
					leaves, listed = append(leaves, leafRef{name: name, index: e.Index}), append(listed, ref)
				}
			}
		}
	}
	return leaves, listed, read, nil
}
