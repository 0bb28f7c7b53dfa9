package gateway_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"testing"
)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func deflated(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestContentEncodingRefused: a compressed request body would be inflated
// past the body limit (a decompression bomb), so any coding but identity
// is refused before a handler sees the body.
func TestContentEncodingRefused(t *testing.T) {
	e := newAPIEnv(t)
	lic := e.mustIssue(t, "压缩有限公司")
	verify := []byte(`{"qr":"` + lic.ID + `"}`)
	cases := []struct {
		name, method, path, key, encoding string
		body                              []byte
	}{
		{"gzip verify", "POST", "/api/v1/verify", "", "gzip", gzipped(t, verify)},
		{"double gzip verify", "POST", "/api/v1/verify", "", "gzip, gzip", gzipped(t, gzipped(t, verify))},
		{"deflate verify", "POST", "/api/v1/verify", "", "deflate", deflated(t, verify)},
		{"br verify", "POST", "/api/v1/verify", "", "br", verify},
		{"gzip issuance", "POST", "/api/v1/credentials", e.key("samr"), "gzip", gzipped(t, []byte(`{}`))},
		{"gzip page form", "POST", "/v", "", "gzip", gzipped(t, []byte("id="+lic.ID))},
		{"unknown coding", "POST", "/api/v1/verify", "", "x-custom", verify},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, tc.key, tc.body, "Content-Encoding", tc.encoding)
			expectReason(t, r, 415, "unsupported_content_encoding")
			if got := r.Header.Get("Accept-Encoding"); got != "identity" {
				t.Fatalf("Accept-Encoding %q, want identity", got)
			}
		})
	}
	t.Run("identity is the body as sent", func(t *testing.T) {
		r := e.do(t, "POST", "/api/v1/verify", "", verify, "Content-Encoding", "identity")
		if r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
}
