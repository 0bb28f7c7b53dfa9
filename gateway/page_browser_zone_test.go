package gateway_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// idTypeOptions lists the values the issue form offers as the holder's ID
// type.
func idTypeOptions(t *testing.T, tab context.Context) []string {
	t.Helper()
	got, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.getElementById("holder-idType").options).map(function (o) { return o.value; })`))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func signIn(t *testing.T, tab context.Context, apiKey string) {
	t.Helper()
	fill(t, tab, map[string]string{"api-key": apiKey})
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("#login-form button")), chromedp.WaitVisible(chromedp.ID("workspace"))); err != nil {
		t.Fatal(err)
	}
}

// The console offers only the ID types the chosen type is issued to, sends
// dates as days for the gateway to place in the deployment's zone, and shows
// times in that zone, not in the browser's (here New York's).
func TestBrowserConsoleHolderIDTypesAndZone(t *testing.T) {
	requireChromium(t)
	b := newBrowserEnv(t)
	browser := newBrowser(t)
	tab := newTab(t, browser, "zh-CN,zh;q=0.9")
	if _, err := chromedp.Call(tab, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	open(t, tab, b.base+"/console")

	step(t, "a business licence is issued to a company only", func(t *testing.T) {
		signIn(t, tab, b.key("samr"))
		if got := idTypeOptions(t, tab); strings.Join(got, ",") != "uscc" {
			t.Fatalf("the business licence form offers ID types %v, want only uscc", got)
		}
	})

	var id string
	step(t, "dates are days in Asia/Shanghai, the end date included", func(t *testing.T) {
		fill(t, tab, map[string]string{
			"holder-name": "时区测试有限公司", "holder-idNumber": "91350100M000100Y43",
			"f-companyName": "时区测试有限公司", "f-entityType": "有限责任公司", "f-legalRepresentative": "王五",
			"f-establishedOn": "2021-06-01", "f-address": "福建省福州市鼓楼区五四路1号",
			"valid-from": "2026-01-01", "valid-until": "2035-12-31",
		})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("issue-submit"))); err != nil {
			t.Fatal(err)
		}
		await(t, tab, "credential", "issue-error")
		id = text(t, tab, "#cred-id")
		var got issuedAnswer
		b.do(t, "GET", "/api/v1/credentials/"+url.PathEscape(id), b.key("samr"), nil).decode(t, &got)
		from, until := got.Record.ValidFrom.UTC().Format(time.RFC3339), got.Record.ValidUntil.UTC().Format(time.RFC3339)
		if from != "2025-12-31T16:00:00Z" || until != "2035-12-31T16:00:00Z" {
			t.Fatalf("the console's 2026-01-01 to 2035-12-31 became %s to %s", from, until)
		}
	})

	step(t, "the history is in the deployment's zone", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("history-load")), chromedp.WaitVisible(chromedp.CSS("#history .tl-time"))); err != nil {
			t.Fatal(err)
		}
		changes := b.history(t, id)
		if len(changes) == 0 {
			t.Fatal("no history")
		}
		want := changes[0].Time.In(shanghaiZone(t)).Format("2006-01-02 15:04") + " (UTC+8)"
		if got := text(t, tab, "#history .tl-time"); got != want {
			t.Fatalf("the history shows %q, want %q", got, want)
		}
	})

	step(t, "a diploma is issued to a person", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login"))); err != nil {
			t.Fatal(err)
		}
		signIn(t, tab, b.key("edu"))
		if got := idTypeOptions(t, tab); strings.Join(got, ",") != "resident_id,passport,other" {
			t.Fatalf("the diploma form offers ID types %v", got)
		}
	})
}
