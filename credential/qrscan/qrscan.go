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

// IsImage reports whether data starts like a PNG or JPEG file.
func IsImage(data []byte) bool {
	return bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) || bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff})
}

// Decode returns the text of the QR code in a PNG or JPEG image.
func Decode(data []byte) (string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("not a PNG or JPEG image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPixels {
		return "", fmt.Errorf("the %s image is %dx%d pixels; at most %d megapixels are read", format, cfg.Width, cfg.Height, MaxPixels>>20)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("reading the %s image: %w", format, err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
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
