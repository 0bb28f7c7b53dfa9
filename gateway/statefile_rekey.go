package gateway

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/certledger/certledger/gateway/atrest"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// stateRewriteSuffix names the file a rekey builds beside a state file
// before renaming it into place; one left by a crash is replaced by the
// next rekey.
const stateRewriteSuffix = ".rewrite"

// stateRewriteChunk bounds the bytes copied per transaction of the new
// file; it is not the store until the rename, so partial commits are
// harmless.
const stateRewriteChunk = 32 << 20

// stateLockTimeout is how long a rekey waits for a gateway to let go of a
// state file.
const stateLockTimeout = 2 * time.Second

// SealedStateFiles names the files of Config.StateDir sealed under the
// KEK (webhook secrets, bulk import rows), which `certledger kek rotate`
// seals under the new KEK with CheckStateFileKEK and RekeyStateFile.
func SealedStateFiles() []string {
	names := make([]string, len(sealedStateFiles))
	for i, f := range sealedStateFiles {
		names[i] = f.name
	}
	return names
}

func stateFile(name string) (sealedStateFile, error) {
	for _, f := range sealedStateFiles {
		if f.name == name {
			return f, nil
		}
	}
	return sealedStateFile{}, fmt.Errorf("%s is not a sealed state file", name)
}

func openStateFile(path string, readOnly bool) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: readOnly, Timeout: stateLockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%s is in use: stop the gateway first", path)
	}
	return db, err
}

// CheckStateFileKEK checks, writing nothing, that the state file name in
// dir is sealed under from or to and that every value opens under it; it
// waits for a gateway holding the file, and fails if none lets go.
func CheckStateFileKEK(dir, name string, from, to atrest.KEK) error {
	f, err := stateFile(name)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, name)
	db, err := openStateFile(path, true)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		under, err := f.sealedUnder(tx, path, from, to)
		if err != nil {
			return err
		}
		if err := f.opens(tx, under); err != nil {
			return fmt.Errorf("%s is damaged or was altered: %w", path, err)
		}
		return nil
	})
}

// RekeyStateFile seals the state file name in dir under the KEK to. A file
// under from is copied into a new file with every sealed value opened and
// sealed again, and the copy renamed into place, so a crash leaves it
// wholly under one KEK or the other; a file already under to is left as it
// is. changed reports whether the file was rewritten.
func RekeyStateFile(dir, name string, from, to atrest.KEK) (changed bool, err error) {
	if !from.Valid() || !to.Valid() {
		return false, errors.New("RekeyStateFile needs the old and the new key-encryption key")
	}
	f, err := stateFile(name)
	if err != nil {
		return false, err
	}
	path := filepath.Join(dir, name)
	db, err := openStateFile(path, false)
	if err != nil {
		return false, err
	}
	defer db.Close()
	var under atrest.KEK
	if err := db.View(func(tx *bolt.Tx) (err error) {
		under, err = f.sealedUnder(tx, path, from, to)
		return err
	}); err != nil {
		return false, err
	}
	if under.ID() == to.ID() {
		// Claiming proves that the file opens under to, and records to in
		// a file written before files recorded their KEK.
		return false, db.Update(func(tx *bolt.Tx) error {
			if err := f.opens(tx, to); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			return f.claim(tx, path, to)
		})
	}
	if err := f.rewrite(db, path, from, to); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// rewrite copies the file in db into a new one with its sealed values
// under to and renames it over path. A copy rather than an update in
// place, because bbolt reuses freed pages without clearing them: the
// values sealed under the old KEK would stay in the file.
func (f sealedStateFile) rewrite(db *bolt.DB, path string, from, to atrest.KEK) (err error) {
	tmpPath := path + stateRewriteSuffix
	if err := os.Remove(tmpPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dst, err := bolt.Open(tmpPath, 0o600, nil)
	if err != nil {
		return err
	}
	defer func() {
		if dst != nil {
			dst.Close()
		}
		if err != nil {
			os.Remove(tmpPath)
		}
	}()
	c := &boltCopy{db: dst}
	if c.tx, err = dst.Begin(true); err != nil {
		return err
	}
	defer func() {
		if c.tx != nil {
			_ = c.tx.Rollback()
		}
	}()
	fromS, toS := from.Sealer(f.purpose), to.Sealer(f.purpose)
	conv := func(path [][]byte, k, v []byte) ([]byte, error) { return f.reseal(path, k, v, fromS, toS) }
	if err := db.View(func(src *bolt.Tx) error {
		return src.ForEach(func(name []byte, b *bolt.Bucket) error {
			if string(name) == string(stateMetaBucket) {
				return nil
			}
			return c.copy([][]byte{name}, b, conv)
		})
	}); err != nil {
		return err
	}
	m, err := c.tx.CreateBucket(stateMetaBucket)
	if err != nil {
		return err
	}
	if err := m.Put(stateKEKKey, []byte(to.ID())); err != nil {
		return err
	}
	err, c.tx = c.tx.Commit(), nil
	if err != nil {
		return err
	}
	err, dst = dst.Close(), nil
	if err != nil {
		return err
	}
	if err := os.Rename(tmpPath, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// boltCopy copies buckets into db, committing every stateRewriteChunk
// bytes so a large file is not held in memory at once.
type boltCopy struct {
	db   *bolt.DB
	tx   *bolt.Tx
	size int
}

func (c *boltCopy) bucket(path [][]byte) *bolt.Bucket {
	b := c.tx.Bucket(path[0])
	for _, p := range path[1:] {
		b = b.Bucket(p)
	}
	return b
}

// copy creates the bucket at path and copies src into it with its nested
// buckets and sequence numbers, passing each value through conv.
func (c *boltCopy) copy(path [][]byte, src *bolt.Bucket, conv func(path [][]byte, k, v []byte) ([]byte, error)) error {
	var dst *bolt.Bucket
	var err error
	if len(path) == 1 {
		dst, err = c.tx.CreateBucket(path[0])
	} else {
		dst, err = c.bucket(path[:len(path)-1]).CreateBucket(path[len(path)-1])
	}
	if err != nil {
		return err
	}
	if err := dst.SetSequence(src.Sequence()); err != nil {
		return err
	}
	cur := src.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if nested := src.Bucket(k); v == nil && nested != nil {
			if err := c.copy(append(slices.Clip(path), k), nested, conv); err != nil {
				return err
			}
			dst = nil // a commit within may have ended the transaction
			continue
		}
		if v, err = conv(path, k, v); err != nil {
			return err
		}
		if dst == nil {
			dst = c.bucket(path)
		}
		dst.FillPercent = 1 // keys arrive in order: fill pages instead of splitting them
		if err := dst.Put(k, v); err != nil {
			return err
		}
		if c.size += len(k) + len(v); c.size >= stateRewriteChunk {
			err, c.tx = c.tx.Commit(), nil
			if err != nil {
				return err
			}
			if c.tx, err = c.db.Begin(true); err != nil {
				return err
			}
			c.size, dst = 0, nil
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
