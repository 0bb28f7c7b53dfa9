package credential

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// MaxAnchorChunk bounds one chunk of documents, compressed and decompressed:
// 256 documents of the largest schema fit well inside it.
const MaxAnchorChunk = 16 << 20

// EncodeAnchorChunk is the stored form of one chunk's documents: each one's
// JSON behind its length (a uvarint), all gzip-compressed. Documents of one
// batch share most of their text, so a chunk compresses several times over,
// which is private data the peers of the issuing department store and gossip
// less of; the lengths let a reader of one document skip the others
// undecoded (DecodeAnchorChunkAt).
func EncodeAnchorChunk(docs []Document) ([]byte, error) {
	rawp := chunkJSON.Get().(*[]byte)
	defer chunkJSON.Put(rawp)
	raw := (*rawp)[:0]
	var doc []byte
	for i := range docs {
		var err error
		if doc, err = appendDocumentJSON(doc[:0], &docs[i]); err != nil {
			return nil, Wrapf(err, ReasonInvalidDocument, "encode a chunk of documents")
		}
		raw = binary.AppendUvarint(raw, uint64(len(doc)))
		raw = append(raw, doc...)
	}
	*rawp = raw
	var buf bytes.Buffer
	buf.Grow(len(raw) / 4)
	zw := chunkWriters.Get().(*gzip.Writer)
	defer chunkWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if buf.Len() > MaxAnchorChunk {
		return nil, Errorf(ReasonInvalidRequest, "a chunk of %d documents takes %d bytes, more than %d", len(docs), buf.Len(), MaxAnchorChunk)
	}
	return buf.Bytes(), nil
}

// chunkJSON keeps the buffers a chunk's JSON is built in before it is
// compressed.
var chunkJSON = sync.Pool{New: func() any { return new([]byte) }}

// chunkWriters keeps gzip writers between chunks: each holds the
// compressor's tables, larger than a chunk's output.
var chunkWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level
	return zw
}}

// DecodeAnchorChunk reads every document of a chunk EncodeAnchorChunk
// wrote, refusing one that decompresses past MaxAnchorChunk.
func DecodeAnchorChunk(b []byte) ([]Document, error) {
	r, err := openAnchorChunk(b)
	if err != nil {
		return nil, err
	}
	var docs []Document
	for {
		raw, err := r.next(true)
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		var d Document
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, Wrapf(err, ReasonInvalidDocument, "document %d of a chunk is not a JSON document", len(docs))
		}
		docs = append(docs, d)
	}
}

// DecodeAnchorChunkAt reads document i of a chunk, decompressing the ones
// before it but decoding none of them: what a verification of one anchored
// credential costs.
func DecodeAnchorChunkAt(b []byte, i int) (Document, error) {
	var d Document
	r, err := openAnchorChunk(b)
	if err != nil {
		return d, err
	}
	for k := 0; ; k++ {
		raw, err := r.next(k == i)
		if err == io.EOF {
			return d, Errorf(ReasonDocumentNotFound, "a chunk of %d documents has no document %d", k, i)
		}
		if err != nil {
			return d, err
		}
		if k == i {
			if err := json.Unmarshal(raw, &d); err != nil {
				return d, Wrapf(err, ReasonInvalidDocument, "document %d of a chunk is not a JSON document", i)
			}
			return d, nil
		}
	}
}

// chunkReader walks the length-prefixed documents of a decompressed chunk,
// counting what it has read against MaxAnchorChunk.
type chunkReader struct {
	br   *bufio.Reader
	read int
	buf  []byte
}

func openAnchorChunk(b []byte) (*chunkReader, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, Wrapf(err, ReasonInvalidDocument, "a chunk of documents is not gzip")
	}
	return &chunkReader{br: bufio.NewReaderSize(zr, 32<<10)}, nil
}

// next returns the next document's JSON, or only skips it when keep is
// false; io.EOF after the last.
func (r *chunkReader) next(keep bool) ([]byte, error) {
	n, err := binary.ReadUvarint(r.br)
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, Wrapf(err, ReasonInvalidDocument, "a chunk of documents is damaged")
	}
	if r.read += int(min(n, MaxAnchorChunk+1)); r.read > MaxAnchorChunk {
		return nil, Errorf(ReasonInvalidDocument, "a chunk of documents decompresses past %d bytes", MaxAnchorChunk)
	}
	if !keep {
		if _, err := r.br.Discard(int(n)); err != nil {
			return nil, Wrapf(err, ReasonInvalidDocument, "a chunk of documents is cut short")
		}
		return nil, nil
	}
	r.buf = append(r.buf[:0], make([]byte, n)...)
	if _, err := io.ReadFull(r.br, r.buf); err != nil {
		return nil, Wrapf(err, ReasonInvalidDocument, "a chunk of documents is cut short")
	}
	return r.buf, nil
}
