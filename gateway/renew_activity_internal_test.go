package gateway

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// After a renewal and a change, the holder's list shows the newest version
// only, and the activity tells them apart: changed, renewed, issued,
// newest first, with the issuer's reasons; the activity page words them.
func TestRenewAndChangeInHolderView(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	v1 := e.issueTo(t, "samr", "business-licence", company.holder, map[string]any{"companyName": company.holder.Name,
		"entityType": "有限责任公司", "legalRepresentative": "张伟", "establishedOn": "2020-03-15", "address": "福州市鼓楼区五四路100号"})
	newVersion := func(id, action string, body any) string {
		t.Helper()
		r := e.send(t, "POST", "/api/v1/credentials/"+id+"/"+action, "samr", "", body)
		var ans newVersionAnswer
		if r.status != http.StatusCreated || json.Unmarshal(r.body, &ans) != nil || ans.Superseded == nil || ans.Superseded.ID != id {
			t.Fatalf("%s %s: %d %s", action, id, r.status, r.body)
		}
		return ans.ID
	}
	v2 := newVersion(v1, "renew", map[string]any{"validUntil": "2099-12-31", "reason": "营业期限延续"})
	v3 := newVersion(v2, "change", map[string]any{"fields": map[string]any{"address": "福州市台江区新路1号"}, "reason": "住所变更"})

	b := e.browser(t)
	e.signIn(t, b, company)
	firm := e.sessionCookie(t, b)
	r := e.call(t, "GET", "/api/v1/me/credentials", firm)
	var page walletPage
	if r.status != http.StatusOK || json.Unmarshal(r.body, &page) != nil {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if len(page.Items) != 1 || page.Items[0].ID != v3 || page.Items[0].Version != 3 || page.Items[0].Status != "valid" {
		t.Fatalf("the holder lists %s, want only version 3 %s", r.body, v3)
	}

	r = e.call(t, "GET", "/api/v1/me/activity", firm)
	var act activityPage
	if r.status != http.StatusOK || json.Unmarshal(r.body, &act) != nil {
		t.Fatalf("activity: %d %s", r.status, r.body)
	}
	var got []string
	for _, it := range act.Items {
		got = append(got, string(it.Event)+" "+it.Credential+" "+it.Reason)
	}
	want := []string{"changed " + v3 + " 住所变更", "renewed " + v2 + " 营业期限延续", "issued " + v1 + " "}
	if !slices.Equal(got, want) {
		t.Fatalf("activity:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, lang := range []struct{ accept, changed, renewed string }{{"zh-CN", "变更", "换发"}, {"en", "Changed", "Renewed"}} {
		p := e.call(t, "GET", "/me/activity", firm, "Accept-Language", lang.accept)
		body := string(p.body)
		if p.status != http.StatusOK || !strings.Contains(body, `data-event="changed"`) || !strings.Contains(body, `data-event="renewed"`) ||
			!strings.Contains(body, ">"+lang.changed+"<") || !strings.Contains(body, ">"+lang.renewed+"<") {
			t.Errorf("%s activity page: %d\n%s", lang.accept, p.status, body)
		}
	}
}
