package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DamagedFileError refuses a ledger file whose bbolt structure is damaged:
// opening it would make bbolt panic, fault or read garbage.
type DamagedFileError struct {
	Path   string
	Reason string
}

func (e *DamagedFileError) Error() string {
	return fmt.Sprintf("embedded: %s is damaged: %s; restore the data folder (%s with its %s) from a backup",
		e.Path, e.Reason, FileName, TipFileName)
}

// checkFile checks the structure of the bbolt file at path before bbolt
// maps it: bbolt trusts what it reads and panics (in goroutines no recover
// reaches) or faults on a damaged page. A missing file is new; an empty one
// is new unless a ledger is expected there. thorough adds bbolt's own check,
// which costs three times the page walk and finds little that the state
// digest misses (a changed key or value changes the digest).
func checkFile(path string, expected, thorough bool, lockTimeout time.Duration) error {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("embedded: %s: %w", path, err)
	case info.Size() == 0 && expected:
		return &DamagedFileError{Path: path, Reason: "it is empty (0 bytes), though " + TipFileName + " records a ledger"}
	case info.Size() == 0:
		return nil
	}
	// A read-only open takes the shared lock, so a gateway writing the
	// file is reported as such and not as damage; it reads only the metas.
	db, openErr := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if errors.Is(openErr, berrors.ErrTimeout) {
		return fmt.Errorf("embedded: %s is in use by another process", path)
	}
	if openErr == nil {
		defer db.Close()
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("embedded: %s: %w", path, err)
	}
	defer f.Close()
	if reason := inspect(f, info.Size()); reason != "" {
		return &DamagedFileError{Path: path, Reason: reason}
	}
	if openErr != nil {
		return &DamagedFileError{Path: path, Reason: "bbolt cannot open it: " + openErr.Error()}
	}
	if !thorough {
		return nil
	}
	return boltCheck(db)
}

// boltCheck runs bbolt's own consistency check (key order among others),
// turning an assertion panic into damage. inspect has already checked
// every page bbolt's check visits, so a fault cannot happen here.
func boltCheck(db *bolt.DB) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &DamagedFileError{Path: db.Path(), Reason: fmt.Sprint("bbolt's check failed: ", p)}
		}
	}()
	return db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return &DamagedFileError{Path: db.Path(), Reason: "bbolt's check failed: " + err.Error()}
		}
		return nil
	})
}

// bbolt's on-disk layout (go.etcd.io/bbolt/internal/common), in the byte
// order of the machine that wrote the file.
const (
	pageHeaderSize  = 16 // id u64, flags u16, count u16, overflow u32
	pageElementSize = 16 // branch: pos, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	branchPage      = 0x01
	leafPage        = 0x02
	freelistPage    = 0x10
	bucketElement   = 0x01
	noFreelist      = ^uint64(0)
)

var order = binary.NativeEndian

// boltMeta is a meta page's content: magic, version, page size, flags,
// root bucket (page, sequence), freelist page, high-water mark, txid, and a
// checksum of what precedes it.
type boltMeta struct {
	pageSize       uint32
	root, freelist uint64
	hwm, txid      uint64
	intact         bool
}

func parseMeta(page []byte) boltMeta {
	if len(page) < pageHeaderSize+64 {
		return boltMeta{}
	}
	m := page[pageHeaderSize:]
	h := fnv.New64a()
	h.Write(m[:56])
	return boltMeta{
		pageSize: order.Uint32(m[8:]), root: order.Uint64(m[16:]), freelist: order.Uint64(m[32:]),
		hwm: order.Uint64(m[40:]), txid: order.Uint64(m[48:]),
		intact: order.Uint32(m[0:]) == boltMagic && order.Uint32(m[4:]) == boltVersion && order.Uint64(m[56:]) == h.Sum64(),
	}
}

// inspect returns what is wrong with the file, or "". It reads pages with
// ReadAt, never through a mapping, and bounds every offset.
func inspect(f io.ReaderAt, size int64) string {
	meta, reason := currentMeta(f, size)
	if reason != "" {
		return reason
	}
	ps := int64(meta.pageSize)
	switch {
	case size%ps != 0:
		return fmt.Sprintf("its size, %d bytes, is not a whole number of %d-byte pages: it was truncated or extended", size, ps)
	case meta.hwm < 2 || uint64(size/ps) < meta.hwm:
		return fmt.Sprintf("it has %d pages, but its meta page says it uses %d (its high-water mark): it was truncated", size/ps, meta.hwm)
	}
	w := &pageWalker{f: f, pageSize: ps, hwm: meta.hwm, seen: make([]bool, meta.hwm)}
	if meta.freelist != noFreelist {
		if reason := w.freelist(meta.freelist); reason != "" {
			return reason
		}
	}
	return w.tree(meta.root, 0, 0)
}

// currentMeta returns the meta page bbolt would use: the intact one with
// the higher txid. One damaged meta page is how a torn commit looks, and
// bbolt falls back by design; the tip file catches a fallback that loses
// acknowledged commits.
func currentMeta(f io.ReaderAt, size int64) (boltMeta, string) {
	first := make([]byte, 4096)
	n, _ := f.ReadAt(first, 0)
	m0 := parseMeta(first[:n])
	pageSize := int64(m0.pageSize)
	if !m0.intact {
		// Like bbolt, look for the second meta page at each page size.
		pageSize = 0
		for ps := int64(1024); ps < size && ps <= 1<<24; ps *= 2 {
			if m := readMeta(f, ps); m.intact && int64(m.pageSize) == ps {
				pageSize = ps
				break
			}
		}
	}
	if pageSize < 1024 || pageSize&(pageSize-1) != 0 {
		return boltMeta{}, "neither of its two meta pages (pages 0 and 1) is intact: it is not a bbolt file, or both were overwritten"
	}
	m1 := readMeta(f, pageSize)
	switch {
	case m0.intact && (!m1.intact || m0.txid > m1.txid):
		return m0, ""
	case m1.intact && int64(m1.pageSize) == pageSize:
		return m1, ""
	}
	return boltMeta{}, "neither of its two meta pages (pages 0 and 1) is intact"
}

func readMeta(f io.ReaderAt, at int64) boltMeta {
	buf := make([]byte, pageHeaderSize+64)
	if n, _ := f.ReadAt(buf, at); n < len(buf) {
		return boltMeta{}
	}
	return parseMeta(buf)
}

// pageWalker follows bbolt's B+trees from the root bucket, checking each
// page's header and the bounds of its elements, the way bbolt will read them.
type pageWalker struct {
	f        io.ReaderAt
	pageSize int64
	hwm      uint64
	seen     []bool
	bufs     [][]byte // one read buffer per tree depth, reused
}

// buffer returns the read buffer for depth, of n bytes.
func (w *pageWalker) buffer(depth int, n int64) []byte {
	for len(w.bufs) <= depth {
		w.bufs = append(w.bufs, nil)
	}
	if int64(cap(w.bufs[depth])) < n {
		w.bufs[depth] = make([]byte, n)
	}
	return w.bufs[depth][:n]
}

// page reads page id with its overflow pages and checks its header.
func (w *pageWalker) page(id, from uint64, depth int, wantFlags ...uint16) ([]byte, string) {
	if id < 2 || id >= w.hwm {
		return nil, fmt.Sprintf("page %d points to page %d, beyond its high-water mark (page %d)", from, id, w.hwm)
	}
	buf := w.buffer(depth, w.pageSize)
	if _, err := w.f.ReadAt(buf, int64(id)*w.pageSize); err != nil {
		return nil, fmt.Sprintf("page %d cannot be read: %v", id, err)
	}
	self, flags, overflow := order.Uint64(buf), order.Uint16(buf[8:]), uint64(order.Uint32(buf[12:]))
	switch {
	case self != id:
		return nil, fmt.Sprintf("page %d identifies itself as page %d (its header is damaged)", id, self)
	case !slices.Contains(wantFlags, flags):
		return nil, fmt.Sprintf("page %d has type %#x where page %d expects a %s page", id, flags, from, pageTypes(wantFlags))
	case id+overflow >= w.hwm:
		return nil, fmt.Sprintf("page %d runs past the high-water mark (page %d)", id, w.hwm)
	}
	for p := id; p <= id+overflow; p++ {
		if w.seen[p] {
			return nil, fmt.Sprintf("page %d is used twice (again by page %d)", p, from)
		}
		w.seen[p] = true
	}
	if overflow > 0 {
		buf = w.buffer(depth, int64(overflow+1)*w.pageSize)
		if _, err := w.f.ReadAt(buf[w.pageSize:], int64(id+1)*w.pageSize); err != nil {
			return nil, fmt.Sprintf("page %d cannot be read: %v", id, err)
		}
	}
	return buf, ""
}

func (w *pageWalker) freelist(id uint64) string {
	p, reason := w.page(id, 0, 0, freelistPage)
	if reason != "" {
		return "freelist: " + reason
	}
	if count := uint64(order.Uint16(p[10:])); count == 0xFFFF && uint64(len(p)) < pageHeaderSize+8 ||
		count < 0xFFFF && uint64(len(p)) < pageHeaderSize+count*8 {
		return fmt.Sprintf("freelist page %d lists more pages than fit in it", id)
	}
	return ""
}

func (w *pageWalker) tree(id, from uint64, depth int) string {
	p, reason := w.page(id, from, depth, branchPage, leafPage)
	if reason != "" {
		return reason
	}
	return w.elements(p, id, depth)
}

// elements checks the elements of page p (a page read from the file, or a
// bucket's inline page, which lives in its parent's value) and descends.
func (w *pageWalker) elements(p []byte, id uint64, depth int) string {
	flags, count := order.Uint16(p[8:]), uint64(order.Uint16(p[10:]))
	size := uint64(len(p))
	if pageHeaderSize+count*pageElementSize > size {
		return fmt.Sprintf("page %d lists %d elements, more than fit in it", id, count)
	}
	for i := range count {
		at := pageHeaderSize + i*pageElementSize
		e := p[at : at+pageElementSize]
		if flags == branchPage {
			pos, ksize := uint64(order.Uint32(e)), uint64(order.Uint32(e[4:]))
			if at+pos+ksize > size {
				return fmt.Sprintf("key %d of page %d lies outside the page", i, id)
			}
			if reason := w.tree(order.Uint64(e[8:]), id, depth+1); reason != "" {
				return reason
			}
			continue
		}
		eflags, pos, ksize, vsize := order.Uint32(e), uint64(order.Uint32(e[4:])), uint64(order.Uint32(e[8:])), uint64(order.Uint32(e[12:]))
		if at+pos+ksize+vsize > size {
			return fmt.Sprintf("element %d of page %d lies outside the page", i, id)
		}
		if eflags&bucketElement == 0 {
			continue
		}
		v := p[at+pos+ksize : at+pos+ksize+vsize]
		if len(v) < 16 {
			return fmt.Sprintf("bucket %d of page %d is too short", i, id)
		}
		root := order.Uint64(v)
		if root != 0 {
			if reason := w.tree(root, id, depth+1); reason != "" {
				return reason
			}
			continue
		}
		inline := v[16:]
		if len(inline) < pageHeaderSize || order.Uint16(inline[8:]) != leafPage {
			return fmt.Sprintf("inline bucket %d of page %d is damaged", i, id)
		}
		if reason := w.elements(inline, id, depth); reason != "" {
			return reason
		}
	}
	return ""
}

func pageTypes(flags []uint16) string {
	names := map[uint16]string{branchPage: "branch", leafPage: "leaf", freelistPage: "freelist"}
	s := ""
	for i, f := range flags {
		if i > 0 {
			s += " or "
		}
		s += names[f]
	}
	return s
}
