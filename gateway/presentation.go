package gateway

import (
	"encoding/base64"
	"net/http"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/qrgen"
	"github.com/gofiber/fiber/v2"
)

// Presentation formats of POST /api/v1/credentials/{id}/presentations.
const (
	presentationJSON    = "json"
	presentationCompact = "compact"
)

// kindQRTooLarge answers a compact presentation that does not fit the QR
// budget: the request was understood but cannot be honoured as asked.
var kindQRTooLarge = problemKind{http.StatusUnprocessableEntity, "qr-too-large", "Does not fit a QR code", string(credential.ReasonQRTooLarge)}

// presentationBody is the JSON body of a presentation request.
type presentationBody struct {
	Fields *[]string `json:"fields"`
	Format string    `json:"format"` // json (default) or compact
}

// presentationAnswer is the 201 body. QRURL is a data: URL of the PNG of
// the compact payload (documented in openapi.json): the image is
// derived from personal data, so the gateway neither stores it behind a
// URL nor takes the payload back in a query string that access logs keep.
type presentationAnswer struct {
	ID           string               `json:"id"`
	Format       string               `json:"format"`
	Fields       []string             `json:"fields"`
	Presentation *credential.Document `json:"presentation,omitempty"`
	Payload      string               `json:"payload,omitempty"`
	QRURL        string               `json:"qrUrl,omitempty"`
	// QRNote says why a JSON presentation has no qrUrl: its compact form
	// is over the QR budget.
	QRNote string `json:"qrNote,omitempty"`
}

func (s *Server) handlePresentation(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	var body presentationBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Format == "" {
		body.Format = presentationJSON
	}
	var probs []FieldProblem
	if body.Format != presentationJSON && body.Format != presentationCompact {
		probs = append(probs, FieldProblem{Pointer: "#/format", Detail: "format must be json or compact"})
	}
	if body.Fields == nil {
		probs = append(probs, FieldProblem{Pointer: "#/fields", Detail: "fields is required: the names of the fields to disclose (an empty list discloses none)"})
	}
	if len(probs) > 0 {
		return invalidFields(probs)
	}
	rec, doc, err := s.ownDocument(c, dept)
	if err != nil {
		return err
	}
	p, err := doc.Present(*body.Fields)
	if err != nil {
		return err
	}
	ans := presentationAnswer{ID: rec.ID, Format: body.Format, Fields: nonNil(*body.Fields)}
	payload, cerr := credential.EncodeCompact(p)
	switch {
	case cerr != nil && body.Format == presentationCompact:
		// The document came from the ledger, so the only way it fails to
		// encode is the size budget; the message says what to do instead.
		if credential.ErrorReason(cerr) == credential.ReasonQRTooLarge {
			return newAPIError(kindQRTooLarge, "%s", credential.ErrorMessage(cerr))
		}
		return cerr
	case cerr != nil:
		ans.QRNote = credential.ErrorMessage(cerr)
	default:
		img, err := compactQRPNG(payload, s.cfg.QRSize)
		if err != nil {
			return err
		}
		ans.QRURL = "data:image/png;base64," + base64.StdEncoding.EncodeToString(img)
	}
	if body.Format == presentationCompact {
		ans.Payload = payload
	} else {
		ans.Presentation = p
	}
	s.metrics.presentations.WithLabelValues(body.Format).Inc()
	// Presentations carry personal data and are made on demand.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(ans)
}

// compactQRPNG renders a compact payload as one alphanumeric segment (Base45
// is the QR alphanumeric set) at level Q, the level credential.MaxCompactLength
// was measured at, which survives a quarter of a printed symbol being damaged.
func compactQRPNG(payload string, size int) ([]byte, error) {
	sym, err := qrgen.Encode(payload, qrgen.Q)
	if err != nil {
		return nil, err
	}
	bitmap := sym.Bitmap()
	scale := size / len(bitmap)
	if scale < 2 {
		scale = 2
	}
	return encodeBitmapPNG(bitmap, scale)
}
