package chaincode

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/certledger/certledger/credential"
)

// A batch is listed once in its department's index and once per holder
// shard, never once per credential (docs/decisions/0021-anchored-batches.md):
//
//	deptidx/<issuer>/<inverted issuance time>/~<type code>/<token> -> anchorIndexEntry
//	anchorholder/<first hex digit of holder ref>/<issuer code>/<type code>/<token> -> []anchorHolderEntry
const (
	prefixAnchorHolder = "anchorholder/"
	// anchorIndexMark starts the department index entry of a batch; an
	// identifier starts with a digit, so the two never meet.
	anchorIndexMark = "~"
)

// anchorIndexEntry is a batch's entry in its department's index.
type anchorIndexEntry struct {
	Anchor string `json:"anchor"` // anchorName
}

// anchorHolderEntry is one credential of a batch in a holder shard.
type anchorHolderEntry struct {
	HolderRef string `json:"h"`
	Index     int    `json:"i"`
}

// holderShard is the shard of a holder reference: its first hex digit.
// Sixteen shards a batch keep a batch's keys (each with a key-level policy
// every peer checks) few, while a holder lookup still reads a sixteenth of
// each batch's references.
func holderShard(ref string) string { return ref[:1] }

func anchorHolderKey(shard string, a credential.Anchor) string {
	return prefixAnchorHolder + shard + "/" + anchorNameOf(a)
}

func anchorDeptIndexKey(a credential.Anchor) string {
	return deptIndexPrefix(a.Issuer) + invertedTime(a.IssuedAt) + "/" + anchorIndexMark + a.Type + "/" + a.Token
}

// indexAnchorHolders writes the batch's holder shards: each holds the
// leaves whose holder reference starts with the shard's hex digit.
func indexAnchorHolders(tx Tx, a credential.Anchor, leaves []credential.AnchorLeaf, mspID string) error {
	shards := map[string][]anchorHolderEntry{}
	for i, l := range leaves {
		s := holderShard(l.HolderRef)
		shards[s] = append(shards[s], anchorHolderEntry{HolderRef: l.HolderRef, Index: i})
	}
	names := make([]string, 0, len(shards))
	for s := range shards {
		names = append(names, s)
	}
	slices.Sort(names)
	for _, s := range names {
		k := anchorHolderKey(s, a)
		b, err := encodeHolderShard(shards[s])
		if err != nil {
			return err
		}
		if err := putRawRestricted(tx, k, b, mspID); err != nil {
			return err
		}
	}
	return nil
}

// holderEntrySize is a shard entry's stored size: the leaf index, then the
// holder reference's 32 bytes. Shards hold a copy of every holder reference
// of a batch, so they are binary like the leaves.
const holderEntrySize = 2 + 32

func encodeHolderShard(entries []anchorHolderEntry) ([]byte, error) {
	out := make([]byte, len(entries)*holderEntrySize)
	for i, e := range entries {
		b := out[i*holderEntrySize:]
		binary.BigEndian.PutUint16(b, uint16(e.Index))
		if n, err := hex.Decode(b[2:holderEntrySize], []byte(e.HolderRef)); err != nil || n != 32 {
			return nil, credential.Errorf(credential.ReasonInvalidField, "holderRef must be 64 hex characters")
		}
	}
	return out, nil
}

func decodeHolderShard(b []byte) ([]anchorHolderEntry, error) {
	if len(b)%holderEntrySize != 0 {
		return nil, fmt.Errorf("a holder shard of %d bytes is not a multiple of %d", len(b), holderEntrySize)
	}
	out := make([]anchorHolderEntry, len(b)/holderEntrySize)
	for i := range out {
		p := b[i*holderEntrySize:]
		out[i] = anchorHolderEntry{Index: int(binary.BigEndian.Uint16(p)), HolderRef: hex.EncodeToString(p[2:holderEntrySize])}
	}
	return out, nil
}

// refBytes is a holder reference as shards store it; nil for one that is
// not hex, which no shard can hold.
func refBytes(ref string) []byte {
	b, err := hex.DecodeString(ref)
	if err != nil {
		return nil
	}
	return b
}

// indexAnchorDepartment lists the batch in its department's index.
func indexAnchorDepartment(tx Tx, a credential.Anchor, mspID string) error {
	return putRestricted(tx, anchorDeptIndexKey(a), anchorIndexEntry{Anchor: anchorNameOf(a)}, mspID)
}
