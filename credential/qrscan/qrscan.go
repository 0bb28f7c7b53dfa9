// Package qrscan reads the text of a QR code from a PNG or JPEG image, in
// pure Go (gozxing), for the verify command and the verification page's
// upload. Images are size-checked from their header before any pixel is
// decoded, so a small file claiming huge dimensions cannot exhaust memory.
package qrscan

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers the JPEG decoder
	_ "image/png"  // registers the PNG decoder

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// MaxPixels bounds the area of an image Decode accepts: a 12-megapixel
// phone photo fits, a decompression bomb does not.
const MaxPixels = 16 << 20

// ErrNoQR is returned when the image holds no readable QR code.
var ErrNoQR = errors.New("no readable QR code in the image")

// ErrTooLarge is returned, wrapped, when the image header announces more
// pixels than the caller accepts; no pixel was decoded.
var ErrTooLarge = errors.New("the image has too many pixels")

// CheckSize reads only the image header and refuses, with ErrTooLarge, an
// image of more than maxPixels. It returns the image format.
func CheckSize(data []byte, maxPixels int) (string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("not a PNG or JPEG image: %w", err)
	}
	// Each side is checked alone first, so for any cap below 2^31 the
	// product cannot overflow.
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels || cfg.Height > maxPixels || cfg.Width*cfg.Height > maxPixels {
		return "", &SizeError{Format: format, Width: cfg.Width, Height: cfg.Height, MaxPixels: maxPixels}
	}
	return format, nil
}

// SizeError is the ErrTooLarge refusal of one image, with the numbers a
// caller needs to say it in its reader's language.
type SizeError struct {
	Format        string
	Width, Height int
	MaxPixels     int
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("%v: the %s image is %dx%d pixels; at most %.1f megapixels are read",
		ErrTooLarge, e.Format, e.Width, e.Height, float64(e.MaxPixels)/(1<<20))
}

// Is makes errors.Is(err, ErrTooLarge) hold, as for the wrapped sentinel.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// IsImage reports whether data starts like a PNG or JPEG file.
func IsImage(data []byte) bool {
	return bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) || bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff})
}

// Decode returns the text of the QR code in a PNG or JPEG image of at most
// MaxPixels.
func Decode(data []byte) (string, error) {
	return DecodeWithin(data, MaxPixels)
}

// DecodeWithin is Decode with a caller's pixel cap: an image whose header
// announces more than maxPixels is refused with ErrTooLarge before decoding.
func DecodeWithin(data []byte, maxPixels int) (string, error) {
	format, err := CheckSize(data, maxPixels)
	if err != nil {
		return "", err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("reading the %s image: %w", format, err)
	}
	src, err := luminance(img)
	if err != nil {
		return "", fmt.Errorf("reading the %s image: %w", format, err)
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return "", fmt.Errorf("reading the %s image: %w", format, err)
	}
	// A generated code (a PNG from the gateway) is found fastest as a pure
	// barcode; a photo needs the detector, tried harder.
	r := qrcode.NewQRCodeReader()
	res, err := r.Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		r.Reset()
		res, err = r.Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	}
	if err != nil {
		return "", ErrNoQR
	}
	return res.GetText(), nil
}
