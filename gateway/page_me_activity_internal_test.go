package gateway

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

var timelinePattern = regexp.MustCompile(`<li class="activity-item tone-dot-([a-z]+)" data-event="([a-z_]+)"(?: data-credential="([^"]+)")?>`)

// timeline lists a page's events in page order as "event credential".
func timeline(body string) []string {
	var out []string
	for _, m := range timelinePattern.FindAllStringSubmatch(body, -1) {
		out = append(out, m[2]+" "+m[3])
	}
	return out
}

var olderPage = regexp.MustCompile(`id="older-page" href="([^"]+)"`)

// The holder's timeline page: their events newest first, in either
// language, a page at a time; nobody else's.
func TestMyActivityPage(t *testing.T) {
	e := newWalletEnv(t, Config{}, nil)
	ctx := context.Background()
	diploma, qual := e.issue("edu", personP, 1), e.issue("hrss", personP, 1)
	other := e.issue("edu", personQ, 2)
	change := func(dept, id string, ch credential.StatusChange) {
		t.Helper()
		if _, err := e.ledger.ChangeStatus(ctx, e.keys[dept].MSPID, id, ch); err != nil {
			t.Fatal(err)
		}
	}
	change("edu", diploma, credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查学籍"})
	change("edu", diploma, credential.StatusChange{Action: credential.ActionRevoke, Reason: "学籍不符", Code: credential.RevokedWithdrawn})
	p, q := e.sessionFor(personP), e.sessionFor(personQ)

	zh := e.page("/me/activity", p, "zh-CN")
	zh.expect(t, "P's activity in Chinese", http.StatusOK,
		[]string{`data-signed-in="true"`, "李四", `aria-current="page">用证记录`, `<h1 class="section-title" id="my-activity-title">用证记录</h1>`,
			`id="activity-about"`, "匿名核验，不按人记录", `<span class="activity-event">撤销</span>`, `<span class="activity-event">暂扣</span>`,
			`<span class="activity-event">签发</span>`, "原因：学籍不符", "原因：核查学籍",
			`<a href="/me/credentials/` + diploma + `"><span class="activity-type">毕业证书</span><span class="activity-issuer">教育局</span></a>`,
			`<span class="activity-type">职业资格证书</span><span class="activity-issuer">人力资源和社会保障局</span>`, `href="/me/activity?lang=en"`},
		[]string{other, "11010519491231002X", `id="no-activity"`, `id="older-page"`, `id="newest-page"`, "activity.event."})
	want := []string{"revoked " + diploma, "suspended " + diploma, "issued " + qual, "issued " + diploma}
	if got := timeline(zh.body); !slices.Equal(got, want) {
		t.Fatalf("P's timeline %v, want %v", got, want)
	}
	// Times as every page states them: to the minute, in the deployment's zone.
	page, err := e.srv.holderActivity(ctx, personP, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	L := e.srv.pages.r.catalog(langZh)
	newest := page.Items[0].At
	if at := `<time class="activity-time" datetime="` + newest.UTC().Format(time.RFC3339) + `">` + L.Time(newest) + `</time>`; !strings.Contains(html.UnescapeString(zh.body), at) || !strings.Contains(at, "(UTC+8)") {
		t.Errorf("the newest event's time: want %s", at)
	}

	en := e.page("/me/activity?lang=en", p, "zh-CN")
	en.expect(t, "P's activity in English", http.StatusOK,
		[]string{`aria-current="page">Activity`, ">Revoked<", ">Suspended<", ">Issued<", "Reason: 学籍不符", "Diploma", "Education Bureau",
			"Professional Qualification", "not recorded per person"},
		[]string{"用证记录", "毕业证书"})
	if got := timeline(en.body); !slices.Equal(got, want) {
		t.Fatalf("P's timeline in English %v, want %v", got, want)
	}

	e.page("/me/activity", q, "zh-CN").expect(t, "Q's activity", http.StatusOK,
		[]string{`data-credential="` + other + `"`}, []string{diploma, qual, "李四", ">暂扣<"})
	if got := timeline(e.page("/me/activity", q, "zh-CN").body); !slices.Equal(got, []string{"issued " + other}) {
		t.Fatalf("Q's timeline %v", got)
	}
	e.page("/me/activity", e.sessionFor(companyC), "zh-CN").expect(t, "a holder without activity", http.StatusOK,
		[]string{`id="no-activity"`, "暂无记录", "匿名核验"}, []string{`class="activity-item`})

	// Over a page: older events behind a link, each event on one page.
	for range activityPageSize / 2 {
		change("hrss", qual, credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查"})
		change("hrss", qual, credential.StatusChange{Action: credential.ActionReinstate})
	}
	first := e.page("/me/activity", p, "zh-CN")
	m := olderPage.FindStringSubmatch(first.body)
	if n := len(timeline(first.body)); n != activityPageSize || m == nil {
		t.Fatalf("the first page: %d events, older link %v", n, m)
	}
	second := e.page(html.UnescapeString(m[1]), p, "zh-CN")
	second.expect(t, "the older page", http.StatusOK, []string{`id="newest-page" href="/me/activity"`, `href="` + m[1] + `&amp;lang=en"`},
		[]string{`id="older-page"`})
	all := append(timeline(first.body), timeline(second.body)...)
	if len(all) != len(want)+activityPageSize || all[0] != "reinstated "+qual || !slices.Equal(all[len(all)-len(want):], want) {
		t.Fatalf("two pages: %v", all)
	}

	for _, bad := range []string{"!!", "bm90IGEgY3Vyc29y", strings.Repeat("A", maxActivityCursor+1)} {
		e.page("/me/activity?before="+url.QueryEscape(bad), p, "zh-CN").expect(t, "cursor "+bad, http.StatusBadRequest,
			[]string{`data-status="citizen"`}, []string{`class="activity-item`})
	}
	e.page("/me/activity", "", "zh-CN").expect(t, "signed out", http.StatusUnauthorized,
		[]string{`data-signed-in="false"`}, []string{"李四", `class="activity-item`})
}

// Signed out, the timeline offers the sign-in, which comes back to it; a
// session that ended says so.
func TestMyActivityPageSignedOut(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	cookie := e.signedInCookie(t)
	e.issueTo(t, "edu", "diploma", zhangWei.holder, map[string]any{"school": "福州大学", "major": "软件工程",
		"level": "本科", "graduatedOn": "2024-06-30", "certificateNumber": "103861202405000001"})
	getPage(t, e.srv, "/me/activity", cookie, "zh-CN").expect(t, "signed in", http.StatusOK, []string{`data-event="issued"`, "毕业证书"}, nil)
	getPage(t, e.srv, "/me/activity?lang=en", "", "zh-CN").expect(t, "signed out", http.StatusUnauthorized,
		[]string{`data-signed-in="false"`, `id="sign-in" href="/me/login?next=` + url.QueryEscape("/me/activity?lang=en") + `"`},
		[]string{"张伟", `class="activity-item`, `role="alert"`})
	e.clock.Advance(e.srv.sessions.idle + time.Minute)
	getPage(t, e.srv, "/me/activity", cookie, "zh-CN").expect(t, "after the session ended", http.StatusUnauthorized,
		[]string{`data-signed-in="false"`, "您的登录已失效"}, []string{"张伟", `class="activity-item`})
}

// Every kind of event, the shares' too, has its words in both languages,
// with the share's purpose and who opened it.
func TestActivityEntryWords(t *testing.T) {
	cats, err := loadCatalogs(webFS, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 1, 8, 30, 0, 0, time.UTC)
	typ := &typeSummary{NameZh: "毕业证书", NameEn: "Diploma"}
	issuer := &issuerSummary{NameZh: "教育局", NameEn: "Education Bureau"}
	cases := []struct {
		item   activityItem
		zh, en []string
		tone   string
	}{
		{activityItem{Event: eventIssued}, []string{"签发"}, []string{"Issued"}, "ok"},
		{activityItem{Event: eventSuspended, Reason: "核查"}, []string{"暂扣", "原因：核查"}, []string{"Suspended", "Reason: 核查"}, "warn"},
		{activityItem{Event: eventReinstated}, []string{"恢复有效"}, []string{"Reinstated"}, "ok"},
		{activityItem{Event: eventRevoked, Reason: "造假"}, []string{"撤销", "原因：造假"}, []string{"Revoked", "Reason: 造假"}, "bad"},
		{activityItem{Event: eventRenewed}, []string{"换发"}, []string{"Renewed"}, "ok"},
		{activityItem{Event: eventTokenRotated}, []string{"更换二维码"}, []string{"New QR code"}, "info"},
		{activityItem{Event: eventShareCreated, Share: "S1", Purpose: "入职审核"}, []string{"创建分享", "用途：入职审核"}, []string{"Share created", "Purpose: 入职审核"}, "info"},
		{activityItem{Event: eventShareOpened, Share: "S1", Purpose: "入职审核", By: "某某公司"}, []string{"分享被打开", "用途：入职审核", "打开者：某某公司"},
			[]string{"Share opened", "Purpose: 入职审核", "Opened by: 某某公司"}, "info"},
		{activityItem{Event: eventShareWithdrawn, Share: "S1"}, []string{"撤回分享"}, []string{"Share withdrawn"}, "muted"},
		{activityItem{Event: "something_new"}, nil, nil, "muted"},
	}
	r, err := newRenderer(time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(string(tc.item.Event), func(t *testing.T) {
			tc.item.At, tc.item.Credential, tc.item.Type, tc.item.Issuer = at, "CRED-1", typ, issuer
			for lang, want := range map[string][]string{langZh: tc.zh, langEn: tc.en} {
				L := cats[lang]
				entry := activityEntryOf(L, tc.item)
				if entry.Tone != tc.tone || entry.Time != "2025-03-01 08:30 (UTC)" || entry.CredentialURL != "/me/credentials/CRED-1" {
					t.Errorf("%s: %+v", lang, entry)
				}
				v := activityView{holderMeta: holderMeta{pageMeta: pageMeta{L: L, Page: "meactivity"}}, Items: []activityEntry{entry}}
				body, err := r.render("meactivity", v)
				if err != nil {
					t.Fatal(err)
				}
				for _, w := range append(want, L.Pick("毕业证书", "Diploma"), L.Pick("教育局", "Education Bureau")) {
					if !strings.Contains(string(body), w) {
						t.Errorf("%s: the entry lacks %q", lang, w)
					}
				}
				if tc.item.Event != "something_new" && strings.Contains(string(body), "activity.event.") {
					t.Errorf("%s: %s has no words", lang, tc.item.Event)
				}
			}
		})
	}
}
