package scenario

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/certledger/certledger/credential"
)

// activityItem is an entry of GET /api/v1/me/activity.
type activityItem struct {
	At         string `json:"at"`
	Event      string `json:"event"`
	Credential string `json:"credential"`
	Reason     string `json:"reason"`
}

// activity pages through the citizen's activity limit items at a time.
func (z citizen) activity(t testing.TB, limit int) []activityItem {
	t.Helper()
	var all []activityItem
	before := ""
	for page := 0; ; page++ {
		path := "/api/v1/me/activity?limit=" + strconv.Itoa(limit)
		if before != "" {
			path += "&before=" + url.QueryEscape(before)
		}
		r := z.c.Request(t, "GET", path, "", nil)
		if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: GET %s: %d %q %s", z.who.Username, path, r.Status, r.Header.Get("Cache-Control"), r.Body)
		}
		var p struct {
			Items []activityItem `json:"items"`
			Next  string         `json:"next"`
		}
		r.JSON(t, &p)
		if len(p.Items) > limit || page > 1000 {
			t.Fatalf("%s: page %d of the activity has %d items, limit %d", z.who.Username, page, len(p.Items), limit)
		}
		all = append(all, p.Items...)
		if p.Next == "" {
			return all
		}
		before = p.Next
	}
}

// holderActivity: the first citizen's activity shows the issuance of each
// of their samples and, newest first, the suspension and reinstatement
// their issuer then makes; anonymous verification adds nothing; paging
// gives the same list; the second citizen sees none of it, and an API key
// reads no one's.
func (s *suite) holderActivity(t *testing.T) {
	z := s.holder.first
	items := z.wallet(t)
	issued := map[string]bool{}
	for _, it := range z.activity(t, 200) {
		if !slices.Contains(s.holder.firstIDs, it.Credential) {
			t.Fatalf("%s's activity names %s, not theirs: %+v", z.who.Username, it.Credential, it)
		}
		if it.Event == "issued" {
			issued[it.Credential] = true
		}
	}
	for _, id := range s.holder.firstIDs {
		if !issued[id] {
			t.Fatalf("%s's activity lacks the issuance of %s", z.who.Username, id)
		}
	}

	target := items[0]
	key := map[string]string{"edu": s.edu, "hrss": s.hrss, "samr": s.samr}[target.Issuer.ID]
	if key == "" {
		t.Fatalf("no API key for the issuer %s of %s", target.Issuer.ID, target.ID)
	}
	const why = "核对毕业信息"
	for _, step := range []struct {
		action string
		body   any
	}{{"suspend", map[string]string{"reason": why}}, {"reinstate", nil}} {
		if r := s.c.Request(t, "POST", "/api/v1/credentials/"+url.PathEscape(target.ID)+"/"+step.action, key, step.body); r.Status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", step.action, target.ID, r.Status, r.Body)
		}
	}
	got := z.activity(t, 200)
	if len(got) < 2 || got[0] != (activityItem{got[0].At, "reinstated", target.ID, ""}) ||
		got[1] != (activityItem{got[1].At, "suspended", target.ID, why}) {
		t.Fatalf("the newest activity after a suspension and reinstatement: %+v", got)
	}

	// Anonymous verification, by the page and by the API, is not recorded.
	r := z.c.Request(t, "GET", "/api/v1/me/credentials/"+url.PathEscape(target.ID), "", nil)
	var cred struct {
		VerifyURL string `json:"verifyUrl"`
	}
	r.JSON(t, &cred)
	u, err := url.Parse(cred.VerifyURL)
	if err != nil || cred.VerifyURL == "" {
		t.Fatalf("the holder's verify URL %q: %v", cred.VerifyURL, err)
	}
	for _, page := range []string{u.RequestURI(), "/v/" + url.PathEscape(target.ID)} {
		if r := s.c.Request(t, "GET", page, "", nil); r.Status != http.StatusOK {
			t.Fatalf("anonymous GET %s: %d", page, r.Status)
		}
	}
	if r := s.c.Request(t, "POST", "/api/v1/verify", "", map[string]string{"qr": cred.VerifyURL}); r.Status != http.StatusOK {
		t.Fatalf("anonymous verification of the QR: %d %s", r.Status, r.Body)
	}
	if after := z.activity(t, 200); !slices.Equal(after, got) {
		t.Fatalf("anonymous verification changed the activity:\n%+v\nwas\n%+v", after, got)
	}
	if paged := z.activity(t, 1); !slices.Equal(paged, got) {
		t.Fatalf("one item a page gives\n%+v\nnot\n%+v", paged, got)
	}

	second := s.holder.second
	for _, it := range second.activity(t, 200) {
		if slices.Contains(s.holder.firstIDs, it.Credential) {
			t.Fatalf("%s's activity names %s of %s", second.who.Username, it.Credential, z.who.Username)
		}
	}
	expectProblem(t, s.c.Request(t, "GET", "/api/v1/me/activity", s.edu, nil), http.StatusUnauthorized,
		string(credential.ReasonNotSignedIn))
	expectProblem(t, z.c.Request(t, "GET", "/api/v1/me/activity?limit=201", "", nil), http.StatusBadRequest,
		string(credential.ReasonInvalidRequest))
}
