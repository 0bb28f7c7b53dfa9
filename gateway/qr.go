package gateway

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"strconv"
	"sync"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"
)

// qrPNG renders text as a QR code PNG about size pixels wide (never
// smaller than two pixels per module). Modules are a whole number of pixels
// (scaling by a fraction blurs module edges and hurts scanners) with the
// standard four-module quiet zone. Error correction M survives a smudged
// print while keeping the symbol small.
func qrPNG(text string, size int) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	bitmap := q.Bitmap() // includes the quiet zone
	scale := size / len(bitmap)
	if scale < 2 {
		scale = 2
	}
	return encodeBitmapPNG(bitmap, scale)
}

// encodeBitmapPNG writes a square bitmap (true = dark) as a 1-bit grayscale
// PNG, each module scale×scale pixels. image/png would go pixel by pixel
// through the color model, which costs more than encoding the QR code.
func encodeBitmapPNG(bitmap [][]bool, scale int) ([]byte, error) {
	n := len(bitmap)
	side := n * scale
	rowLen := (side + 7) / 8
	raw := make([]byte, 0, (rowLen+1)*side)
	row := make([]byte, rowLen)
	for y := 0; y < n; y++ {
		clear(row)
		for x, dark := range bitmap[y] {
			if dark {
				continue // 0 bits are black
			}
			for px := x * scale; px < (x+1)*scale; px++ {
				row[px>>3] |= 0x80 >> (px & 7)
			}
		}
		for k := 0; k < scale; k++ {
			raw = append(raw, 0) // filter type None
			raw = append(raw, row...)
		}
	}

	var idat bytes.Buffer
	zw := zlibWriters.Get().(*zlib.Writer)
	zw.Reset(&idat)
	_, err := zw.Write(raw)
	if err == nil {
		err = zw.Close()
	}
	zlibWriters.Put(zw)
	if err != nil {
		return nil, err
	}

	out := make([]byte, 0, idat.Len()+64)
	out = append(out, "\x89PNG\r\n\x1a\n"...)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(side))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(side))
	ihdr[8] = 1 // bit depth; colour type 0 (grayscale), deflate, no filter, no interlace
	out = appendChunk(out, "IHDR", ihdr[:])
	out = appendChunk(out, "IDAT", idat.Bytes())
	out = appendChunk(out, "IEND", nil)
	return out, nil
}

func appendChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// zlibWriters reuses compressors (each holds ~1 MB of state) across
// requests. BestSpeed: the image is mostly long runs, which any level
// compresses well.
var zlibWriters = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return w
}}

// handleQR serves the QR code of a credential's verification URL. Who may
// fetch it: the issuing department (API key), or whoever already holds the
// verification URL's token (?t=), since the image only encodes that URL.
func (s *Server) handleQR(c *fiber.Ctx) error {
	size := s.cfg.QRSize
	if v := c.Query("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < MinQRSize || n > MaxQRSize {
			return credential.Errorf(credential.ReasonInvalidRequest, "size must be a whole number of pixels from %d to %d", MinQRSize, MaxQRSize)
		}
		size = n
	}
	var rec credential.Record
	if tok := c.Query("t"); tok != "" && c.Get(fiber.HeaderAuthorization) == "" {
		id, err := pathIdentifier(c)
		if err != nil {
			return err
		}
		ctx, cancel := s.requestContext(c)
		defer cancel()
		if rec, err = s.tokenRecord(ctx, id, tok); err != nil {
			return err
		}
	} else {
		dept, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if rec, err = s.ownRecord(c, dept); err != nil {
			return err
		}
	}
	img, err := qrPNG(s.verifyURL(rec, true), size)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	// The image holds the access token: keep it out of shared caches.
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(img)
}
