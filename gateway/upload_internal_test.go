package gateway

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/credential/qrscan"
	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"
)

// blankPNG is a white side×side picture: 4096×4096 compresses to 25 KB
// but decodes to 16 MiB.
func blankPNG(t testing.TB, side int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// countingDecoder is a qrDecoder whose decode counts its calls and the
// most that ran at once, and blocks until release is closed.
type countingDecoder struct {
	*qrDecoder
	calls, running, most atomic.Int32
	release              chan struct{}
}

func newCountingDecoder(decodes int) *countingDecoder {
	d := &countingDecoder{qrDecoder: newQRDecoder(decodes, DefaultUploadPixels), release: make(chan struct{})}
	d.wait = 50 * time.Millisecond
	d.decode = func(data []byte, maxPixels int) (string, error) {
		d.calls.Add(1)
		n := d.running.Add(1)
		defer d.running.Add(-1)
		for m := d.most.Load(); n > m && !d.most.CompareAndSwap(m, n); m = d.most.Load() {
		}
		<-d.release
		return qrscan.DecodeWithin(data, maxPixels)
	}
	return d
}

func TestQRDecoderRefusesBeforeDecoding(t *testing.T) {
	qr, _ := qrcode.Encode("CL1:SMALL", qrcode.Medium, 256)
	for _, tc := range []struct {
		name    string
		data    []byte
		want    error
		decoded bool
	}{
		{"4096x4096 PNG", blankPNG(t, 4096), qrscan.ErrTooLarge, false},
		{"not a picture", []byte("GIF89a"), errNotImage, false},
		{"QR code", qr, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newCountingDecoder(1)
			close(d.release)
			_, err := d.read(context.Background(), tc.data)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if decoded := d.calls.Load() > 0; decoded != tc.decoded {
				t.Fatalf("decoder invoked: %v", decoded)
			}
		})
	}
}

func TestQRDecoderBoundsConcurrentDecodes(t *testing.T) {
	const n = 2
	d := newCountingDecoder(n)
	qr, _ := qrcode.Encode("CL1:SMALL", qrcode.Medium, 256)
	errs := make(chan error, n+1)
	var wg sync.WaitGroup
	for range n + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := d.read(context.Background(), qr)
			errs <- err
		}()
	}
	// The one without a slot gives up after d.wait while n decodes hold theirs.
	if err := <-errs; !errors.Is(err, errDecodersBusy) {
		t.Fatalf("first answer: %v", err)
	}
	close(d.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if d.most.Load() != n || d.calls.Load() != n {
		t.Fatalf("%d decodes at once, %d in all; want %d", d.most.Load(), d.calls.Load(), n)
	}
	// The request's context bounds the wait too.
	for range n {
		d.slots <- struct{}{}
	}
	d.wait = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.read(ctx, qr); !errors.Is(err, errDecodersBusy) {
		t.Fatalf("cancelled request: %v", err)
	}
}

// The page answers an oversized picture with 413 and a busy decoder with
// 503 and Retry-After, whether it came as the file or the text field.
func TestUploadStatuses(t *testing.T) {
	r, err := newRenderer(time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	d := newCountingDecoder(1)
	close(d.release)
	app := fiber.New(fiber.Config{BodyLimit: DefaultUploadLimit})
	(&pages{r: r, qr: d.qrDecoder}).mount(app)
	qr, _ := qrcode.Encode("CL1:SMALL", qrcode.Medium, 256)
	post := func(field string, data []byte) (int, string, string) {
		t.Helper()
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		var part io.Writer
		if field == "qr" {
			part, _ = w.CreateFormFile("qr", "x.png")
		} else {
			part, _ = w.CreateFormField(field)
		}
		part.Write(data)
		w.Close()
		req := httptest.NewRequest("POST", "/v", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Accept-Language", "en")
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Retry-After"), string(page)
	}
	big := blankPNG(t, 4096)
	for _, tc := range []struct {
		name   string
		field  string
		data   []byte
		busy   bool
		status int
		page   string
	}{
		{"oversized file", "qr", big, false, 413, "Picture too large"},
		{"oversized text field", "id", big, false, 413, "Picture too large"},
		{"file while busy", "qr", qr, true, 503, "Service busy"},
		{"text field while busy", "id", qr, true, 503, "Service busy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.busy {
				d.slots <- struct{}{}
				defer func() { <-d.slots }()
			}
			status, retry, page := post(tc.field, tc.data)
			if status != tc.status || !strings.Contains(page, tc.page) || (retry != "") != tc.busy {
				t.Fatalf("%d Retry-After %q\n%s", status, retry, page)
			}
		})
	}
	if d.calls.Load() != 0 {
		t.Fatalf("the decoder ran %d times", d.calls.Load())
	}
}
