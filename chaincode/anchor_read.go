package chaincode

import (
	"fmt"
	"strings"

	"github.com/certledger/certledger/credential"
)

// Lists (the holder lookup, the register) name anchored credentials by
// their batch and leaf index; anchorReader turns those into current
// records, reading each batch and chunk of leaves at most once per query.

// leafRef is leaf index of the batch stored under name (anchorName).
type leafRef struct {
	name  string
	index int
}

// id is the identifier of version v of the leaf's credential; ok is false
// for a name that is not issuer code/type code/token.
func (l leafRef) id(v int) (string, bool) {
	code, rest, _ := strings.Cut(l.name, "/")
	typeCode, token, _ := strings.Cut(rest, "/")
	if !credential.ValidUSCC(code) || !credential.ValidTypeCode(typeCode) || !credential.ValidAnchorToken(token) ||
		l.index < 0 || l.index >= credential.MaxAnchorLeaves {
		return "", false
	}
	return credential.Identifier{TypeCode: typeCode, Issuer: code, Serial: credential.AnchoredSerial(token, l.index), Version: v}.String(), true
}

type anchorReader struct {
	tx      Tx
	anchors map[string]*credential.Anchor // by name; nil: not on the ledger
	chunks  map[string][]credential.AnchorLeaf
}

func newAnchorReader(tx Tx) *anchorReader {
	return &anchorReader{tx: tx, anchors: map[string]*credential.Anchor{}, chunks: map[string][]credential.AnchorLeaf{}}
}

// anchor reads the batch stored under name.
func (r *anchorReader) anchor(name string) (credential.Anchor, bool, error) {
	if a, ok := r.anchors[name]; ok {
		if a == nil {
			return credential.Anchor{}, false, nil
		}
		return *a, true, nil
	}
	var a credential.Anchor
	found, err := getJSON(r.tx, prefixAnchor+name, &a)
	if err != nil {
		return a, false, err
	}
	if !found || anchorNameOf(a) != name {
		r.anchors[name] = nil
		return credential.Anchor{}, false, nil
	}
	r.anchors[name] = &a
	return a, true, nil
}

// leaves reads chunk c of a's leaves.
func (r *anchorReader) leaves(a credential.Anchor, c int) ([]credential.AnchorLeaf, error) {
	k := anchorLeafKey(a, c)
	if l, ok := r.chunks[k]; ok {
		return l, nil
	}
	l, err := anchorLeaves(r.tx, a, c)
	if err != nil {
		return nil, err
	}
	r.chunks[k] = l
	return l, nil
}

// derived is the record of leaf i of a as its batch recorded it.
func (r *anchorReader) derived(a credential.Anchor, i int) (credential.Record, error) {
	l, err := r.leaves(a, i/credential.AnchorChunkSize)
	if err != nil {
		return credential.Record{}, err
	}
	return a.Record(i, l[i%credential.AnchorChunkSize]), nil
}

// current returns the current record of each leaf: its own record when a
// change wrote one, else the one derived from its batch; nil for a leaf
// not on the ledger or one a newer version replaced (listed on its own, as
// a single issuance). One round trip reads every leaf's versions 1 and 2.
func (r *anchorReader) current(refs []leafRef) ([]*credential.Record, error) {
	out := make([]*credential.Record, len(refs))
	ids := make([]string, 0, 2*len(refs))
	for _, l := range refs {
		v1, ok := l.id(1)
		if !ok {
			return nil, ledgerErr("list batch "+l.name, errMissingRecord)
		}
		v2, _ := l.id(2)
		ids = append(ids, v1, v2)
	}
	values, err := readRecords(r.tx, ids)
	if err != nil {
		return nil, err
	}
	for k, l := range refs {
		own, next := values[2*k], values[2*k+1]
		if next != nil {
			continue
		}
		if own != nil {
			var rec credential.Record
			if err := decodeListed(own, &rec); err != nil {
				return nil, ledgerErr("decode "+recordKey(ids[2*k]), err)
			}
			out[k] = &rec
			continue
		}
		a, found, err := r.anchor(l.name)
		if err != nil {
			return nil, err
		}
		if !found || l.index >= a.Count {
			continue
		}
		rec, err := r.derived(a, l.index)
		if err != nil {
			return nil, err
		}
		out[k] = &rec
	}
	return out, nil
}

// window returns the current records of leaves [from, to) of a, which lie
// in one chunk, as current does: the chunk of leaves, and one bounded range
// scan (in pieces) of the records the batch's changes wrote for them, which
// a batch no one changed has none of.
func (r *anchorReader) window(br BoundedRanger, a credential.Anchor, from, to int) ([]*credential.Record, error) {
	if from/credential.AnchorChunkSize != (to-1)/credential.AnchorChunkSize {
		return nil, ledgerErr(fmt.Sprintf("read leaves %d to %d of batch %s", from, to, a.Token), errMissingRecord)
	}
	serial := func(i int) string {
		return recordKey(credential.IdentifierPrefix + a.Type + "." + a.IssuerCode + "." + credential.AnchoredSerial(a.Token, i))
	}
	own := make([][]byte, to-from)
	replaced := make([]bool, to-from)
	start, end := serial(from), serial(to)
	for n := 2*(to-from) + 1; ; {
		kvs, err := br.StateRangeN(start, end, n)
		if err != nil {
			return nil, ledgerErr("scan "+start, err)
		}
		for _, kv := range kvs {
			id, err := credential.ParseIdentifier(kv.Key[len(prefixRecord):])
			if err != nil {
				continue
			}
			tok, i, ok := credential.IsAnchoredSerial(id.Serial)
			if !ok || tok != a.Token || i < from || i >= to {
				continue // a longer serial sharing the prefix is no leaf
			}
			if id.Version == 1 {
				own[i-from] = kv.Value
			} else {
				replaced[i-from] = true
			}
		}
		if len(kvs) < n {
			break
		}
		start = kvs[len(kvs)-1].Key + "\x00"
	}
	leaves, err := r.leaves(a, from/credential.AnchorChunkSize)
	if err != nil {
		return nil, err
	}
	out := make([]*credential.Record, to-from)
	for i := from; i < to; i++ {
		switch {
		case replaced[i-from]:
			continue
		case own[i-from] != nil:
			var rec credential.Record
			if err := decodeListed(own[i-from], &rec); err != nil {
				return nil, ledgerErr("decode the record of "+a.CredentialID(i), err)
			}
			out[i-from] = &rec
		default:
			rec := a.Record(i, leaves[i%credential.AnchorChunkSize])
			out[i-from] = &rec
		}
	}
	return out, nil
}
