package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/chromedp/chromedp"
)

// fieldProblem returns the problem the console shows next to the input
// with id, and whether the input is marked invalid and described by it;
// "" when there is none.
func fieldProblem(t *testing.T, tab context.Context, id string) (string, bool) {
	t.Helper()
	args, _ := json.Marshal(id)
	type shown struct {
		Text   string `json:"text"`
		Marked bool   `json:"marked"`
	}
	got, err := chromedp.Run(tab, chromedp.Evaluate[shown](`(function (id) {
		var input = document.getElementById(id), p = document.getElementById(id + "-problem");
		if (!p || p.hidden || input.nextElementSibling !== p) { return {text: "", marked: false}; }
		return {text: p.textContent, marked: input.getAttribute("aria-invalid") === "true" && input.getAttribute("aria-describedby") === p.id};
	})(`+string(args)+`)`))
	if err != nil {
		t.Fatal(err)
	}
	return got.Text, got.Marked
}

// The Chinese console words a refused issuance from the problem's reasons:
// each field problem in Chinese next to its field, the problem itself in
// the form's error box, and none of the server's English detail.
func TestBrowserConsoleWordsProblemsByReason(t *testing.T) {
	requireChromium(t)
	b := newBrowserEnv(t)
	browser := newBrowser(t)
	tab := newTab(t, browser, "zh-CN,zh;q=0.9")
	desktop(t, tab)
	open(t, tab, b.base+"/console")
	fill(t, tab, map[string]string{"api-key": b.key("samr")})
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("#login-form button")), chromedp.WaitVisible(chromedp.ID("workspace"))); err != nil {
		t.Fatal(err)
	}
	fill(t, tab, map[string]string{
		"holder-name": "原因测试有限公司", "holder-idType": "uscc", "holder-idNumber": "91350100M000100Y44", // wrong check character
		"f-companyName": "原因测试有限公司", "f-entityType": "有限责任公司", "f-legalRepresentative": "王五",
		"f-registeredCapital": "五百万", "f-establishedOn": "2021-06-01", "f-address": "福建省福州市鼓楼区五四路1号",
	})
	before := issuedCount(t, b)
	field := reasonText(t, credential.ReasonInvalidField, "zh", true)

	step(t, "each problem in Chinese next to its field", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("issue-submit"))); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](`!!document.getElementById("holder-idNumber-problem")`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			screenshot(t, tab, "failure-field-problems")
			t.Fatalf("no problem next to the ID number; the form says %q", text(t, tab, "#issue-error"))
		}
		for id, label := range map[string]string{"holder-idNumber": "证件号码", "f-registeredCapital": "注册资本（万元）"} {
			got, marked := fieldProblem(t, tab, id)
			if want := fmt.Sprintf(field, label); got != want || !marked {
				t.Errorf("next to #%s: %q (marked invalid: %v), want %q", id, got, marked, want)
			}
		}
		if got, _ := fieldProblem(t, tab, "holder-name"); got != "" {
			t.Errorf("the holder's name, which is right, shows %q", got)
		}
		box := text(t, tab, "#issue-error")
		if want := reasonText(t, credential.ReasonInvalidField, "zh", false); box != want {
			t.Errorf("the form's error box says %q, want %q", box, want)
		}
		page := text(t, tab, "main")
		for _, english := range []string{"Invalid request", "problems", "holder.idNumber", "check character", "registeredCapital"} {
			if strings.Contains(page, english) {
				t.Errorf("the console shows the server's English %q", english)
			}
		}
		if n := issuedCount(t, b) - before; n != 0 {
			t.Fatalf("%d credentials issued from a refused form", n)
		}
		screenshot(t, tab, "console-field-problems-zh")
	})

	step(t, "a corrected field loses its problem, and the form issues", func(t *testing.T) {
		fill(t, tab, map[string]string{"holder-idNumber": "91350100M000100Y43"})
		if got, _ := fieldProblem(t, tab, "holder-idNumber"); got != "" {
			t.Errorf("the corrected ID number still shows %q", got)
		}
		if got, _ := fieldProblem(t, tab, "f-registeredCapital"); got == "" {
			t.Error("the capital, not yet corrected, lost its problem")
		}
		fill(t, tab, map[string]string{"f-registeredCapital": "500"})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("issue-submit"))); err != nil {
			t.Fatal(err)
		}
		await(t, tab, "credential", "issue-error")
		if got, _ := fieldProblem(t, tab, "f-registeredCapital"); got != "" {
			t.Errorf("the issued form still shows %q", got)
		}
	})
}
