package qrscan

import (
	"image"

	"github.com/makiuchi-d/gozxing"
)

// luminance gives gozxing the image's brightness, one byte a pixel. A JPEG
// photo's Y plane and a gray PNG's pixels are used as they are; RGB pixels
// are read from their buffer. gozxing's own conversion calls At for every
// pixel, which allocates one small object each: 48 MB of garbage for an
// RGBA image of 4 megapixels.
func luminance(img image.Image) (gozxing.LuminanceSource, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.YCbCr:
		return planar(m.Y[m.YOffset(b.Min.X, b.Min.Y):], m.YStride, w, h)
	case *image.Gray:
		return planar(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, w, h)
	case *image.RGBA:
		return planar(rgbLuminance(m.Pix, m.Stride, w, h, true), w, w, h)
	case *image.NRGBA:
		return planar(rgbLuminance(m.Pix, m.Stride, w, h, false), w, w, h)
	}
	return gozxing.NewLuminanceSourceFromImage(img), nil
}

// planar wraps rows of w luminance bytes, stride bytes apart.
func planar(y []byte, stride, w, h int) (gozxing.LuminanceSource, error) {
	return gozxing.NewPlanarYUVLuminanceSource(y, stride, h, 0, 0, w, h, false)
}

// rgbLuminance uses gozxing's formula, (r+2g+b)/4 composited over white, on
// 8-bit RGBA pixels, premultiplied or not.
func rgbLuminance(pix []byte, stride, w, h int, premultiplied bool) []byte {
	out := make([]byte, w*h)
	for y := 0; y < h; y++ {
		row := pix[y*stride : y*stride+4*w]
		for x := 0; x < w; x++ {
			r, g, bl, a := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2]), uint32(row[4*x+3])
			lum := (r + 2*g + bl) / 4
			if !premultiplied {
				lum = lum * a / 255
			}
			out[y*w+x] = byte(lum + (255 - a))
		}
	}
	return out
}
