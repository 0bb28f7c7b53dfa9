package chaincode

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/certledger/certledger/credential"
)

// maxHolderShards bounds the holder shards one holder query reads. A shard
// prefix holds one key per batch of the channel (a batch of 8,192 leaves
// fills almost every one of the 256), so this is about the number of
// batches a page looks through before it answers short, with a cursor.
const maxHolderShards = 2000

// holderShardScan is how many shards one range scan reads.
const holderShardScan = 100

// afterShard is the leaf index a cursor names to resume after a whole
// shard: no leaf index is higher.
const afterShard = credential.MaxAnchorLeaves - 1

// holderGroup is the query's references that share a holder shard.
type holderGroup struct {
	shard string // holderShard of the references
	refs  []string
}

func (g holderGroup) has(ref string) bool {
	for _, r := range g.refs {
		if r == ref {
			return true
		}
	}
	return false
}

// holderGroups groups sorted references by their shard, in order.
func holderGroups(refs []string) []holderGroup {
	var out []holderGroup
	for _, r := range refs {
		if n := len(out); n > 0 && out[n-1].shard == holderShard(r) {
			out[n-1].refs = append(out[n-1].refs, r)
			continue
		}
		out = append(out, holderGroup{shard: holderShard(r), refs: []string{r}})
	}
	return out
}

// holderPos is a parsed page cursor.
type holderPos struct {
	ref string
	// key is the single index key to resume after (single issuances).
	key string
	// anchored: resume in the shards of ref's group, after leaf index of
	// shard (a holder shard key), or at the first shard when shard is "".
	anchored bool
	shard    string
	index    int
}

// holderCursor parses a page cursor: <reference>/<type code>.<issuer>.<serial>,
// <reference>/~<issuer code>/<type code>/<token>/<leaf, 4 digits> or
// <reference>/~. An empty cursor starts before every reference.
func holderCursor(after string) (holderPos, error) {
	if after == "" {
		return holderPos{}, nil
	}
	bad := credential.Errorf(credential.ReasonInvalidRequest, "the page cursor %q is not one this ledger returned", truncated(after))
	ref, rest, ok := strings.Cut(after, "/")
	if !ok || !validHex(ref, 64) {
		return holderPos{}, bad
	}
	batch, anchored := strings.CutPrefix(rest, anchorIndexMark)
	if !anchored {
		if !validLineage(rest) {
			return holderPos{}, bad
		}
		return holderPos{ref: ref, key: prefixHolderIndex + after}, nil
	}
	p := holderPos{ref: ref, anchored: true}
	if batch == "" {
		return p, nil
	}
	name, index, ok := parseBatchPos(batch)
	if !ok {
		return holderPos{}, bad
	}
	p.shard, p.index = prefixAnchorHolder+holderShard(ref)+"/"+name, index
	return p, nil
}

// parseBatchPos parses <issuer code>/<type code>/<token>/<leaf, 4 digits>,
// a leaf's position in a batch as cursors spell it.
func parseBatchPos(s string) (name string, index int, ok bool) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 || len(s)-i-1 != 4 {
		return "", 0, false
	}
	name = s[:i]
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 0 || n >= credential.MaxAnchorLeaves || strings.Trim(s[i+1:], "0123456789") != "" {
		return "", 0, false
	}
	if _, ok := (leafRef{name: name, index: n}).id(1); !ok {
		return "", 0, false
	}
	return name, n, true
}

// batchPos spells leaf index of batch name in a cursor.
func batchPos(name string, index int) string { return fmt.Sprintf("%s/%04d", name, index) }

// holderCand is one entry of a holder's list: a single issuance's index
// entry, or a leaf of an anchored batch listed in a holder shard.
type holderCand struct {
	pos  string // the cursor that resumes after it
	ref  string // the reference it is listed under
	kv   KV
	leaf *leafRef
}

// holderScan gathers a page's candidates.
type holderScan struct {
	br     BoundedRanger
	want   int // candidates a page looks for: its size and one more
	shards int // shards the query may still read
	cands  []holderCand
	stop   string // the cursor where the shard bound stopped the scan
}

func (s *holderScan) full() bool { return len(s.cands) >= s.want }

// singles lists the single issuances of g's references, from cursor from
// when it is in g.
func (s *holderScan) singles(g holderGroup, from *holderPos) error {
	for _, ref := range g.refs {
		if from != nil && ref < from.ref {
			continue
		}
		prefix := holderIndexPrefix(ref)
		start, n, skip := prefix, s.want-len(s.cands), ""
		if from != nil && ref == from.ref {
			// The cursor names the last entry of the previous page.
			start, n, skip = from.key, n+1, from.key
		}
		kvs, err := s.br.StateRangeN(start, prefixEnd(prefix), n)
		if err != nil {
			return ledgerErr("scan "+start, err)
		}
		for _, kv := range kvs {
			if kv.Key != skip {
				s.cands = append(s.cands, holderCand{pos: strings.TrimPrefix(kv.Key, prefixHolderIndex), ref: ref, kv: kv})
			}
		}
		if s.full() {
			s.cands = s.cands[:s.want]
			return nil
		}
	}
	return nil
}

// anchored lists the anchored credentials of g's references from their
// holder shards, from cursor from when it is in g's shards: every
// department's batches that list a reference starting as g's do. A shard
// that names none of g's references is passed over undecoded.
func (s *holderScan) anchored(g holderGroup, from *holderPos) error {
	p := prefixAnchorHolder + g.shard + "/"
	start, end := p, prefixEnd(p)
	resume, after := "", -1
	if from != nil && from.shard != "" {
		start, resume, after = from.shard, from.shard, from.index
	}
	refs := make([][]byte, len(g.refs))
	for i, r := range g.refs {
		refs[i] = refBytes(r)
	}
	last := ""
	for s.shards > 0 {
		n := min(s.shards, holderShardScan)
		kvs, err := s.br.StateRangeN(start, end, n)
		if err != nil {
			return ledgerErr("scan "+start, err)
		}
		s.shards -= len(kvs)
		for _, kv := range kvs {
			last = kv.Key
			if !mentionsAny(kv.Value, refs) {
				continue
			}
			entries, err := decodeHolderShard(kv.Value)
			if err != nil {
				return ledgerErr("decode "+kv.Key, err)
			}
			name := kv.Key[len(p):]
			for _, e := range entries {
				if kv.Key == resume && e.Index <= after || !g.has(e.HolderRef) {
					continue
				}
				s.cands = append(s.cands, holderCand{pos: e.HolderRef + "/" + anchorIndexMark + batchPos(name, e.Index), ref: e.HolderRef,
					leaf: &leafRef{name: name, index: e.Index}})
				if s.full() {
					return nil
				}
			}
		}
		if len(kvs) < n {
			return nil
		}
		start = kvs[len(kvs)-1].Key + "\x00"
	}
	// The bound stopped the scan: the next page resumes after the last
	// shard read, or at the group's first when none was.
	s.stop = g.refs[0] + "/" + anchorIndexMark
	if last != "" {
		s.stop += batchPos(last[len(p):], afterShard)
	} else if from != nil && from.shard != "" {
		s.stop += batchPos(from.shard[len(p):], from.index)
	}
	return nil
}

// mentionsAny reports whether any of refs occurs in b.
func mentionsAny(b []byte, refs [][]byte) bool {
	for _, r := range refs {
		if bytes.Contains(b, r) {
			return true
		}
	}
	return false
}
