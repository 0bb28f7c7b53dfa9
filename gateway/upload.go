package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/certledger/certledger/credential/qrscan"
)

// uploadWait is how long a picture waits for a decoder before the visitor
// is told to retry: a burst of honest uploads clears within it, while a
// flood is turned away instead of piling up bodies held in memory.
const uploadWait = 2 * time.Second

var (
	errNotImage = errors.New("the upload is not a PNG or JPEG picture")
	// errDecodersBusy: every decoder stayed taken for uploadWait.
	errDecodersBusy = errors.New("every picture decoder is busy; try again in a moment")
)

// qrDecoder reads the QR code in an uploaded picture, refusing an
// oversized one from its header and decoding at most cap(slots) at once.
type qrDecoder struct {
	slots     chan struct{}
	maxPixels int
	wait      time.Duration
	decode    func(data []byte, maxPixels int) (string, error) // tests slow it down
}

func newQRDecoder(decodes, maxPixels int) *qrDecoder {
	return &qrDecoder{slots: make(chan struct{}, decodes), maxPixels: maxPixels, wait: uploadWait, decode: qrscan.DecodeWithin}
}

// read returns the text of the QR code in data. The size check comes
// before the wait, so a refused picture never holds or waits for a slot.
func (d *qrDecoder) read(ctx context.Context, data []byte) (string, error) {
	if !qrscan.IsImage(data) {
		return "", errNotImage
	}
	if _, err := qrscan.CheckSize(data, d.maxPixels); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, d.wait)
	defer cancel()
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return "", errDecodersBusy
	}
	defer func() { <-d.slots }()
	return d.decode(data, d.maxPixels)
}
