package gateway

import (
	"bytes"
	"image/png"
	"strconv"
	"sync"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"
)

// qrPNG renders text as a QR code PNG about size pixels wide. Modules are a
// whole number of pixels (scaling by a fraction blurs module edges and
// hurts scanners) with the standard four-module quiet zone. Error
// correction M survives a smudged print while keeping the symbol small.
func qrPNG(text string, size int) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	modules := len(q.Bitmap())
	scale := size / modules
	if scale < 2 {
		scale = 2
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: pngBuffers}
	if err := enc.Encode(&buf, q.Image(-scale)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pngBuffers reuses the PNG encoder's buffers between requests.
var pngBuffers = &pngBufferPool{}

type pngBufferPool struct{ p sync.Pool }

func (b *pngBufferPool) Get() *png.EncoderBuffer {
	if v, ok := b.p.Get().(*png.EncoderBuffer); ok {
		return v
	}
	return nil
}

func (b *pngBufferPool) Put(v *png.EncoderBuffer) { b.p.Put(v) }

// handleQR serves the QR code of a credential's verification URL. Who may
// fetch it: the issuing department (API key), or whoever already holds the
// verification URL's token (?t=), since the image only encodes that URL.
func (s *Server) handleQR(c *fiber.Ctx) error {
	size := s.cfg.QRSize
	if v := c.Query("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < MinQRSize || n > MaxQRSize {
			return credential.Errorf(credential.CodeInvalid, "size must be a whole number of pixels from %d to %d", MinQRSize, MaxQRSize)
		}
		size = n
	}
	var id string
	if tok := c.Query("t"); tok != "" && c.Get(fiber.HeaderAuthorization) == "" {
		var err error
		if id, err = pathIdentifier(c); err != nil {
			return err
		}
		if !s.tokenValid(id, tok) {
			return credential.Errorf(credential.CodeForbidden, "the token does not grant access to %s", id)
		}
		ctx, cancel := s.requestContext(c)
		defer cancel()
		if _, err := s.ledger.Record(ctx, id); err != nil {
			return err
		}
	} else {
		dept, err := s.authenticate(c)
		if err != nil {
			return err
		}
		rec, err := s.ownRecord(c, dept)
		if err != nil {
			return err
		}
		id = rec.ID
	}
	img, err := qrPNG(s.verifyURL(id, true), size)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	// The image holds the access token: keep it out of shared caches.
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(img)
}
