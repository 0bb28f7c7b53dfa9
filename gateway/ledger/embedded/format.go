package embedded

import (
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// formatVersion is the layout of ledger.db this program writes: its
// buckets and the encodings of state, history and log entries. A change
// that an older program would misread raises it, and so does one it would
// leave inconsistent. Format 2 seals private values (sealing.go); format 3
// also holds a complete holder index (holderindex.go), which a program of an
// earlier format would not extend as it issues, and format 4 a complete
// department index (the register, register.go), for the same reason. This
// program reads formats 1 to 3 and brings such a file to format 4 when it
// opens it. Anchored batches (decision 0021) only added key prefixes: an
// older program reads every key it knows as before and writes none of a
// batch's, so it leaves a file consistent; it just does not see batches.
const formatVersion = 4

// sealedFormat is the first format whose private values are sealed.
const sealedFormat = 2

// unrecordedFormat is the format of files written before the file recorded
// its format: they have the ledger's buckets and no format record.
const unrecordedFormat = 1

// The format and KEK records live in their own bucket, outside allBuckets,
// so they are not part of the state digest: they describe the file, not the
// ledger.
var (
	bucketMeta = []byte("meta")
	keyFormat  = []byte("format") // decimal format version
	keyKEK     = []byte("kek")    // ID of the KEK private values are sealed under (from sealedFormat)
)

// FormatError refuses a ledger file in a format this program does not read.
type FormatError struct {
	Path      string
	Version   uint64 // the file's format
	Supported uint64 // the format this program reads
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("embedded: %s has ledger format version %d, but this CertLedger reads formats up to %d: "+
		"run the CertLedger release that wrote the file (or a newer one), or restore a backup of the data folder made by this release",
		e.Path, e.Version, e.Supported)
}

// fileFormat returns the format of the file at path and whether the file
// records it. A file without a record is new (no ledger buckets), so it will
// be written in this program's format, or older, in unrecordedFormat. A
// format newer than this program's is a *FormatError.
func fileFormat(btx *bolt.Tx, path string) (version uint64, recorded bool, err error) {
	var raw []byte
	if meta := btx.Bucket(bucketMeta); meta != nil {
		raw = meta.Get(keyFormat)
	}
	if raw == nil {
		if btx.Bucket(bucketLog) == nil {
			return formatVersion, false, nil
		}
		return unrecordedFormat, false, nil
	}
	version, err = strconv.ParseUint(string(raw), 10, 64)
	if err != nil || version == 0 {
		return 0, true, fmt.Errorf("embedded: %s has an unreadable format record %q: not a ledger file, or damaged", path, raw)
	}
	if version > formatVersion {
		return version, true, &FormatError{Path: path, Version: version, Supported: formatVersion}
	}
	return version, true, nil
}

// recordFormat writes the format record and the ID of the KEK the file's
// private values are sealed under.
func recordFormat(btx *bolt.Tx, version uint64, kekID string) error {
	meta, err := btx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	if err := meta.Put(keyFormat, strconv.AppendUint(nil, version, 10)); err != nil {
		return err
	}
	return meta.Put(keyKEK, []byte(kekID))
}
