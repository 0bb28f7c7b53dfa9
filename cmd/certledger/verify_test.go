package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
)

type presentationAnswer struct {
	Presentation json.RawMessage `json:"presentation"`
	Payload      string          `json:"payload"`
	QRURL        string          `json:"qrUrl"`
}

func (g *cliGateway) present(t *testing.T, id, format string, fields ...string) (presentationAnswer, []byte) {
	t.Helper()
	var out presentationAnswer
	if st := g.call(t, "POST", "/api/v1/credentials/"+id+"/presentations", "samr", map[string]any{"fields": fields, "format": format}, &out); st != http.StatusCreated {
		t.Fatalf("presentation: %d", st)
	}
	b64, ok := strings.CutPrefix(out.QRURL, "data:image/png;base64,")
	if !ok {
		t.Fatalf("qrUrl %.40q", out.QRURL)
	}
	img, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return out, img
}

func TestVerifyCommand(t *testing.T) {
	g := startGateway(t)
	lic := g.issueLicence(t, "命令行核验有限公司")
	compact, qrPNG := g.present(t, lic.ID, "compact", "companyName", "holder.name")
	jsonPres, _ := g.present(t, lic.ID, "json", "companyName")
	presFile := writeFile(t, "presentation.json", mustJSON(t, map[string]any{"presentation": jsonPres.Presentation}))

	tlDir := t.TempDir()
	trustList := filepath.Join(tlDir, "trust.jws")
	if res := runCLI(t, "trust-list", "export", "--gateway", g.URL, "-o", trustList); res.Code != 0 {
		t.Fatalf("export: %s", res.Stderr)
	}

	pngFile := writeFile(t, "qr.png", qrPNG)
	jpegFile := writeFile(t, "qr.jpg", toJPEG(t, qrPNG))
	docFile := writeFile(t, "licence.json", lic.Document)
	payloadFile := writeFile(t, "payload.txt", []byte(compact.Payload+"\n"))
	urlFile := writeFile(t, "url.txt", []byte(lic.VerifyURL))
	refPNG := writeFile(t, "reference-qr.png", g.get(t, "/api/v1/credentials/"+lic.ID+"/qr.png", "samr"))
	offline := []string{"verify", "--offline", "--trust-list", trustList}
	online := []string{"verify", "--gateway", g.URL}

	cases := []struct {
		name  string
		args  []string
		code  int
		wants []string
	}{
		{"compact QR image offline", append(offline, pngFile), 3, []string{"compact offline QR payload read from a QR code image",
			"[ok  ] integrity:", "[ok  ] signature:", "[ok  ] issuer:", "[??  ] status:", "Company name (名称): 命令行核验有限公司",
			"Not disclosed:", "Address (住所)", "NOT CONFIRMED: status unknown until verified online", "first use of this trust list"}},
		{"compact QR image online", append(online, pngFile), 0, []string{"online, through the gateway", "[ok  ] ledger:", "[ok  ] status:", "Result:     VALID"}},
		{"JPEG photo of the QR online", append(online, jpegFile), 0, []string{"read from a QR code image", "VALID"}},
		{"QR text file offline", append(offline, payloadFile), 3, []string{"compact offline QR payload\n", "NOT CONFIRMED"}},
		{"credential document online", append(online, docFile), 0, []string{"credential document", "Business Licence (营业执照)", "VALID"}},
		{"credential document offline", append(offline, docFile), 3, []string{"[ok  ] signature:", "Legal representative (法定代表人): 张三", "NOT CONFIRMED"}},
		{"presentation online", append(online, presFile), 0, []string{"presentation (some fields withheld)", "Not disclosed:", "VALID"}},
		{"by-reference URL online", append(online, urlFile), 0, []string{"by-reference QR text", "Address (住所)", "VALID"}},
		{"by-reference URL offline", append(offline, urlFile), 1, []string{"holds only a link", "NOT CONFIRMED"}},
		{"by-reference QR image online", append(online, refPNG), 0, []string{"by-reference QR text (verification URL) read from a QR code image", "Legal representative (法定代表人): 张三", "VALID"}},
		{"standard input", append(online, "-"), 0, []string{"VALID"}},
		// Times are stated in the deployment's zone: offline the CLI's,
		// Asia/Shanghai unless --time-zone says otherwise; online the gateway's.
		{"offline times in China Standard Time", append(offline, docFile), 3, []string{"+08:00 until ", "+08:00, current until "}},
		{"offline times in another zone", append(append(offline, "--time-zone", "UTC"), docFile), 3, []string{"Z until ", "Z, current until "}},
		{"online times in the gateway's zone", append(online, docFile), 0, []string{"+08:00 until "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var res cliResult
			if tc.args[len(tc.args)-1] == "-" {
				res = runCLIStdin(t, []byte(compact.Payload), tc.args...)
			} else {
				res = runCLI(t, tc.args...)
			}
			if res.Code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", res.Code, tc.code, res.Stdout, res.Stderr)
			}
			mustContain(t, "output", res.Stdout, tc.wants...)
		})
	}
	if _, err := os.Stat(trustList + ".anchors"); err != nil {
		t.Fatalf("trust on first use recorded nothing: %v", err)
	}

	t.Run("tampered document", func(t *testing.T) {
		var doc credential.Document
		if err := json.Unmarshal(lic.Document, &doc); err != nil {
			t.Fatal(err)
		}
		for i := range doc.Claims {
			if doc.Claims[i].Name == "companyName" {
				doc.Claims[i].Value = "冒名顶替有限公司"
			}
		}
		f := writeFile(t, "forged.json", mustJSON(t, doc))
		for _, args := range [][]string{append(online, f), append(offline, f)} {
			res := runCLI(t, args...)
			if res.Code != 1 {
				t.Fatalf("%q: exit %d", args, res.Code)
			}
			mustContain(t, "output", res.Stdout, "[FAIL] integrity:", "NOT VALID: forged or altered")
		}
	})

	t.Run("revoked: unknown offline, revoked online", func(t *testing.T) {
		if st := g.call(t, "POST", "/api/v1/credentials/"+lic.ID+"/revoke", "samr", map[string]string{"reason": "吊销", "code": "penalty"}, &struct{}{}); st != 200 {
			t.Fatalf("revoke: %d", st)
		}
		res := runCLI(t, append(offline, pngFile)...)
		if res.Code != 3 {
			t.Fatalf("exit %d, want 3 (authentic, status unknown offline)", res.Code)
		}
		mustContain(t, "offline output", res.Stdout, "[??  ] status:", "unknown offline", "NOT CONFIRMED: status unknown until verified online")
		res = runCLI(t, append(online, pngFile)...)
		if res.Code != 1 {
			t.Fatalf("exit %d", res.Code)
		}
		mustContain(t, "online output", res.Stdout, "[FAIL] status:", "revoked (penalty)", "NOT VALID: the credential is revoked")
	})

	t.Run("anchors", func(t *testing.T) {
		reg, err := g.l.Registry(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		gov, _ := reg.Department("gov")
		res := runCLI(t, "verify", "--offline", "--trust-list", trustList, "--anchor", gov.Keys[0].PublicKey, payloadFile)
		mustContain(t, "output", res.Stdout, "anchored on the given governance key", "[ok  ] signature:")
		other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
		res = runCLI(t, "verify", "--offline", "--trust-list", trustList, "--anchor", other, payloadFile)
		if res.Code != 1 || !strings.Contains(res.Stderr, "no key equal to the --anchor key") {
			t.Fatalf("wrong anchor: exit %d: %s", res.Code, res.Stderr)
		}
		// A list signed by someone else, read with the recorded anchors.
		foreign := startGateway(t)
		foreignList := filepath.Join(t.TempDir(), "foreign.jws")
		if res := runCLI(t, "trust-list", "export", "--gateway", foreign.URL, "-o", foreignList); res.Code != 0 {
			t.Fatal(res.Stderr)
		}
		res = runCLI(t, "verify", "--offline", "--trust-list", foreignList, "--anchor-file", trustList+".anchors", payloadFile)
		if res.Code != 1 || !strings.Contains(res.Stderr, "does not verify") && !strings.Contains(res.Stderr, "not a trust anchor") {
			t.Fatalf("foreign list: exit %d: %s", res.Code, res.Stderr)
		}
	})

	usage := [][]string{
		{"verify"},
		{"verify", "--gateway", g.URL},
		{"verify", "--offline", payloadFile},
		{"verify", "--gateway", g.URL, filepath.Join(t.TempDir(), "missing")},
		{"verify", "--gateway", g.URL, payloadFile, payloadFile},
		{"verify", "--no-such-flag", payloadFile},
	}
	for _, args := range usage {
		if res := runCLI(t, args...); res.Code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, res.Code, res.Stderr)
		}
	}
}

// get fetches a resource as a department.
func (g *cliGateway) get(t *testing.T, path, dept string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", g.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+g.Keys[dept].APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return b
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// toJPEG re-encodes a PNG as a JPEG, as a phone camera would deliver it.
func toJPEG(t *testing.T, pngData []byte) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
