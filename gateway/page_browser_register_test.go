package gateway_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// regRows is the identifier column of the console's register table.
func regRows(t *testing.T, tab context.Context) []string {
	t.Helper()
	ids, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#reg-rows tr td:last-child")).map(function (td) { return td.textContent.trim(); })`))
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// awaitRows waits until the register table lists exactly want, in order,
// with no load under way.
func awaitRows(t *testing.T, tab context.Context, want []string) {
	t.Helper()
	raw, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](`(function (want) {
		var ids = Array.from(document.querySelectorAll("#reg-rows tr td:last-child")).map(function (td) { return td.textContent.trim(); });
		return document.getElementById("register").getAttribute("aria-busy") === "false" && JSON.stringify(ids) === JSON.stringify(want);
	})(`+string(raw)+`)`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		screenshot(t, tab, "failure-register")
		t.Fatalf("the register lists %d rows %v (error %q), want %d rows %v: %v", len(regRows(t, tab)), regRows(t, tab), text(t, tab, "#reg-error"), len(want), want, err)
	}
}

// moreShown reports whether the register offers a next page.
func moreShown(t *testing.T, tab context.Context) bool {
	t.Helper()
	shown, err := chromedp.Run(tab, chromedp.Evaluate[bool](`!document.getElementById("reg-more").hidden`))
	if err != nil {
		t.Fatal(err)
	}
	return shown
}

// csvDownload clicks the console's CSV button and returns the file it
// hands to the browser: its name and rows. The page's own request is the
// one checked; the download itself is caught before it reaches the disk.
func csvDownload(t *testing.T, tab context.Context) (string, [][]string) {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(function () {
		window.__csv = null;
		if (!window.__blobs) {
			window.__blobs = {};
			var create = URL.createObjectURL;
			URL.createObjectURL = function (b) { var u = create.call(URL, b); window.__blobs[u] = b; return u; };
			var click = HTMLAnchorElement.prototype.click;
			HTMLAnchorElement.prototype.click = function () {
				var b = window.__blobs[this.href];
				if (!this.download || !b) { return click.call(this); }
				var name = this.download;
				// The decoder keeps the byte order mark a spreadsheet needs.
				b.arrayBuffer().then(function (buf) {
					window.__csv = { name: name, type: b.type, text: new TextDecoder("utf-8", { ignoreBOM: true }).decode(buf) };
				});
			};
		}
		return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("reg-csv"))); err != nil {
		t.Fatal(err)
	}
	type file struct{ Name, Type, Text string }
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](`window.__csv !== null || !document.getElementById("reg-error").hidden`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("no CSV: %v", err)
	}
	f, err := chromedp.Run(tab, chromedp.Evaluate[*file](`window.__csv`))
	if err != nil || f == nil {
		t.Fatalf("no CSV (%v); the page says %q", err, text(t, tab, "#reg-error"))
	}
	if !strings.HasPrefix(f.Type, "text/csv") || !strings.HasPrefix(f.Text, "\ufeff") {
		t.Fatalf("the download is %q, starting %.40q", f.Type, f.Text)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(f.Text, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || rows[0][0] != "id" || rows[0][3] != "status" {
		t.Fatalf("CSV header %v", rows)
	}
	return f.Name, rows[1:]
}

// csvIDs is the id column of CSV rows.
func csvIDs(rows [][]string) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r[0]
	}
	return ids
}

// The console's register lists the department's credentials newest first,
// a page at a time, narrowed by status chip, type and holder, exports the
// shown selection as CSV, never shows another department's credentials,
// and fits a 360-pixel phone without the page scrolling sideways.
func TestBrowserConsoleRegister(t *testing.T) {
	requireChromium(t)
	b := newBrowserEnv(t)
	browser := newBrowser(t)

	// A second type for the market department, so that the type filter
	// has something to leave out.
	const permitName = "食品经营许可证"
	permit := map[string]any{
		"code": "11100000MB02000124002", "nameZh": permitName, "nameEn": "Food Business Permit",
		"fields": []map[string]any{
			{"name": "companyName", "type": "string", "required": true, "labelZh": "企业名称", "labelEn": "Company", "maxLength": 100},
			{"name": "registeredOn", "type": "date", "required": true, "labelZh": "许可日期", "labelEn": "Permitted on"},
		},
		"issuers": []string{"samr"}, "defaultValidityDays": 365,
	}
	if r := b.do(t, "PUT", "/api/v1/types/food-permit", b.key("gov"), permit); r.Status >= 300 {
		t.Fatalf("registering the permit type: %d %s", r.Status, r.Body)
	}
	// 55 credentials: more than the console's page of 50; every fourth a
	// permit, one licence for a holder of its own, one suspended.
	loner := uscc(t, "91350100M00030000")
	var issued, permits []string
	var lonerID string
	for i := range 55 {
		body := licenceBody("台账页面测试有限公司" + itoa(i))
		if i%4 == 1 {
			body = map[string]any{"type": "food-permit",
				"holder": map[string]any{"name": "许可测试有限公司", "idType": "uscc", "idNumber": "91350100M000100Y43"},
				"fields": map[string]any{"companyName": "许可测试有限公司" + itoa(i), "registeredOn": "2025-05-01"}}
		}
		if i == 30 {
			body["holder"] = map[string]any{"name": "独立持证有限公司", "idType": "uscc", "idNumber": loner}
		}
		lic, r := b.issue(t, "samr", body)
		if r.Status != http.StatusCreated {
			t.Fatalf("issue %d: %d %s", i, r.Status, r.Body)
		}
		issued = append(issued, lic.ID)
		if i%4 == 1 {
			permits = append(permits, lic.ID)
		}
		if i == 30 {
			lonerID = lic.ID
		}
	}
	suspended := issued[17]
	if r := b.do(t, "POST", "/api/v1/credentials/"+suspended+"/suspend", b.key("samr"), map[string]string{"reason": "暂扣待查"}); r.Status != http.StatusOK {
		t.Fatalf("suspend: %d %s", r.Status, r.Body)
	}
	var ofEdu []string
	for _, n := range []string{"350102199003071234", "11010519491231002X"} {
		d, r := b.issue(t, "edu", personBody("diploma", n))
		if r.Status != http.StatusCreated {
			t.Fatalf("edu: %d %s", r.Status, r.Body)
		}
		ofEdu = append(ofEdu, d.ID)
	}

	// The API's own order is the reference: registerIDs checks it is
	// newest first; the console must show the same.
	all := b.registerIDs(t, "samr", nil, 0)
	if !sameSet(all, issued) {
		t.Fatalf("the API lists %d credentials, not the 55 issued", len(all))
	}
	for _, id := range ofEdu {
		if slices.Contains(all, id) {
			t.Fatalf("the market register lists education's %s", id)
		}
	}
	wantPermits := b.registerIDs(t, "samr", url.Values{"type": {"food-permit"}}, 0)
	if !sameSet(wantPermits, permits) {
		t.Fatalf("the API's permits %v, issued %v", wantPermits, permits)
	}

	tab := newTab(t, browser, "zh-CN,zh;q=0.9")
	open(t, tab, b.base+"/console")
	fill(t, tab, map[string]string{"api-key": b.key("samr")})
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("#login-form button")), chromedp.WaitVisible(chromedp.ID("workspace"))); err != nil {
		t.Fatal(err)
	}

	step(t, "the first page, newest first", func(t *testing.T) {
		awaitRows(t, tab, all[:50])
		if !moreShown(t, tab) {
			t.Fatal("no More button with 5 credentials left")
		}
	})

	step(t, "More appends the rest, each once", func(t *testing.T) {
		// Two clicks before the answer must not append the same page twice.
		if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(function (m) { m.click(); m.click(); return true; })(document.getElementById("reg-more"))`)); err != nil {
			t.Fatal(err)
		}
		awaitRows(t, tab, all)
		if moreShown(t, tab) {
			t.Fatal("More is still offered after the last page")
		}
		sees(t, tab, []string{permitName, "营业执照", "暂扣"}, nil)
	})

	step(t, "the CSV holds the shown selection", func(t *testing.T) {
		name, rows := csvDownload(t, tab)
		if !strings.HasPrefix(name, "register-samr") || !strings.HasSuffix(name, ".csv") {
			t.Fatalf("the file is named %q", name)
		}
		if got := csvIDs(rows); !slices.Equal(got, all) {
			t.Fatalf("the CSV lists %d rows %v, want the table's %d", len(got), got, len(all))
		}
		for _, r := range rows {
			if want := map[bool]string{true: "suspended", false: "valid"}[r[0] == suspended]; r[3] != want {
				t.Fatalf("the CSV says %s is %s, want %s", r[0], r[3], want)
			}
		}
	})

	step(t, "a 360-pixel phone scrolls the table, not the page", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.EmulateViewport(360, 780, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
			t.Fatal(err)
		}
		widths, err := chromedp.Run(tab, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth, document.body.scrollWidth,
			document.querySelector("#register .table-wrap").scrollWidth, document.querySelector("#register .table-wrap").clientWidth]`))
		if err != nil {
			t.Fatal(err)
		}
		if widths[0] > widths[1] || widths[2] > widths[1] {
			screenshot(t, tab, "failure-register-360")
			t.Fatalf("the page is %d (body %d) pixels wide in a %d-pixel viewport", widths[0], widths[2], widths[1])
		}
		if widths[4] > widths[1] {
			t.Fatalf("the table's wrapper is %d pixels wide in a %d-pixel viewport", widths[4], widths[1])
		}
		screenshot(t, tab, "console-register-360-zh")
		phone(t, tab)
	})

	step(t, "the suspended chip shows the suspended credential only", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`#reg-status .chip[data-status="suspended"]`))); err != nil {
			t.Fatal(err)
		}
		awaitRows(t, tab, []string{suspended})
		if pressed := text(t, tab, `#reg-status .chip[aria-pressed="true"]`); pressed != "暂扣" {
			t.Fatalf("the pressed chip says %q", pressed)
		}
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`#reg-status .chip[data-status=""]`))); err != nil {
			t.Fatal(err)
		}
		awaitRows(t, tab, all[:50])
	})

	step(t, "the type filter narrows to permits", func(t *testing.T) {
		fill(t, tab, map[string]string{"reg-type": "food-permit"})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("reg-search"))); err != nil {
			t.Fatal(err)
		}
		awaitRows(t, tab, wantPermits)
		types, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#reg-rows tr td:nth-child(2)")).map(function (td) { return td.textContent; })`))
		if err != nil {
			t.Fatal(err)
		}
		for _, ty := range types {
			if ty != permitName {
				t.Fatalf("a permit row says its type is %q", ty)
			}
		}
		_, rows := csvDownload(t, tab)
		if got := csvIDs(rows); !slices.Equal(got, wantPermits) {
			t.Fatalf("the filtered CSV lists %v, want %v", got, wantPermits)
		}
	})

	step(t, "the holder filter finds one holder's credential", func(t *testing.T) {
		fill(t, tab, map[string]string{"reg-type": "", "reg-idType": "uscc", "reg-idNumber": strings.ToLower(loner)})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("reg-search"))); err != nil {
			t.Fatal(err)
		}
		awaitRows(t, tab, []string{lonerID})
		// Typed but not searched, a filter does not change the export:
		// the CSV is what the table shows.
		fill(t, tab, map[string]string{"reg-idNumber": ""})
		_, rows := csvDownload(t, tab)
		if got := csvIDs(rows); !slices.Equal(got, []string{lonerID}) {
			t.Fatalf("the holder's CSV lists %v, want %s", got, lonerID)
		}
		if main := text(t, tab, "main"); strings.Contains(main, loner) {
			t.Fatal("the page shows the holder's ID number outside its input")
		}
	})

	step(t, "another department sees its own register only", func(t *testing.T) {
		fill(t, tab, map[string]string{"reg-idType": "uscc", "reg-idNumber": loner})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login"))); err != nil {
			t.Fatal(err)
		}
		fill(t, tab, map[string]string{"api-key": b.key("edu")})
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("#login-form button")), chromedp.WaitVisible(chromedp.ID("workspace"))); err != nil {
			t.Fatal(err)
		}
		if v, err := chromedp.Run(tab, chromedp.Value(chromedp.ID("reg-idNumber"))); err != nil || v != "" {
			t.Fatalf("the previous department's holder filter is still there: %q (%v)", v, err)
		}
		edu := b.registerIDs(t, "edu", nil, 0)
		if !sameSet(edu, ofEdu) {
			t.Fatalf("the API lists %v for education, issued %v", edu, ofEdu)
		}
		awaitRows(t, tab, edu)
		_, rows := csvDownload(t, tab)
		if got := csvIDs(rows); !slices.Equal(got, edu) {
			t.Fatalf("education's CSV lists %v, want %v", got, edu)
		}
	})
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
