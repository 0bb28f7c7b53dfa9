package loadtest

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"mime/multipart"
	"net/textproto"
)

// bombChunk is the run of zeros compressed once and repeated in gzipBomb.
const bombChunk = 1 << 20

// gzipBomb returns gzip(gzip(zeros)) for zeros bytes of zeros (rounded up
// to whole MiB), never holding them: one MiB is deflated once and its
// stream, which refers to nothing before it, repeated. Deflating a
// gigabyte outright takes several seconds of CPU; this takes milliseconds.
func gzipBomb(zeros int64) ([]byte, error) {
	chunks := max((zeros+bombChunk-1)/bombChunk, 1)
	zero := make([]byte, bombChunk)
	var one bytes.Buffer
	fw, _ := flate.NewWriter(&one, flate.BestCompression)
	fw.Write(zero)
	// A sync flush ends the chunk on a byte boundary with the stream
	// still open, so copies of it can follow one another.
	if err := fw.Flush(); err != nil {
		return nil, err
	}
	var end bytes.Buffer
	fe, _ := flate.NewWriter(&end, flate.BestCompression)
	fe.Close() // an empty final block

	var outer bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&outer, gzip.BestCompression)
	// RFC 1952 member: magic, deflate, no flags, no time, no extra
	// flags, unknown OS; then the deflate stream; then CRC-32 and size.
	gz.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255})
	crc := uint32(0)
	for range chunks {
		gz.Write(one.Bytes())
		crc = crc32.Update(crc, crc32.IEEETable, zero)
	}
	gz.Write(end.Bytes())
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc)
	binary.LittleEndian.PutUint32(trailer[4:], uint32(chunks*bombChunk)) // ISIZE is modulo 2^32
	gz.Write(trailer[:])
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return outer.Bytes(), nil
}

// blankPNG returns a white side×side RGBA PNG, written row by row: every
// row after the first is filtered against the one above it (all zeros),
// so 4096×4096 takes about 75 KB and decodes to 64 MiB.
func blankPNG(side int) ([]byte, error) {
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(side))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(side))
	ihdr[8], ihdr[9] = 8, 6 // 8 bits per channel, RGBA; compression, filter and interlace 0
	pngChunk(&out, "IHDR", ihdr)

	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+4*side)
	for i := range row {
		row[i] = 0xff
	}
	row[0] = 0 // filter None
	z.Write(row)
	clear(row)
	row[0] = 2 // filter Up
	for range side - 1 {
		z.Write(row)
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	pngChunk(&out, "IDAT", idat.Bytes())
	pngChunk(&out, "IEND", nil)
	return out.Bytes(), nil
}

func pngChunk(w *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	w.WriteString(typ)
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}

const formBoundary = "certledger-bench-abuse-form-boundary"

// uploadForm is the verification page's picture form (POST /v) with file
// as its "qr" field, and the Content-Type that goes with it.
func uploadForm(file []byte) (body []byte, contentType string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.SetBoundary(formBoundary) // a fixed length, for paddedUploadForm
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="qr"; filename="qr.png"`)
	h.Set("Content-Type", "image/png")
	part, _ := mw.CreatePart(h)
	part.Write(file)
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// paddedUploadForm is an upload form of exactly size bytes whose file is
// filler: what a body flood sends, up to the upload limit.
func paddedUploadForm(size int) ([]byte, string, error) {
	empty, _ := uploadForm(nil)
	if size < len(empty) {
		return nil, "", fmt.Errorf("a %d-byte upload form has no room for a file (%d bytes of form)", size, len(empty))
	}
	body, ct := uploadForm(bytes.Repeat([]byte{'A'}, size-len(empty)))
	return body, ct, nil
}

// paddedVerifyBody is a POST /api/v1/verify body of exactly size bytes,
// JSON whose document is a long string: read whole, then refused.
func paddedVerifyBody(size int) ([]byte, error) {
	const head, tail = `{"document":"`, `"}`
	if size < len(head)+len(tail) {
		return nil, fmt.Errorf("a %d-byte verify body is too small", size)
	}
	return []byte(head + string(bytes.Repeat([]byte{'A'}, size-len(head)-len(tail))) + tail), nil
}
