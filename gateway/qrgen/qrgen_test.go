package qrgen

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential/qrscan"
	qrcode "github.com/skip2/go-qrcode"
)

func render(t testing.TB, s *Symbol, scale int) []byte {
	t.Helper()
	bm := s.Bitmap()
	img := image.NewGray(image.Rect(0, 0, len(bm)*scale, len(bm)*scale))
	for y, row := range bm {
		for x, dark := range row {
			c := color.Gray{Y: 255}
			if dark {
				c = color.Gray{}
			}
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					img.SetGray(x*scale+dx, y*scale+dy, c)
				}
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func randomText(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphanumeric[r.IntN(len(alphanumeric))]
	}
	return string(b)
}

var levels = map[Level]qrcode.RecoveryLevel{L: qrcode.Low, M: qrcode.Medium, Q: qrcode.High, H: qrcode.Highest}

// TestEncodeDecodes encodes texts of many lengths at every level and reads
// them back with gozxing, and checks the version is the smallest one, as
// go-qrcode picks it.
func TestEncodeDecodes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lengths := []int{1, 2, 3, 10, 25, 26, 47, 77, 114, 154, 200, 300, 400, 500, 650, 800, 905, 1041, 1400}
	for level, ref := range levels {
		for _, n := range lengths {
			text := randomText(r, n)
			s, err := Encode(text, level)
			want, werr := qrcode.New(text, ref)
			if (err != nil) != (werr != nil) {
				t.Fatalf("level %d, %d characters: %v vs go-qrcode %v", level, n, err, werr)
			}
			if err != nil {
				continue
			}
			if s.Version != want.VersionNumber {
				t.Errorf("level %d, %d characters: version %d, go-qrcode %d", level, n, s.Version, want.VersionNumber)
			}
			got, err := qrscan.Decode(render(t, s, 2))
			if err != nil || got != text {
				t.Fatalf("level %d, %d characters, version %d, mask %d: decoded %q, %v", level, n, s.Version, s.Mask, got, err)
			}
		}
	}
}

func TestEveryMaskDecodes(t *testing.T) {
	text := randomText(rand.New(rand.NewPCG(3, 4)), 600)
	for mask := 0; mask < 8; mask++ {
		if got, err := qrscan.Decode(render(t, forceMask(t, text, mask), 2)); err != nil || got != text {
			t.Fatalf("mask %d: %v", mask, err)
		}
	}
}

func TestZbarReads(t *testing.T) {
	if _, err := exec.LookPath("zbarimg"); err != nil {
		t.Skip("zbarimg not installed")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{20, 300, 1041} {
		text := randomText(r, n)
		s, err := Encode(text, Q)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("zbarimg", "--quiet", "--raw", "-Sbinary", "-")
		cmd.Stdin = bytes.NewReader(render(t, s, 3))
		out, err := cmd.Output()
		if err != nil || strings.TrimRight(string(out), "\n") != text {
			t.Fatalf("%d characters: zbarimg %v: %q", n, err, out)
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	if _, err := Encode("lower case", Q); err != ErrNotAlphanumeric {
		t.Fatal(err)
	}
	if _, err := Encode(strings.Repeat("A", 3000), Q); err != ErrTooLong {
		t.Fatal(err)
	}
}

func BenchmarkEncode(b *testing.B) {
	text := "CL1:" + randomText(rand.New(rand.NewPCG(7, 8)), 900)
	for b.Loop() {
		if _, err := Encode(text, Q); err != nil {
			b.Fatal(err)
		}
	}
}
