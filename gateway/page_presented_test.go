package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// upload posts a file to the page's upload form.
func (e *apiEnv) upload(t *testing.T, name string, data []byte) apiResponse {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("qr", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	return e.do(t, "POST", "/v", "", body.Bytes(), "Content-Type", w.FormDataContentType(), "Accept-Language", "en")
}

func (e *apiEnv) paste(t *testing.T, text string) apiResponse {
	t.Helper()
	return e.do(t, "POST", "/v", "", "id="+url.QueryEscape(text), "Content-Type", "application/x-www-form-urlencoded", "Accept-Language", "en")
}

// checkPresentedPage checks a page showing a presentation of the licence
// that discloses the company name only.
func checkPresentedPage(t *testing.T, r apiResponse, status, company string, wants ...string) {
	t.Helper()
	page := string(r.Body)
	if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("%d %v\n%s", r.Status, r.Header, page)
	}
	for _, w := range append([]string{`data-status="` + status + `"`, `id="presentation-note"`, company,
		`<dd class="withheld">not disclosed</dd>`, "Legal representative"}, wants...) {
		if !strings.Contains(page, w) {
			t.Errorf("page does not contain %q", w)
		}
	}
	for _, secret := range []string{"张三", "91350100M000100Y43", "<script>"} {
		if strings.Contains(page, secret) {
			t.Errorf("page shows %q, which the presentation withholds", secret)
		}
	}
}

func TestVerificationPageShowsPresentations(t *testing.T) {
	e := newAPIEnv(t)
	company := "页面出示有限公司"
	lic := e.mustIssue(t, company)
	compact, _ := e.present(t, lic.ID, map[string]any{"fields": []string{"companyName"}, "format": "compact"})
	pngData := qrDataPNG(t, compact.QRURL)

	t.Run("pasted compact payload", func(t *testing.T) {
		checkPresentedPage(t, e.paste(t, compact.Payload), "valid", company)
	})
	t.Run("uploaded PNG", func(t *testing.T) {
		checkPresentedPage(t, e.upload(t, "qr.png", pngData), "valid", company)
	})
	t.Run("uploaded JPEG", func(t *testing.T) {
		img, err := png.Decode(bytes.NewReader(pngData))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		jpeg.Encode(&b, img, &jpeg.Options{Quality: 75})
		checkPresentedPage(t, e.upload(t, "qr.jpg", b.Bytes()), "valid", company)
	})
	t.Run("pasted presentation JSON", func(t *testing.T) {
		p, _ := e.present(t, lic.ID, map[string]any{"fields": []string{"companyName"}})
		raw, _ := json.Marshal(p.Presentation)
		checkPresentedPage(t, e.paste(t, string(raw)), "valid", company)
	})
	t.Run("uploaded by-reference QR redirects", func(t *testing.T) {
		r := e.do(t, "GET", relative(t, lic.QRURL), e.key("samr"), nil)
		up := e.upload(t, "ref.png", r.Body)
		if up.Status != http.StatusSeeOther || up.Header.Get("Location") != relative(t, lic.VerifyURL) {
			t.Fatalf("%d %q", up.Status, up.Header.Get("Location"))
		}
	})
	t.Run("not a picture", func(t *testing.T) {
		r := e.upload(t, "x.png", []byte("GIF89a not a png"))
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "No CertLedger QR code found") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("picture without a QR code", func(t *testing.T) {
		var b bytes.Buffer
		png.Encode(&b, blankImage(200))
		r := e.upload(t, "blank.png", b.Bytes())
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "No valid credential QR code could be read") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("picture over the pixel cap", func(t *testing.T) {
		// 25 KB of PNG that would decode to 16 MiB is refused from its header.
		var b bytes.Buffer
		png.Encode(&b, blankImage(4096))
		r := e.upload(t, "big.png", b.Bytes())
		if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(string(r.Body), "Picture too large") || !strings.Contains(string(r.Body), "4096x4096") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("upload over the limit", func(t *testing.T) {
		// Through a real listener, announcing 5 MiB without sending them:
		// the server refuses from the headers, before reading the body.
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.listen(t), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /v HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n", 5<<20)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
	t.Run("the API keeps its own limit", func(t *testing.T) {
		// The server refuses it while reading, which app.Test reports as
		// an error instead of the answer: this needs a real connection.
		r := announce(t, e.listen(t), "POST", "/api/v1/verify", "application/json", "", 300<<10)
		expectProblem(t, r, http.StatusRequestEntityTooLarge)
	})
	t.Run("altered payload", func(t *testing.T) {
		b := []byte(compact.Payload)
		b[len(b)-10] ^= 1
		r := e.paste(t, string(b))
		if r.Status == http.StatusOK && !strings.Contains(string(r.Body), `data-status="forged"`) {
			t.Fatalf("an altered payload shows as %s", r.Body)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		e.pageChangeStatus(t, lic.ID, "revoke", map[string]string{"reason": "吊销", "code": "penalty"})
		checkPresentedPage(t, e.paste(t, compact.Payload), "revoked-penalty", company)
	})
}

func blankImage(side int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	return img
}
