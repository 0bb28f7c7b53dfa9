package embedded

import (
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// formatVersion is the layout of ledger.db this program reads and writes:
// its buckets and the encodings of state, history and log entries. A change
// that an older program would misread raises it, and so does one it would
// leave inconsistent: 2 holds a complete holder index (holderindex.go), which
// a program of format 1 would not extend as it issues.
const formatVersion = 2

// unrecordedFormat is the format of files written before the file recorded
// its format: they have the ledger's buckets and no format record.
const unrecordedFormat = 1

// The format record lives in its own bucket, outside allBuckets, so it is
// not part of the state digest: it describes the file, not the ledger.
var (
	bucketMeta = []byte("meta")
	keyFormat  = []byte("format") // decimal format version
)

// FormatError refuses a ledger file in a format this program does not read.
type FormatError struct {
	Path      string
	Version   uint64 // the file's format
	Supported uint64 // the format this program reads
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("embedded: %s has ledger format version %d, but this CertLedger reads format %d: "+
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

// recordFormat writes the format record.
func recordFormat(btx *bolt.Tx, version uint64) error {
	meta, err := btx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	return meta.Put(keyFormat, strconv.AppendUint(nil, version, 10))
}
