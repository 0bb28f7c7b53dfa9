package chaincode

import (
	"slices"

	"github.com/certledger/certledger/credential"
)

// A batch is listed once in its department's index and once per holder
// shard, never once per credential (docs/decisions/0021-anchored-batches.md):
//
//	deptidx/<issuer>/<inverted issuance time>/~<type code>/<token> -> anchorIndexEntry
//	anchorholder/<first 2 hex of holder ref>/<issuer code>/<type code>/<token> -> []anchorHolderEntry
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

func anchorHolderKey(shard string, a credential.Anchor) string {
	return prefixAnchorHolder + shard + "/" + anchorNameOf(a)
}

func anchorDeptIndexKey(a credential.Anchor) string {
	return deptIndexPrefix(a.Issuer) + invertedTime(a.IssuedAt) + "/" + anchorIndexMark + a.Type + "/" + a.Token
}

// indexAnchorHolders writes the batch's holder shards: each holds the
// leaves whose holder reference starts with the shard's two hex digits.
func indexAnchorHolders(tx Tx, a credential.Anchor, leaves []credential.AnchorLeaf, mspID string) error {
	shards := map[string][]anchorHolderEntry{}
	for i, l := range leaves {
		s := l.HolderRef[:2]
		shards[s] = append(shards[s], anchorHolderEntry{HolderRef: l.HolderRef, Index: i})
	}
	names := make([]string, 0, len(shards))
	for s := range shards {
		names = append(names, s)
	}
	slices.Sort(names)
	for _, s := range names {
		if err := putRestricted(tx, anchorHolderKey(s, a), shards[s], mspID); err != nil {
			return err
		}
	}
	return nil
}

// indexAnchorDepartment lists the batch in its department's index.
func indexAnchorDepartment(tx Tx, a credential.Anchor, mspID string) error {
	return putRestricted(tx, anchorDeptIndexKey(a), anchorIndexEntry{Anchor: anchorNameOf(a)}, mspID)
}
