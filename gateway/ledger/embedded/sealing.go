package embedded

import (
	"bytes"
	"fmt"

	"github.com/certledger/certledger/gateway/atrest"
	bolt "go.etcd.io/bbolt"
)

// Private-collection values (the signed documents, with the holder's name
// and ID number) are sealed where they meet bbolt and nowhere else: the
// contract, the log and the state digest see the plaintext, so sealing
// them under another KEK changes neither the log nor ledger.tip
// (docs/decisions/0009-encryption-at-rest.md). Public state, policies, key
// history and the log hold no personal data and stay in clear, as on every
// Fabric peer.

// privateAD is the associated data of a private value: its bucket and key,
// so a sealed value moved to another key does not open.
func privateAD(key []byte) []byte {
	ad := make([]byte, 0, len(bucketPrivate)+1+len(key))
	ad = append(append(append(ad, bucketPrivate...), 0), key...)
	return ad
}

func sealPrivate(s *atrest.Sealer, key string, plain []byte) []byte {
	return s.Seal(nil, plain, privateAD([]byte(key)))
}

// plainValue returns the plaintext of a stored value of bucket: private
// values are opened with s; s nil means they are stored in clear (a file of
// format 1, before it is rewritten).
func plainValue(s *atrest.Sealer, bucket, key, stored []byte) ([]byte, error) {
	if s == nil || !bytes.Equal(bucket, bucketPrivate) {
		return stored, nil
	}
	plain, err := s.Open(nil, stored, privateAD(key))
	if err != nil {
		return nil, &ChainError{Reason: fmt.Sprintf("private value %q does not decrypt (%v): it was changed outside the ledger", key, err)}
	}
	return plain, nil
}

// checkKEK refuses a sealed file whose KEK record names another KEK than
// s's, before anything is decrypted.
func checkKEK(btx *bolt.Tx, s *atrest.Sealer, path string) error {
	var recorded []byte
	if meta := btx.Bucket(bucketMeta); meta != nil {
		recorded = meta.Get(keyKEK)
	}
	if recorded == nil {
		return fmt.Errorf("embedded: %s has a sealed ledger format but no record of its key-encryption key: not a ledger file, or damaged", path)
	}
	if string(recorded) != s.KEKID() {
		return &atrest.WrongKEKError{Path: path, Sealed: string(recorded), Given: s.KEKID()}
	}
	return nil
}
