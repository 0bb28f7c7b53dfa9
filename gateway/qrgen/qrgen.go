// Package qrgen encodes text made only of the QR alphanumeric characters
// (0-9, A-Z, space and $%*+-./:, which is exactly the Base45 alphabet of
// compact CertLedger payloads) as a QR code symbol in alphanumeric mode.
//
// It exists for speed: go-qrcode took 8 ms per compact payload
// (docs/decisions/0005). Its capacity tables come from gozxing's decoder, so
// encoder and decoder agree on ISO/IEC 18004 by construction.
package qrgen

import (
	"errors"
	"sync"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// Level is an error correction level.
type Level int

// Error correction levels, recovering about 7, 15, 25 and 30 % of the
// symbol.
const (
	L Level = iota
	M
	Q
	H
)

// QuietZone is the border of light modules Bitmap adds on each side.
const QuietZone = 4

const alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var alnumValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(alphanumeric); i++ {
		t[alphanumeric[i]] = int8(i)
	}
	return t
}()

// ErrNotAlphanumeric and ErrTooLong are the encoding failures.
var (
	ErrNotAlphanumeric = errors.New("qrgen: the text has characters outside the QR alphanumeric set")
	ErrTooLong         = errors.New("qrgen: the text does not fit a QR code at this level")
)

func (l Level) zx() decoder.ErrorCorrectionLevel {
	return [...]decoder.ErrorCorrectionLevel{decoder.ErrorCorrectionLevel_L, decoder.ErrorCorrectionLevel_M,
		decoder.ErrorCorrectionLevel_Q, decoder.ErrorCorrectionLevel_H}[l]
}

// formatBits are the two error correction level bits of format information.
func (l Level) formatBits() int { return [...]int{1, 0, 3, 2}[l] }

// Symbol is an encoded QR code.
type Symbol struct {
	Version int
	Mask    int
	Size    int
	dark    []byte // Size*Size, row-major, 1 dark
}

// Bitmap returns the symbol with its quiet zone, true for dark.
func (s *Symbol) Bitmap() [][]bool {
	n := s.Size + 2*QuietZone
	out := make([][]bool, n)
	cells := make([]bool, n*n)
	for y := range out {
		out[y] = cells[y*n : (y+1)*n]
		if y >= QuietZone && y < QuietZone+s.Size {
			for x, d := range s.dark[(y-QuietZone)*s.Size : (y-QuietZone+1)*s.Size] {
				out[y][QuietZone+x] = d == 1
			}
		}
	}
	return out
}

func charCountBits(version int) int {
	switch {
	case version <= 9:
		return 9
	case version <= 26:
		return 11
	}
	return 13
}

// Encode encodes text in alphanumeric mode in the smallest version that
// holds it at the given level, with the mask of lowest penalty.
func Encode(text string, level Level) (*Symbol, error) {
	for i := 0; i < len(text); i++ {
		if alnumValue[text[i]] < 0 {
			return nil, ErrNotAlphanumeric
		}
	}
	dataBits := 11*(len(text)/2) + 6*(len(text)%2)
	var v *decoder.Version
	var ecb *decoder.ECBlocks
	for n := 1; n <= 40; n++ {
		cand, _ := decoder.Version_GetVersionForNumber(n)
		b := cand.GetECBlocksForLevel(level.zx())
		capacity := (cand.GetTotalCodewords() - b.GetTotalECCodewords()) * 8
		if 4+charCountBits(n)+dataBits <= capacity {
			v, ecb = cand, b
			break
		}
	}
	if v == nil {
		return nil, ErrTooLong
	}
	version := v.GetVersionNumber()
	data := dataCodewords(text, version, v.GetTotalCodewords()-ecb.GetTotalECCodewords())
	codewords := interleave(data, ecb)

	s := &Symbol{Version: version, Size: v.GetDimensionForVersion()}
	g := newGrid(s.Size)
	g.drawFunctionPatterns(version, v.GetAlignmentPatternCenters())
	g.placeCodewords(codewords)
	best, bestPenalty := 0, -1
	for mask := 0; mask < 8; mask++ {
		g.applyMask(mask)
		g.drawFormat(level, mask)
		if p := g.penalty(); bestPenalty < 0 || p < bestPenalty {
			best, bestPenalty = mask, p
		}
		g.applyMask(mask) // XOR again undoes it
	}
	g.applyMask(best)
	g.drawFormat(level, best)
	s.Mask, s.dark = best, g.dark
	return s, nil
}

// dataCodewords builds the bit stream: mode, count, pairs of characters in
// 11 bits (a last single one in 6), terminator, padding to capacity.
func dataCodewords(text string, version, capacity int) []byte {
	var w bitWriter
	w.buf = make([]byte, 0, capacity)
	w.write(0b0010, 4)
	w.write(len(text), charCountBits(version))
	for i := 0; i+1 < len(text); i += 2 {
		w.write(int(alnumValue[text[i]])*45+int(alnumValue[text[i+1]]), 11)
	}
	if len(text)%2 == 1 {
		w.write(int(alnumValue[text[len(text)-1]]), 6)
	}
	term := capacity*8 - w.n
	if term > 4 {
		term = 4
	}
	w.write(0, term)
	if w.n%8 != 0 {
		w.write(0, 8-w.n%8)
	}
	for pad := 0; len(w.buf) < capacity; pad++ {
		w.buf = append(w.buf, [2]byte{0xEC, 0x11}[pad%2])
	}
	return w.buf
}

type bitWriter struct {
	buf []byte
	n   int // bits written
}

func (w *bitWriter) write(v, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		if v>>i&1 == 1 {
			w.buf[len(w.buf)-1] |= 0x80 >> (w.n % 8)
		}
		w.n++
	}
}

// interleave splits the data into the level's blocks, adds each block's
// error correction codewords and interleaves them as the standard says:
// data column by column, then error correction column by column.
func interleave(data []byte, ecb *decoder.ECBlocks) []byte {
	ecLen := ecb.GetECCodewordsPerBlock()
	var blocks, ecs [][]byte
	off := 0
	for _, g := range ecb.GetECBlocks() {
		for i := 0; i < g.GetCount(); i++ {
			b := data[off : off+g.GetDataCodewords()]
			off += len(b)
			blocks = append(blocks, b)
			ecs = append(ecs, rsRemainder(b, ecLen))
		}
	}
	out := make([]byte, 0, len(data)+ecLen*len(blocks))
	for i := 0; ; i++ {
		added := false
		for _, b := range blocks {
			if i < len(b) {
				out = append(out, b[i])
				added = true
			}
		}
		if !added {
			break
		}
	}
	for i := 0; i < ecLen; i++ {
		for _, e := range ecs {
			out = append(out, e[i])
		}
	}
	return out
}

// GF(256) with the QR polynomial x^8+x^4+x^3+x^2+1.
var gfExp, gfLog = func() (exp [512]byte, log [256]byte) {
	x := 1
	for i := 0; i < 255; i++ {
		exp[i] = byte(x)
		log[x] = byte(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11D
		}
	}
	for i := 255; i < 512; i++ {
		exp[i] = exp[i-255]
	}
	return
}()

var generators sync.Map // degree -> []byte, coefficients below the leading 1, as logs

// generator returns the log of each coefficient (after the leading 1) of
// prod_{i<degree} (x - a^i).
func generator(degree int) []byte {
	if g, ok := generators.Load(degree); ok {
		return g.([]byte)
	}
	poly := []byte{1}
	for i := 0; i < degree; i++ {
		next := make([]byte, len(poly)+1)
		for j, c := range poly {
			next[j] ^= c
			if c != 0 {
				next[j+1] ^= gfExp[int(gfLog[c])+i]
			}
		}
		poly = next
	}
	logs := make([]byte, degree)
	for i := range logs {
		logs[i] = gfLog[poly[i+1]] // no generator coefficient is zero
	}
	generators.Store(degree, logs)
	return logs
}

// rsRemainder returns the error correction codewords of a block.
func rsRemainder(data []byte, degree int) []byte {
	gen := generator(degree)
	rem := make([]byte, degree)
	for _, d := range data {
		factor := d ^ rem[0]
		copy(rem, rem[1:])
		rem[degree-1] = 0
		if factor != 0 {
			lf := int(gfLog[factor])
			for j, lg := range gen {
				rem[j] ^= gfExp[lf+int(lg)]
			}
		}
	}
	return rem
}
