package qrscan_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"testing"

	"github.com/certledger/certledger/credential/qrscan"
	qrcode "github.com/skip2/go-qrcode"
)

func qrPNG(t testing.TB, text string) []byte {
	t.Helper()
	b, err := qrcode.Encode(text, qrcode.Medium, 256)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecode(t *testing.T) {
	text := "https://verify.example/v/1.2.156.3005.2.X?t=abc"
	if got, err := qrscan.Decode(qrPNG(t, text)); err != nil || got != text {
		t.Fatalf("%q %v", got, err)
	}
	var blank bytes.Buffer
	png.Encode(&blank, image.NewGray(image.Rect(0, 0, 64, 64)))
	if _, err := qrscan.Decode(blank.Bytes()); !errors.Is(err, qrscan.ErrNoQR) {
		t.Fatalf("blank image: %v", err)
	}
	// A header claiming 100,000 x 100,000 pixels is refused before decoding.
	var huge bytes.Buffer
	png.Encode(&huge, image.NewGray(image.Rect(0, 0, 1, 1)))
	b := huge.Bytes()
	copy(b[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	if _, err := qrscan.Decode(b); err == nil || errors.Is(err, qrscan.ErrNoQR) {
		t.Fatalf("huge image: %v", err)
	}
	if qrscan.IsImage([]byte("CL1:ABC")) || !qrscan.IsImage(qrPNG(t, "x")) {
		t.Fatal("IsImage")
	}
}

// FuzzDecode: no input may panic the decoder (the verification page feeds
// it uploads).
func FuzzDecode(f *testing.F) {
	f.Add(qrPNG(f, "CL1:ABC"))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe0})
	f.Fuzz(func(t *testing.T, data []byte) {
		qrscan.Decode(data)
	})
}

func ExampleDecode() {
	img, _ := qrcode.Encode("CL1:EXAMPLE", qrcode.High, 256)
	text, err := qrscan.Decode(img)
	fmt.Println(text, err)
	// Output: CL1:EXAMPLE <nil>
}
