package gateway_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/gateway/provision"
)

// Example builds a gateway on an embedded ledger with the demo registry,
// issues a diploma as the education bureau and verifies it.
func Example() {
	dir, _ := os.MkdirTemp("", "gateway-example")
	defer os.RemoveAll(dir)
	// The operator's key-encryption key seals the keystore and the ledger's
	// private documents (atrest.LoadFile reads it from a file).
	kek := atrest.Generate()
	ledger, _ := embedded.Open(dir, kek)
	defer ledger.Close()
	ks, _ := keystore.Open(dir, kek)
	provision.Demo(context.Background(), ledger, ks, dir, time.Now())
	keys, _ := provision.ReadDemoKeys(dir)

	srv, err := gateway.New(gateway.Config{
		PublicURL: "https://verify.example.gov.cn",
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, ledger, ks)
	if err != nil {
		fmt.Println(err)
		return
	}
	req := httptest.NewRequest("POST", "/api/v1/credentials", strings.NewReader(`{
		"type": "diploma",
		"holder": {"name": "李四", "idType": "resident_id", "idNumber": "11010519491231002X"},
		"fields": {"school": "福州大学", "major": "软件工程", "level": "本科",
		           "graduatedOn": "2025-06-30", "certificateNumber": "103861202505000001"}}`))
	req.Header.Set("Authorization", "Bearer "+keys["edu"].APIKey)
	resp, _ := srv.App().Test(req, -1)
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(body), `"verifyUrl":"https://verify.example.gov.cn/v/1.2.156.3005.2.`))

	// The verification URL in the answer is what the QR code holds.
	verifyURL := string(body[strings.Index(string(body), `"verifyUrl":"`)+13:])
	verifyURL = verifyURL[:strings.IndexByte(verifyURL, '"')]
	req = httptest.NewRequest("POST", "/api/v1/verify", strings.NewReader(`{"qr": "`+verifyURL+`"}`))
	resp, _ = srv.App().Test(req, -1)
	body, _ = io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(body), `"valid":true`), strings.Contains(string(body), "福州大学"))
	// Output:
	// 201 true
	// 200 true true
}
