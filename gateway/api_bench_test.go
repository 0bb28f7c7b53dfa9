package gateway_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/network/nettest/cputime"
	"github.com/valyala/fasthttp"
)

// benchEnv is a gateway whose access log is formatted as in production but
// written nowhere.
func benchEnv(b *testing.B) *apiEnv {
	return newAPIEnv(b, func(c *gateway.Config, _ *ledgerWrap) {
		c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	})
}

// runHandler drives the app's fasthttp handler directly from parallel
// goroutines: the cost of the gateway's own work (routing, middleware,
// JSON, ledger read, checks), without sockets.
func runHandler(b *testing.B, e *apiEnv, method, uri, auth string, body []byte) {
	h := e.srv.App().Handler()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process()
	defer func() { reportCPU(b, cputime.Process()-cpu0) }()
	b.RunParallel(func(pb *testing.PB) {
		var ctx fasthttp.RequestCtx
		for pb.Next() {
			ctx.Request.Reset()
			ctx.Response.Reset()
			ctx.Request.Header.SetMethod(method)
			ctx.Request.SetRequestURI(uri)
			if auth != "" {
				ctx.Request.Header.Set("Authorization", "Bearer "+auth)
			}
			if body != nil {
				ctx.Request.Header.SetContentType("application/json")
				ctx.Request.SetBody(body)
			}
			h(&ctx)
			if st := ctx.Response.StatusCode(); st != 200 && st != 201 {
				b.Fatalf("%s %s: %d %s", method, uri, ctx.Response.StatusCode(), ctx.Response.Body())
			}
		}
	})
}

func reportCPU(b *testing.B, used time.Duration) {
	if used <= 0 || b.N == 0 {
		return
	}
	perOp := float64(used.Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/1000, "cpu-us/op")
	b.ReportMetric(2e9/perOp, "ops/s@2cpu")
}

// BenchmarkVerifyHandler measures POST /api/v1/verify on the embedded
// ledger: a signed business licence (one Ed25519 verification, one record
// read), and the text of its QR code (record and private document reads).
func BenchmarkVerifyHandler(b *testing.B) {
	e := benchEnv(b)
	lic := e.mustIssue(b, "基准测试数字科技有限公司")
	for _, bc := range []struct {
		name string
		body any
	}{
		{"document", map[string]any{"document": lic.Document}},
		{"qr", map[string]any{"qr": lic.VerifyURL}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			raw, err := json.Marshal(bc.body)
			if err != nil {
				b.Fatal(err)
			}
			runHandler(b, e, "POST", "/api/v1/verify", "", raw)
		})
	}
}

// BenchmarkQRPNG measures GET /api/v1/credentials/{id}/qr.png: API key
// check, record read and PNG rendering of the verification URL.
func BenchmarkQRPNG(b *testing.B) {
	e := benchEnv(b)
	lic := e.mustIssue(b, "基准测试二维码有限公司")
	runHandler(b, e, "GET", relative(b, lic.QRURL), e.key("samr"), nil)
}

// BenchmarkPresentationHandler measures POST
// /api/v1/credentials/{id}/presentations in the compact format: API key
// check, record and document reads, derivation, CBOR/COSE/zlib/Base45 and
// the QR PNG as a data: URL.
func BenchmarkPresentationHandler(b *testing.B) {
	e := benchEnv(b)
	lic := e.mustIssue(b, "基准测试出示有限公司")
	body, _ := json.Marshal(map[string]any{"fields": []string{"companyName", "holder.idNumber"}, "format": "compact"})
	runHandler(b, e, "POST", "/api/v1/credentials/"+lic.ID+"/presentations", e.key("samr"), body)
}

// BenchmarkVerifyCompactHandler measures POST /api/v1/verify with the
// text of an offline QR code: decoding, every check and the ledger record.
func BenchmarkVerifyCompactHandler(b *testing.B) {
	e := benchEnv(b)
	lic := e.mustIssue(b, "基准测试离线核验有限公司")
	p, _ := e.present(b, lic.ID, map[string]any{"fields": []string{"companyName", "holder.idNumber"}, "format": "compact"})
	body, _ := json.Marshal(map[string]string{"qr": p.Payload})
	runHandler(b, e, "POST", "/api/v1/verify", "", body)
}
