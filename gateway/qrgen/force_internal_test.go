package qrgen

import (
	"testing"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// forceMask encodes text at level Q with the given mask instead of the
// best one, so that every mask pattern is exercised.
func forceMask(t *testing.T, text string, mask int) *Symbol {
	t.Helper()
	best, err := Encode(text, Q)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := decoder.Version_GetVersionForNumber(best.Version)
	ecb := v.GetECBlocksForLevel(Q.zx())
	data := dataCodewords(text, best.Version, v.GetTotalCodewords()-ecb.GetTotalECCodewords())
	g := newGrid(best.Size)
	g.drawFunctionPatterns(best.Version, v.GetAlignmentPatternCenters())
	g.placeCodewords(interleave(data, ecb))
	g.applyMask(mask)
	g.drawFormat(Q, mask)
	return &Symbol{Version: best.Version, Mask: mask, Size: best.Size, dark: g.dark}
}
