package gateway

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/credential/qrscan"
	qrcode "github.com/skip2/go-qrcode"
)

// compactLicence is the compact payload of a business licence presentation
// disclosing the company name and the holder's ID number: a typical
// offline QR code (about 900 characters).
func compactLicence(t testing.TB) string {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(nil)
	dept, _ := credential.Registry{Departments: demo.Departments()}.Department(demo.Market)
	dept.Keys = []credential.Key{{ID: "k1", PublicKey: base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)), ValidFrom: time.Unix(0, 0), Status: credential.KeyActive}}
	typ, _ := credential.Registry{Types: demo.Types()}.Type("business-licence")
	d, err := credential.Issue(credential.IssueParams{Type: typ, Issuer: dept, IssuedAt: time.Now(),
		Holder: credential.Holder{Name: "福州数字未来科技有限公司", IDType: "uscc", IDNumber: "91350100M000100Y43"},
		Fields: map[string]string{"companyName": "福州数字未来科技有限公司", "entityType": "有限责任公司", "legalRepresentative": "张三",
			"establishedOn": "2020-03-15", "address": "福建省福州市鼓楼区五四路100号", "registeredCapital": "500"}}, "k1", priv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.Present([]string{"companyName", credential.ClaimHolderIDNumber})
	if err != nil {
		t.Fatal(err)
	}
	text, err := credential.EncodeCompact(p)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestCompactQRPNG(t *testing.T) {
	text := compactLicence(t)
	png, err := compactQRPNG(text, DefaultQRSize)
	if err != nil {
		t.Fatal(err)
	}
	got, err := qrscan.Decode(png)
	if err != nil || got != text {
		t.Fatalf("decoded %q, %v", got, err)
	}
	// Alphanumeric mode at level Q: byte mode could not hold this many
	// characters in so small a symbol.
	q, _ := qrcode.New(text, qrcode.High)
	if q.Level != qrcode.High || !strings.HasPrefix(text, credential.CompactPrefix) || len(text) <= 715 || q.VersionNumber > 25 {
		t.Fatalf("%d characters in version %d", len(text), q.VersionNumber)
	}
}

// BenchmarkCompactQRRender measures rendering an offline QR code: QR
// encoding at level Q and PNG, for a typical compact payload.
func BenchmarkCompactQRRender(b *testing.B) {
	text := compactLicence(b)
	b.ReportAllocs()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := compactQRPNG(text, DefaultQRSize); err != nil {
				b.Fatal(err)
			}
		}
	})
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := float64(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) / float64(b.N)
	b.ReportMetric(cpu/1000, "cpu-us/op")
	b.ReportMetric(2e9/cpu, "ops/s@2cpu")
}
