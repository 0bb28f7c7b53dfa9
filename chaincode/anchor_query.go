package chaincode

import (
	"strings"

	"github.com/certledger/certledger/credential"
)

// AnchorKeyPrefix starts the state key of every anchored batch (its
// credential.Anchor), and no other key: a backend reading a transaction's
// write set finds its anchoring by it.
const AnchorKeyPrefix = prefixAnchor

// IsAnchorKey reports whether a state key holds an anchored batch.
func IsAnchorKey(key string) bool { return strings.HasPrefix(key, AnchorKeyPrefix) }

// AnchorKeyOf is the state key of the batch an identifier of anchored shape
// (version 1, anchored serial) would belong to, and its leaf index; ok is
// false for any other identifier. Backends use it to date an anchored
// credential by its batch.
func AnchorKeyOf(id string) (key string, index int, ok bool) {
	p, err := credential.ParseIdentifier(id)
	if err != nil || p.Version != 1 {
		return "", 0, false
	}
	token, i, shaped := credential.IsAnchoredSerial(p.Serial)
	if !shaped {
		return "", 0, false
	}
	return anchorKey(p.Issuer, p.TypeCode, token), i, true
}

// GetAnchorLeaves returns the leaves of the chunk of an anchored batch that
// holds credential id: chunk i/AnchorChunkSize of the batch, for id's leaf
// index i, from its first leaf on. Leaves are public and never rewritten, so
// any peer that committed the anchoring answers the same: the change feeds
// expand an anchoring event, which carries no leaves, with it.
func GetAnchorLeaves(tx Tx, id string) ([]credential.AnchorLeaf, error) {
	if _, err := credential.ParseIdentifier(id); err != nil {
		return nil, err
	}
	a, i, ok, err := anchorOf(tx, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, credential.Errorf(credential.ReasonCredentialNotFound, "%s is not a credential of an anchored batch on the ledger", id)
	}
	return anchorLeaves(tx, a, i/credential.AnchorChunkSize)
}
