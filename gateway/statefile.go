package gateway

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/certledger/certledger/gateway/atrest"
	bolt "go.etcd.io/bbolt"
)

// sealedStateFile is a bbolt file of Config.StateDir holding values sealed
// under the KEK. It records its KEK's ID in a meta bucket, so a wrong KEK
// is refused by name and `certledger kek rotate` can tell which KEK sealed
// it (docs/decisions/0009-encryption-at-rest.md).
type sealedStateFile struct {
	name    string
	purpose string
	// reseal returns the value v stored at key k of the bucket at path with
	// what it seals opened by from and, when to is not nil, sealed again by
	// to. A value holding nothing sealed comes back as it is.
	reseal func(path [][]byte, k, v []byte, from, to *atrest.Sealer) ([]byte, error)
}

var (
	stateMetaBucket = []byte("meta")
	stateKEKKey     = []byte("kek")
)

// sealedStateFiles are the files `certledger kek rotate` rekeys besides
// the keystore and the ledger. sessions.db is not one: it holds random
// IDs of ended sessions and their expiry, nothing sealed or secret.
var sealedStateFiles = []sealedStateFile{webhooksFile, batchesFile}

// recordedKEK is the ID of the KEK the file records; "" for a file written
// before it recorded one.
func recordedKEK(tx *bolt.Tx) string {
	if m := tx.Bucket(stateMetaBucket); m != nil {
		return string(m.Get(stateKEKKey))
	}
	return ""
}

// eachValue calls fn with every value of the file but its meta bucket, and
// the path of buckets holding it.
func eachValue(tx *bolt.Tx, fn func(path [][]byte, k, v []byte) error) error {
	var walk func(path [][]byte, b *bolt.Bucket) error
	walk = func(path [][]byte, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if nested := b.Bucket(k); v == nil && nested != nil {
				return walk(append(slices.Clip(path), k), nested)
			}
			return fn(path, k, v)
		})
	}
	return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		if bytes.Equal(name, stateMetaBucket) {
			return nil
		}
		return walk([][]byte{name}, b)
	})
}

// opens reports an error unless every sealed value of the file opens
// under kek.
func (f sealedStateFile) opens(tx *bolt.Tx, kek atrest.KEK) error {
	s := kek.Sealer(f.purpose)
	return eachValue(tx, func(path [][]byte, k, v []byte) error {
		_, err := f.reseal(path, k, v, s, nil)
		return err
	})
}

// claim checks, in the transaction that opens the file, that it is sealed
// under kek, and records kek's ID in a new file or one written before
// files recorded it (whose values must then open under kek).
func (f sealedStateFile) claim(tx *bolt.Tx, path string, kek atrest.KEK) error {
	switch id := recordedKEK(tx); id {
	case kek.ID():
		return nil
	case "":
		if err := f.opens(tx, kek); err != nil {
			return fmt.Errorf("%s: not sealed with the key-encryption key %s: %w", path, kek.ID(), err)
		}
		m, err := tx.CreateBucketIfNotExists(stateMetaBucket)
		if err != nil {
			return err
		}
		return m.Put(stateKEKKey, []byte(kek.ID()))
	default:
		return &atrest.WrongKEKError{Path: path, Sealed: id, Given: kek.ID()}
	}
}

// sealedUnder tells which of from and to the file is sealed under: the
// KEK it records or, for a file that records none, the one its values
// open under (to first: an empty file is under both).
func (f sealedStateFile) sealedUnder(tx *bolt.Tx, path string, from, to atrest.KEK) (atrest.KEK, error) {
	switch id := recordedKEK(tx); id {
	case from.ID():
		return from, nil
	case to.ID():
		return to, nil
	case "":
		if f.opens(tx, to) == nil {
			return to, nil
		}
		if err := f.opens(tx, from); err != nil {
			return atrest.KEK{}, fmt.Errorf("%s: sealed with neither %s nor %s: %w", path, from.ID(), to.ID(), err)
		}
		return from, nil
	default:
		return atrest.KEK{}, &atrest.WrongKEKError{Path: path, Sealed: id, Given: from.ID()}
	}
}
