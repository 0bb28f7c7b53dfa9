package credential

import (
	"bytes"
	"encoding/json"
	"github.com/klauspost/compress/gzip"
	"io"
	"sync"
)

// MaxAnchorChunk bounds one chunk of documents, compressed and decompressed:
// 256 documents of the largest schema fit well inside it.
const MaxAnchorChunk = 16 << 20

// EncodeAnchorChunk is the stored form of one chunk's documents: their JSON
// array, gzip-compressed. Documents of one batch share most of their text, so
// a chunk compresses several times over, which is private data the peers of
// the issuing department store and gossip less of.
func EncodeAnchorChunk(docs []Document) ([]byte, error) {
	rawp := chunkJSON.Get().(*[]byte)
	defer chunkJSON.Put(rawp)
	raw := append((*rawp)[:0], '[')
	for i := range docs {
		if i > 0 {
			raw = append(raw, ',')
		}
		var err error
		if raw, err = appendDocumentJSON(raw, &docs[i]); err != nil {
			return nil, Wrapf(err, ReasonInvalidDocument, "encode a chunk of documents")
		}
	}
	raw = append(raw, ']')
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

// DecodeAnchorChunk reads a chunk EncodeAnchorChunk wrote, refusing one that
// decompresses past MaxAnchorChunk.
func DecodeAnchorChunk(b []byte) ([]Document, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, Wrapf(err, ReasonInvalidDocument, "a chunk of documents is not gzip")
	}
	raw, err := io.ReadAll(io.LimitReader(zr, MaxAnchorChunk+1))
	if err != nil {
		return nil, Wrapf(err, ReasonInvalidDocument, "a chunk of documents is damaged")
	}
	if len(raw) > MaxAnchorChunk {
		return nil, Errorf(ReasonInvalidDocument, "a chunk of documents decompresses past %d bytes", MaxAnchorChunk)
	}
	var docs []Document
	if err := json.Unmarshal(raw, &docs); err != nil {
		return nil, Wrapf(err, ReasonInvalidDocument, "a chunk of documents is not a JSON array of documents")
	}
	return docs, nil
}
