package embedded

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/certledger/certledger/gateway/atrest"
	bolt "go.etcd.io/bbolt"
)

// RewriteSuffix names the file a rewrite builds beside ledger.db before it
// renames it into place; one left by a crash is removed by the next rewrite.
const RewriteSuffix = ".rewrite"

// rewriteChunk bounds the bytes copied per bbolt transaction of the new
// file, so a large ledger is not held in memory at once. The new file is
// not the ledger until the rename, so its partial commits are harmless.
const rewriteChunk = 32 << 20

// rewrite copies the ledger in db into a new file whose private values are
// sealed with to (from opens the old ones; nil: they are in clear), records
// format version and to's KEK, and renames the file over path. The
// rename makes it all or nothing. A copy rather than an update in place,
// because bbolt reuses freed pages without clearing them: the old clear or
// old-KEK values would stay readable in the file.
func rewrite(db *bolt.DB, path string, from, to *atrest.Sealer, noSync bool, version uint64) (err error) {
	tmpPath := path + RewriteSuffix
	if err := os.Remove(tmpPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("embedded: remove %s: %w", tmpPath, err)
	}
	dst, err := bolt.Open(tmpPath, 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType, NoSync: noSync})
	if err != nil {
		return fmt.Errorf("embedded: create %s: %w", tmpPath, err)
	}
	defer func() {
		if dst != nil {
			dst.Close()
		}
		if err != nil {
			os.Remove(tmpPath)
		}
	}()
	reseal := func(k, v []byte) ([]byte, error) {
		plain, err := plainValue(from, bucketPrivate, k, v)
		if err != nil {
			return nil, err
		}
		return sealPrivate(to, string(k), plain), nil
	}
	err = db.View(func(src *bolt.Tx) error {
		return src.ForEach(func(name []byte, b *bolt.Bucket) error {
			var conv func(k, v []byte) ([]byte, error)
			if string(name) == string(bucketPrivate) {
				conv = reseal
			}
			return copyBucket(dst, name, b, conv)
		})
	})
	if err != nil {
		return fmt.Errorf("embedded: rewrite %s: %w", path, err)
	}
	if err := dst.Update(func(btx *bolt.Tx) error { return recordFormat(btx, version, to.KEKID()) }); err != nil {
		return fmt.Errorf("embedded: rewrite %s: %w", path, err)
	}
	err, dst = dst.Close(), nil
	if err != nil {
		return fmt.Errorf("embedded: rewrite %s: %w", path, err)
	}
	if err := os.Rename(tmpPath, path); err != nil {
		return fmt.Errorf("embedded: rewrite %s: %w", path, err)
	}
	if !noSync {
		if err := syncDir(filepath.Dir(path)); err != nil {
			return fmt.Errorf("embedded: rewrite %s: %w", path, err)
		}
	}
	return nil
}

// copyBucket copies the bucket src of another file into dst under name,
// passing each value through conv when it is not nil.
func copyBucket(dst *bolt.DB, name []byte, src *bolt.Bucket, conv func(k, v []byte) ([]byte, error)) error {
	tx, err := dst.Begin(true)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	b, err := tx.CreateBucket(name)
	if err != nil {
		return err
	}
	if err := b.SetSequence(src.Sequence()); err != nil {
		return err
	}
	b.FillPercent = 1 // keys arrive in order: fill pages instead of splitting them in half
	size := 0
	c := src.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			return fmt.Errorf("unexpected nested bucket %q in bucket %s", k, name)
		}
		if conv != nil {
			if v, err = conv(k, v); err != nil {
				return err
			}
		}
		if err := b.Put(k, v); err != nil {
			return err
		}
		if size += len(k) + len(v); size >= rewriteChunk {
			if err := tx.Commit(); err != nil {
				return err
			}
			if tx, err = dst.Begin(true); err != nil {
				return err
			}
			b, size = tx.Bucket(name), 0
			b.FillPercent = 1
		}
	}
	return tx.Commit()
}

// Rekey seals the private values of the ledger in dir under the KEK to. The
// ledger may be sealed under from (it is verified, then rewritten: a new
// file renamed into place, so a crash leaves it wholly under one KEK or the
// other), already under to (it is verified, nothing is written) or of
// format 1 (it is sealed under to). The log and ledger.tip do not change:
// they cover plaintext. changed reports whether the file was rewritten.
func Rekey(dir string, from, to atrest.KEK, opts ...Option) (changed bool, err error) {
	if !from.Valid() || !to.Valid() {
		return false, errors.New("embedded: Rekey needs the old and the new key-encryption key")
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		return false, fmt.Errorf("embedded: %w", err)
	}
	l, err := open(dir, from, to, opts)
	var wrong *atrest.WrongKEKError
	if errors.As(err, &wrong) && wrong.Sealed == to.ID() {
		if l, err = Open(dir, to, opts...); err != nil {
			return false, err
		}
		return false, l.Close()
	}
	if err != nil {
		return false, err
	}
	return true, l.Close()
}
