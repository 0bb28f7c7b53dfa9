package gateway_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPresentation walks a verifier through a holder's partial
// presentation: the offline QR text pasted on the home page, then a picture
// of the QR code uploaded. The page shows the disclosed fields, marks the
// withheld ones, and runs no script (the tab reports CSP violations).
func TestBrowserPresentation(t *testing.T) {
	requireChromium(t)
	b := newBrowserEnv(t)
	browser := newBrowser(t)
	company := "福州部分出示科技有限公司"
	lic := b.issueOverHTTP(t, company)
	compact, _ := b.present(t, lic.ID, map[string]any{"fields": []string{"companyName", "holder.name"}, "format": "compact"})
	pngPath := filepath.Join(t.TempDir(), "presentation-qr.png")
	if err := os.WriteFile(pngPath, qrDataPNG(t, compact.QRURL), 0o644); err != nil {
		t.Fatal(err)
	}

	zh := newTab(t, browser, "zh-CN,zh;q=0.9")
	step(t, "pasted offline QR text", func(t *testing.T) {
		open(t, zh, b.base+"/")
		fill(t, zh, map[string]string{"lookup-id": compact.Payload})
		if _, err := chromedp.RunResponse(zh, chromedp.Click(chromedp.CSS("form.lookup:not(.upload) button"))); err != nil {
			t.Fatal(err)
		}
		if got := text(t, zh, ".banner-title"); got != "有效" {
			t.Fatalf("status banner says %q, want 有效", got)
		}
		sees(t, zh, []string{"部分出示", company, "法定代表人", "未披露", "签发机关签名", "账本记录"}, []string{"张三", "91350100M000100Y43", "五四路"})
		if got := text(t, zh, "#content dd.withheld"); got != "未披露" {
			t.Fatalf("a withheld field reads %q", got)
		}
		screenshot(t, zh, "verify-presentation-zh")
	})

	step(t, "uploaded picture of the QR code, in English", func(t *testing.T) {
		open(t, zh, b.base+"/?lang=en")
		if err := chromedp.Do(zh, chromedp.SetUploadFiles(chromedp.ID("lookup-qr"), []string{pngPath})); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.RunResponse(zh, chromedp.Click(chromedp.CSS("form.upload button"))); err != nil {
			t.Fatal(err)
		}
		if got := text(t, zh, ".banner-title"); got != "Valid" {
			t.Fatalf("status banner says %q, want Valid", got)
		}
		sees(t, zh, []string{"Partial presentation", company, "Legal representative", "not disclosed"}, []string{"张三", "91350100M000100Y43"})
	})

	step(t, "revoked after the presentation was made", func(t *testing.T) {
		b.pageChangeStatus(t, lic.ID, "revoke", map[string]string{"reason": "营业执照被吊销", "code": "penalty"})
		open(t, zh, b.base+"/?lang=zh")
		fill(t, zh, map[string]string{"lookup-id": compact.Payload})
		if _, err := chromedp.RunResponse(zh, chromedp.Click(chromedp.CSS("form.lookup:not(.upload) button"))); err != nil {
			t.Fatal(err)
		}
		if got := text(t, zh, ".banner-title"); got != "已吊销" {
			t.Fatalf("status banner says %q, want 已吊销", got)
		}
		// A presentation's reader is not the holder: the code and date, not the reason.
		sees(t, zh, []string{"起"}, []string{"营业执照被吊销"})
	})
}
