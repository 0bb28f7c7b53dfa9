package scenario

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/qrscan"
)

// shareItem is a share as GET/POST /api/v1/me/shares answer it.
type shareItem struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	QRURL     string   `json:"qrUrl"`
	Fields    []string `json:"fields"`
	State     string   `json:"state"`
	OpenCount int      `json:"openCount"`
}

// sharedPage is GET /s/{id} as JSON.
type sharedPage struct {
	Valid  bool `json:"valid"`
	Fields []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"fields"`
	Share struct {
		ID      string `json:"id"`
		Purpose string `json:"purpose"`
	} `json:"share"`
}

func (z citizen) share(t testing.TB, id string, fields []string, expiresIn int) shareItem {
	t.Helper()
	r := z.c.Request(t, "POST", "/api/v1/me/shares", "", map[string]any{"credential": id, "fields": fields,
		"purpose": "场景核验", "expiresIn": expiresIn}, "Origin", z.c.base)
	if r.Status != http.StatusCreated {
		t.Fatalf("share %s: %d %s", id, r.Status, r.Body)
	}
	var v shareItem
	r.JSON(t, &v)
	return v
}

func (z citizen) shares(t testing.TB) []shareItem {
	t.Helper()
	r := z.c.Request(t, "GET", "/api/v1/me/shares", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list shares: %d %s", r.Status, r.Body)
	}
	var ans struct {
		Items []shareItem `json:"items"`
	}
	r.JSON(t, &ans)
	return ans.Items
}

// holderShares: the first citizen shares one field of a credential; a
// stranger without a session opens the link and sees that field only,
// verified; the other citizen can neither list nor withdraw it; the offline
// QR decodes to a presentation of the field; withdrawn, and expired by the
// gateway's clock, the link answers 410.
func (s *suite) holderShares(t *testing.T) {
	z, other := s.holder.first, s.holder.second
	id := s.holder.firstIDs[0]
	r := z.c.Request(t, "GET", "/api/v1/me/credentials/"+url.PathEscape(id), "", nil)
	var cred myCredential
	r.JSON(t, &cred)
	if cred.Document == nil {
		t.Fatalf("open %s: %d %s", id, r.Status, r.Body)
	}
	var field, value string
	for _, c := range cred.Document.Claims {
		if !strings.HasPrefix(c.Name, "holder.") {
			field, value = c.Name, c.Value
			break
		}
	}
	sh := z.share(t, id, []string{field}, 0)
	if sh.State != "active" || !strings.HasPrefix(sh.URL, z.c.base+"/s/") || strings.Contains(sh.URL, z.who.IDNumber) {
		t.Fatalf("created %+v", sh)
	}
	path := strings.TrimPrefix(sh.URL, z.c.base)

	stranger := newClient(z.c.base)
	r = stranger.Request(t, "GET", path, "", nil, "Accept", "application/json")
	if r.Status != http.StatusOK {
		t.Fatalf("a stranger opens %s: %d %s", path, r.Status, r.Body)
	}
	var got sharedPage
	r.JSON(t, &got)
	if len(got.Fields) != 1 || got.Fields[0].Name != field || got.Fields[0].Value != value || !got.Valid || got.Share.Purpose != "场景核验" {
		t.Fatalf("the stranger sees %s", r.Body)
	}
	if bytes.Contains(r.Body, []byte(z.who.IDNumber)) || bytes.Contains(r.Body, []byte(z.who.Name)) {
		t.Fatalf("the share discloses the holder: %s", r.Body)
	}
	page := stranger.Request(t, "GET", path, "", nil, "Accept", "text/html")
	if page.Status != http.StatusOK || page.Header.Get("Cache-Control") != "no-store" || page.Header.Get("Referrer-Policy") != "same-origin" ||
		!strings.Contains(page.Header.Get("X-Robots-Tag"), "noindex") || !bytes.Contains(page.Body, []byte(value)) {
		t.Fatalf("share page: %d %v", page.Status, page.Header)
	}

	if items := z.shares(t); len(items) == 0 || items[0].ID != sh.ID || items[0].OpenCount != 2 {
		t.Fatalf("%s's shares after two openings: %+v", z.who.Username, items)
	}
	for _, it := range other.shares(t) {
		if it.ID == sh.ID {
			t.Fatalf("%s lists %s's share", other.who.Username, z.who.Username)
		}
	}
	expectProblem(t, other.c.Request(t, "DELETE", "/api/v1/me/shares/"+sh.ID, "", nil, "Origin", other.c.base),
		http.StatusNotFound, string(credential.ReasonShareNotFound))

	r = z.c.Request(t, "GET", "/api/v1/me/shares/"+sh.ID+"/offline-qr.png", "", nil)
	text, err := qrscan.Decode(r.Body)
	if r.Status != http.StatusOK || err != nil {
		t.Fatalf("offline QR: %d %v", r.Status, err)
	}
	p, err := credential.DecodeCompact(text)
	if err != nil || !p.IsPresentation() || len(p.Claims) != 1 || p.Claims[0].Name != field {
		t.Fatalf("the offline QR holds %v %+v", err, p)
	}
	r = stranger.Request(t, "GET", path+"/qr.png", "", nil)
	if text, err := qrscan.Decode(r.Body); err != nil || text != sh.URL {
		t.Fatalf("share QR: %d %q %v", r.Status, text, err)
	}

	r = z.c.Request(t, "DELETE", "/api/v1/me/shares/"+sh.ID, "", nil, "Origin", z.c.base)
	if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"state":"withdrawn"`)) {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	expectProblem(t, stranger.Request(t, "GET", path, "", nil, "Accept", "application/json"), http.StatusGone, string(credential.ReasonShareWithdrawn))
	if r := stranger.Request(t, "GET", path, "", nil); r.Status != http.StatusGone || bytes.Contains(r.Body, []byte(value)) {
		t.Fatalf("withdrawn share page: %d", r.Status)
	}

	short := z.share(t, id, []string{field}, 60)
	spath := strings.TrimPrefix(short.URL, z.c.base)
	if r := stranger.Request(t, "GET", spath, "", nil, "Accept", "application/json"); r.Status != http.StatusOK {
		t.Fatalf("short share: %d %s", r.Status, r.Body)
	}
	s.target.MoveClock(t, 61*time.Second)
	defer s.target.MoveClock(t, 0)
	expectProblem(t, stranger.Request(t, "GET", spath, "", nil, "Accept", "application/json"), http.StatusGone, string(credential.ReasonShareExpired))
	states := map[string]string{}
	for _, it := range z.shares(t) {
		states[it.ID] = it.State
	}
	if states[short.ID] != "expired" || states[sh.ID] != "withdrawn" {
		t.Fatalf("states after expiry: %v", states)
	}
}
