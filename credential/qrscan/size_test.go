package qrscan_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"

	"github.com/certledger/certledger/credential/qrscan"
)

// photo draws the QR code of text at the centre of img, on a light
// background, and encodes it.
func photo(t testing.TB, text string, img draw.Image, asJPEG bool) []byte {
	return photoOn(t, text, img, color.RGBA{200, 210, 220, 255}, asJPEG)
}

func photoOn(t testing.TB, text string, img draw.Image, bg color.Color, asJPEG bool) []byte {
	t.Helper()
	q, err := png.Decode(bytes.NewReader(qrPNG(t, text)))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	draw.Draw(img, b, image.NewUniform(bg), image.Point{}, draw.Src)
	at := image.Pt(b.Dx()/2-128, b.Dy()/2-128)
	draw.Draw(img, q.Bounds().Add(at), q, image.Point{}, draw.Src)
	var out bytes.Buffer
	if asJPEG {
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: 85})
	} else {
		err = png.Encode(&out, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestDecodePixelFormats(t *testing.T) {
	const text = "CL1:PIXELS"
	r := image.Rect(0, 0, 600, 400)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"gray PNG", photo(t, text, image.NewGray(r), false)},
		{"RGBA PNG", photo(t, text, image.NewRGBA(r), false)},
		{"NRGBA PNG on a transparent background", photoOn(t, text, image.NewNRGBA(r), color.Transparent, false)},
		{"16-bit PNG", photo(t, text, image.NewRGBA64(r), false)},
		{"JPEG", photo(t, text, image.NewRGBA(r), true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := qrscan.Decode(tc.data); err != nil || got != text {
				t.Fatalf("%q %v", got, err)
			}
		})
	}
}

func TestDecodeWithinRefusesFromTheHeader(t *testing.T) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 4096, 4096)))
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	_, err := qrscan.DecodeWithin(b.Bytes(), 8<<20)
	runtime.ReadMemStats(&m1)
	if !errors.Is(err, qrscan.ErrTooLarge) {
		t.Fatalf("4096x4096 within 8 MP: %v", err)
	}
	var se *qrscan.SizeError
	if !errors.As(err, &se) || se.Width != 4096 || se.Height != 4096 || se.MaxPixels != 8<<20 || se.Format != "png" {
		t.Fatalf("the refusal does not give the image's size: %#v", err)
	}
	// Decoding would take 16 MiB for the pixels alone.
	if got := m1.TotalAlloc - m0.TotalAlloc; got > 1<<20 {
		t.Fatalf("refusing allocated %d bytes", got)
	}
	if _, err := qrscan.CheckSize(b.Bytes(), 16<<20); err != nil {
		t.Fatalf("4096x4096 within 16 MP: %v", err)
	}
}

// One decode of a 4-megapixel RGBA picture stays within a few bytes a
// pixel, in a few hundred allocations: gozxing's own conversion made one
// allocation a pixel.
func TestDecodeMemory(t *testing.T) {
	data := photo(t, "CL1:MEMORY", image.NewRGBA(image.Rect(0, 0, 2048, 2048)), false)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	if _, err := qrscan.Decode(data); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&m1)
	allocs, bytes := m1.Mallocs-m0.Mallocs, m1.TotalAlloc-m0.TotalAlloc
	t.Logf("%d allocations, %d MiB", allocs, bytes>>20)
	if allocs > 10_000 || bytes > 24<<20 {
		t.Fatalf("%d allocations, %d MiB for a 4-megapixel picture", allocs, bytes>>20)
	}
}
