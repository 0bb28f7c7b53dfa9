package gateway_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// issuedCount reads how many credentials the gateway has issued (not
// replayed) from its metrics.
func issuedCount(t *testing.T, b *browserEnv) int {
	t.Helper()
	r := b.do(t, "GET", "/metrics", "", nil)
	sum := 0
	for _, m := range regexp.MustCompile(`certledger_issuances_total\{[^}]*outcome="issued"[^}]*\} (\d+)`).FindAllStringSubmatch(string(r.Body), -1) {
		n, _ := strconv.Atoi(m[1])
		sum += n
	}
	return sum
}

// One filled-in form is one credential, however often 签发 is clicked:
// the console sends one Idempotency-Key per submission and, once the
// credential is issued, says so instead of offering to issue again.
func TestBrowserConsoleIssuesOncePerForm(t *testing.T) {
	requireChromium(t)
	b := newBrowserEnv(t)
	browser := newBrowser(t)
	tab := newTab(t, browser, "zh-CN,zh;q=0.9")
	open(t, tab, b.base+"/console")
	fill(t, tab, map[string]string{"api-key": b.key("samr")})
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("#login-form button")), chromedp.WaitVisible(chromedp.ID("workspace"))); err != nil {
		t.Fatal(err)
	}
	form := map[string]string{
		"holder-name": "双击测试有限公司", "holder-idType": "uscc", "holder-idNumber": "91350100M000100Y43",
		"f-companyName": "双击测试有限公司", "f-entityType": "有限责任公司", "f-legalRepresentative": "王五",
		"f-registeredCapital": "100", "f-establishedOn": "2021-06-01", "f-address": "福建省福州市鼓楼区五四路1号",
	}
	fill(t, tab, form)
	before := issuedCount(t, b)

	step(t, "a double click, then another click once the answer is in", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.DoubleClick(chromedp.ID("issue-submit"))); err != nil {
			t.Fatal(err)
		}
		await(t, tab, "credential", "issue-error")
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("issue-submit"))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		if n := issuedCount(t, b) - before; n != 1 {
			t.Fatalf("%d credentials issued, want 1", n)
		}
	})

	step(t, "the form says it is done", func(t *testing.T) {
		done, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.getElementById("issue-submit").disabled`))
		if err != nil || !done {
			t.Fatalf("the issue button is still enabled after issuing (%v)", err)
		}
		if got := text(t, tab, "#issue-submit"); got != "已签发" {
			t.Fatalf("the issue button says %q", got)
		}
	})

	step(t, "changing the form makes a new submission", func(t *testing.T) {
		fill(t, tab, map[string]string{"f-legalRepresentative": "赵六"})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("issue-submit"))); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](`document.getElementById("issue-submit").textContent.trim() === "已签发"`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("the second form was not issued: %v", err)
		}
		if n := issuedCount(t, b) - before; n != 2 {
			t.Fatalf("%d credentials issued, want 2", n)
		}
		if got := text(t, tab, "main"); !strings.Contains(got, "证照已签发") {
			t.Fatalf("no confirmation shown: %s", got)
		}
	})
}
