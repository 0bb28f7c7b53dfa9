package gateway

import (
	"bytes"
	"image/png"
	"strings"
	"syscall"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

func TestQRPNGSizeAndModules(t *testing.T) {
	text := "https://verify.example.test/v/1.2.156.3005.2.11100000MB02000124001.11100000MB02000124.MWWKNY18HUGSBWYE.001.P?t=AbC-_0123456789abcdefg"
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	modules := 4*q.VersionNumber + 17 + 8
	for _, size := range []int{MinQRSize, DefaultQRSize, MaxQRSize} {
		b, err := qrPNG(text, size)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		w := img.Bounds().Dx()
		// Whole-pixel modules, at least two pixels each, as large as fits.
		if w != img.Bounds().Dy() || w%modules != 0 || w/modules < 2 || (w > size && w/modules > 2) || size-w >= modules {
			t.Fatalf("size %d gave a %dx%d image for %d modules", size, w, img.Bounds().Dy(), modules)
		}
	}
	// Every pixel matches its module.
	b, _ := qrPNG(text, DefaultQRSize)
	img, _ := png.Decode(bytes.NewReader(b))
	bitmap := q.Bitmap()
	scale := img.Bounds().Dx() / len(bitmap)
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			r, _, _, _ := img.At(x, y).RGBA()
			if dark := r == 0; dark != bitmap[y/scale][x/scale] {
				t.Fatalf("pixel %d,%d dark=%v, module %d,%d dark=%v", x, y, dark, x/scale, y/scale, bitmap[y/scale][x/scale])
			}
		}
	}
	if _, err := qrPNG(strings.Repeat("x", 5000), DefaultQRSize); err == nil {
		t.Fatal("text beyond QR capacity rendered")
	}
}

// BenchmarkQRRender measures rendering alone: QR encoding and PNG.
func BenchmarkQRRender(b *testing.B) {
	text := "https://verify.example.test/v/1.2.156.3005.2.11100000MB02000124001.11100000MB02000124.MWWKNY18HUGSBWYE.001.P?t=AbC-_0123456789abcdefg"
	b.ReportAllocs()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := qrPNG(text, DefaultQRSize); err != nil {
				b.Fatal(err)
			}
		}
	})
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := float64(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) / float64(b.N)
	b.ReportMetric(cpu/1000, "cpu-us/op")
	b.ReportMetric(2e9/cpu, "ops/s@2cpu")
}
