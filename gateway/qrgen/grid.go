package qrgen

import "sync"

// grid is a symbol under construction: module colours and which modules
// belong to function patterns (never masked, never data).
type grid struct {
	size     int
	dark     []byte // 1 dark, 0 light
	function []bool
	scratch  []byte // penalty's transposed copy
}

func newGrid(size int) *grid {
	return &grid{size: size, dark: make([]byte, size*size), function: make([]bool, size*size)}
}

func (g *grid) setFunction(x, y int, dark bool) {
	g.dark[y*g.size+x] = byte(b2i(dark))
	g.function[y*g.size+x] = true
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

// drawFunctionPatterns draws timing, finder and alignment patterns and
// reserves the format and version information areas.
func (g *grid) drawFunctionPatterns(version int, alignment []int) {
	n := g.size
	for i := 0; i < n; i++ {
		g.setFunction(6, i, i%2 == 0)
		g.setFunction(i, 6, i%2 == 0)
	}
	// Finder patterns with their light separators.
	for _, c := range [][2]int{{3, 3}, {n - 4, 3}, {3, n - 4}} {
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x >= 0 && x < n && y >= 0 && y < n {
					d := max(abs(dx), abs(dy))
					g.setFunction(x, y, d != 2 && d != 4)
				}
			}
		}
	}
	last := len(alignment) - 1
	for i, cy := range alignment {
		for j, cx := range alignment {
			if i == 0 && j == 0 || i == 0 && j == last || i == last && j == 0 {
				continue // overlaps a finder pattern
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					g.setFunction(cx+dx, cy+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	g.drawFormatBits(0) // reserves the area; redrawn for each mask
	if version >= 7 {
		rem := version
		for i := 0; i < 12; i++ {
			rem = rem<<1 ^ (rem>>11)*0x1F25
		}
		bits := version<<12 | rem
		for i := 0; i < 18; i++ {
			dark := bits>>i&1 == 1
			a, b := n-11+i%3, i/3
			g.setFunction(a, b, dark)
			g.setFunction(b, a, dark)
		}
	}
}

func (g *grid) drawFormat(level Level, mask int) {
	data := level.formatBits()<<3 | mask
	rem := data
	for i := 0; i < 10; i++ {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	g.drawFormatBits((data<<10 | rem) ^ 0x5412)
}

// drawFormatBits writes the 15 format bits in both copies, and the dark
// module.
func (g *grid) drawFormatBits(bits int) {
	n := g.size
	bit := func(i int) bool { return bits>>i&1 == 1 }
	for i := 0; i <= 5; i++ {
		g.setFunction(8, i, bit(i))
	}
	g.setFunction(8, 7, bit(6))
	g.setFunction(8, 8, bit(7))
	g.setFunction(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		g.setFunction(14-i, 8, bit(i))
	}
	for i := 0; i < 8; i++ {
		g.setFunction(n-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		g.setFunction(8, n-15+i, bit(i))
	}
	g.setFunction(8, n-8, true)
}

// placeCodewords fills the data modules in the standard zigzag: column
// pairs from the right, alternately upwards and downwards, skipping the
// vertical timing pattern. Modules left over (remainder bits) stay light.
func (g *grid) placeCodewords(data []byte) {
	n := g.size
	i := 0
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		upward := (right+1)&2 == 0
		for vert := 0; vert < n; vert++ {
			y := vert
			if upward {
				y = n - 1 - vert
			}
			for j := 0; j < 2; j++ {
				x := right - j
				if !g.function[y*n+x] && i < len(data)*8 {
					g.dark[y*n+x] = data[i>>3] >> (7 - i&7) & 1
					i++
				}
			}
		}
	}
}

// applyMask XORs data modules with a mask pattern (applying it twice
// restores them).
func (g *grid) applyMask(mask int) {
	for i, f := range g.flips(mask) {
		g.dark[i] ^= f
	}
}

// flips returns which modules a mask inverts: its pattern over the data
// modules. Function patterns depend only on the version, so the result is
// cached per version and mask.
func (g *grid) flips(mask int) []byte {
	key := g.size*8 + mask
	if f, ok := flipCache.Load(key); ok {
		return f.([]byte)
	}
	n := g.size
	f := make([]byte, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			f[y*n+x] = byte(b2i(!g.function[y*n+x] && maskBit(mask, x, y)))
		}
	}
	flipCache.Store(key, f)
	return f
}

var flipCache sync.Map // size*8+mask -> []byte

func maskBit(mask, x, y int) bool {
	switch mask {
	case 0:
		return (x+y)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (x+y)%3 == 0
	case 4:
		return (x/3+y/2)%2 == 0
	case 5:
		return x*y%2+x*y%3 == 0
	case 6:
		return (x*y%2+x*y%3)%2 == 0
	}
	return ((x+y)%2+x*y%3)%2 == 0
}

// penalty scores a masked symbol with the four rules of ISO/IEC 18004
// 7.8.3: runs of one colour, 2x2 blocks, finder-like patterns, imbalance.
func (g *grid) penalty() int {
	n := g.size
	if cap(g.scratch) < n*n {
		g.scratch = make([]byte, n*n)
	}
	cols := g.scratch[:n*n] // transposed, so columns are rows too
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			cols[x*n+y] = g.dark[y*n+x]
		}
	}
	p := 0
	for y := 0; y < n; y++ {
		p += linePenalty(g.dark[y*n:(y+1)*n]) + linePenalty(cols[y*n:(y+1)*n])
	}
	dark := 0
	for y := 0; y < n; y++ {
		row := g.dark[y*n : (y+1)*n]
		for _, d := range row {
			dark += int(d)
		}
		if y+1 == n {
			break
		}
		next := g.dark[(y+1)*n : (y+2)*n]
		for x := 0; x+1 < n; x++ {
			// Four equal modules sum to 0 or 4.
			if s := row[x] + row[x+1] + next[x] + next[x+1]; s == 0 || s == 4 {
				p += 3
			}
		}
	}
	total := n * n
	k := (abs(dark*20-total*10)+total-1)/total - 1
	return p + k*10
}

// Finder-like patterns of rule 3 as the last 11 modules of a line, dark
// as 1: 1:1:3:1:1 followed or preceded by four light modules.
const (
	finderThenLight = 0b10111010000
	lightThenFinder = 0b00001011101
)

// linePenalty scores one row or column: rule 1 (runs of five or more) and
// rule 3 (finder-like patterns). The window starts and ends with light
// modules, the quiet zone, which counts as light.
func linePenalty(line []byte) int {
	p, run := 0, 0
	prev := byte(2)
	window := 0
	for _, d := range line {
		if d == prev {
			run++
		} else {
			if run >= 5 {
				p += run - 2
			}
			run, prev = 1, d
		}
		window = (window<<1 | int(d)) & 0x7FF
		if window == finderThenLight || window == lightThenFinder {
			p += 40
		}
	}
	if run >= 5 {
		p += run - 2
	}
	for i := 0; i < 4; i++ {
		window = window << 1 & 0x7FF
		if window == finderThenLight {
			p += 40
		}
	}
	return p
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
