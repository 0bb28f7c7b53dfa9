package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/qrscan"
)

// holderSend is call with a JSON body, from the gateway's own origin.
func (e *citizenEnv) holderSend(t *testing.T, method, path, cookie string, body any) apiAnswer {
	t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", e.base)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: e.srv.sessions.name, Value: cookie})
	}
	return e.do(t, req)
}

func decodeShare(t *testing.T, r apiAnswer, status int) shareView {
	t.Helper()
	var v shareView
	if r.status != status || json.Unmarshal(r.body, &v) != nil {
		t.Fatalf("want %d and a share: %d %s", status, r.status, r.body)
	}
	return v
}

// A holder shares chosen fields of their diploma; a stranger without a
// session opens the link and sees only those, verified, every opening
// counted; another holder neither sees nor withdraws it; withdrawn or
// expired, the link answers 410.
func TestShares(t *testing.T) {
	e := newClockedEnv(t)
	diploma := e.issueTo(t, "edu", "diploma", zhangWei.holder, map[string]any{"school": "福州大学", "major": "软件工程",
		"level": "本科", "graduatedOn": "2024-06-30", "certificateNumber": "103861202405000001"})
	person := e.signedInCookie(t)
	b2 := e.browser(t)
	e.signIn(t, b2, company)
	firm := e.sessionCookie(t, b2)

	req := shareRequest{Credential: diploma, Fields: []string{"school", "major"}, Purpose: "入职核验"}
	for name, c := range map[string]struct {
		cookie string
		body   shareRequest
		status int
		reason string
	}{
		"unknown field":     {person, shareRequest{Credential: diploma, Fields: []string{"salary"}}, 400, "invalid_field"},
		"field twice":       {person, shareRequest{Credential: diploma, Fields: []string{"school", "school"}}, 400, "invalid_field"},
		"no field":          {person, shareRequest{Credential: diploma}, 400, "invalid_field"},
		"long purpose":      {person, shareRequest{Credential: diploma, Fields: []string{"school"}, Purpose: strings.Repeat("长", 201)}, 400, "invalid_field"},
		"short expiry":      {person, shareRequest{Credential: diploma, Fields: []string{"school"}, ExpiresIn: 59}, 400, "invalid_field"},
		"long expiry":       {person, shareRequest{Credential: diploma, Fields: []string{"school"}, ExpiresIn: 2592001}, 400, "invalid_field"},
		"bad identifier":    {person, shareRequest{Credential: "1.2.3", Fields: []string{"school"}}, 400, "invalid_identifier"},
		"someone else's":    {firm, req, 404, "credential_not_found"},
		"without a session": {"", req, 401, "not_signed_in"},
	} {
		if r := e.holderSend(t, "POST", "/api/v1/me/shares", c.cookie, c.body); r.status != c.status || r.reason != c.reason {
			t.Errorf("%s: %d %s, want %d %s", name, r.status, r.reason, c.status, c.reason)
		}
	}
	// A department's API key is no session.
	if r := e.call(t, "GET", "/api/v1/me/shares", "", "Authorization", "Bearer "+e.keys["edu"].APIKey); r.status != 401 {
		t.Fatalf("an API key listed shares: %d %s", r.status, r.body)
	}

	sh := decodeShare(t, e.holderSend(t, "POST", "/api/v1/me/shares", person, req), 201)
	if sh.State != credential.ShareActive || sh.Type == nil || sh.Type.ID != "diploma" || sh.Issuer == nil || sh.Issuer.ID != "edu" ||
		!sh.ExpiresAt.Equal(sh.CreatedAt.Add(credential.ShareDefaultExpiry)) || sh.Purpose != req.Purpose || sh.OpenCount != 0 ||
		!strings.HasPrefix(sh.ID, "edu.") || sh.URL != e.base+"/s/"+sh.ID || sh.QRURL != sh.URL+"/qr.png" {
		t.Fatalf("created %+v", sh)
	}

	// A stranger: no cookie, JSON.
	open := func(accept string) apiAnswer { return e.call(t, "GET", "/s/"+sh.ID, "", "Accept", accept) }
	r := open("application/json")
	var got sharedAnswer
	if r.status != 200 || json.Unmarshal(r.body, &got) != nil {
		t.Fatalf("open: %d %s", r.status, r.body)
	}
	var names []string
	for _, f := range got.Fields {
		names = append(names, f.Name+"="+f.Value)
	}
	if strings.Join(names, ",") != "school=福州大学,major=软件工程" || !got.Valid || got.Share.Purpose != req.Purpose || got.Share.ID != sh.ID {
		t.Fatalf("the stranger sees %v valid=%v share=%+v", names, got.Valid, got.Share)
	}
	for _, secret := range []string{zhangWei.holder.Name, zhangWei.holder.IDNumber, "2024-06-30", "103861202405000001"} {
		if bytes.Contains(r.body, []byte(secret)) {
			t.Fatalf("the share discloses %q", secret)
		}
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "same-origin"} {
		if r.header.Get(h) != want {
			t.Errorf("%s: %q, want %q", h, r.header.Get(h), want)
		}
	}
	page := open("text/html")
	if page.status != 200 || !bytes.Contains(page.body, []byte("福州大学")) || !bytes.Contains(page.body, []byte("入职核验")) ||
		bytes.Contains(page.body, []byte(zhangWei.holder.Name)) || page.header.Get("Referrer-Policy") != "same-origin" ||
		page.header.Get("Cache-Control") != "no-store" || !bytes.Contains(page.body, []byte("noindex")) {
		t.Fatalf("page: %d %v %.300s", page.status, page.header, page.body)
	}

	// The holder sees both openings; the other holder sees nothing of it.
	list := func(cookie string) []shareView {
		t.Helper()
		r := e.call(t, "GET", "/api/v1/me/shares", cookie)
		var ans struct{ Items []shareView }
		if r.status != 200 || json.Unmarshal(r.body, &ans) != nil {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		return ans.Items
	}
	if items := list(person); len(items) != 1 || items[0].ID != sh.ID || items[0].OpenCount != 2 || len(items[0].Openings) != 2 {
		t.Fatalf("the holder lists %+v", items)
	}
	if items := list(firm); len(items) != 0 {
		t.Fatalf("another holder lists %+v", items)
	}
	if r := e.holderSend(t, "DELETE", "/api/v1/me/shares/"+sh.ID, firm, nil); r.status != 404 || r.reason != "share_not_found" {
		t.Fatalf("another holder withdraws: %d %s", r.status, r.body)
	}
	if r := e.call(t, "GET", "/api/v1/me/shares/"+sh.ID+"/offline-qr.png", firm); r.status != 404 {
		t.Fatalf("another holder's offline QR: %d", r.status)
	}

	// The offline QR holds the presentation of the chosen fields.
	r = e.call(t, "GET", "/api/v1/me/shares/"+sh.ID+"/offline-qr.png", person)
	text, err := qrscan.Decode(r.body)
	if r.status != 200 || err != nil {
		t.Fatalf("offline QR: %d %v", r.status, err)
	}
	p, err := credential.DecodeCompact(text)
	if err != nil || len(p.Claims) != 2 || !p.IsPresentation() {
		t.Fatalf("offline QR payload: %v %+v", err, p)
	}
	r = e.call(t, "GET", "/s/"+sh.ID+"/qr.png", "")
	if text, err := qrscan.Decode(r.body); r.status != 200 || err != nil || text != sh.URL {
		t.Fatalf("share QR: %d %q %v", r.status, text, err)
	}

	// Withdrawn: 410, twice is fine.
	w := decodeShare(t, e.holderSend(t, "DELETE", "/api/v1/me/shares/"+sh.ID, person, nil), 200)
	if w.State != credential.ShareWithdrawn || w.WithdrawnAt.IsZero() {
		t.Fatalf("withdrawn: %+v", w)
	}
	decodeShare(t, e.holderSend(t, "DELETE", "/api/v1/me/shares/"+sh.ID, person, nil), 200)
	if r := open("application/json"); r.status != 410 || r.reason != "share_withdrawn" {
		t.Fatalf("withdrawn share opened: %d %s", r.status, r.body)
	}
	if r := open("text/html"); r.status != 410 || bytes.Contains(r.body, []byte("福州大学")) {
		t.Fatalf("withdrawn share page: %d", r.status)
	}

	// Expired by the clock both the gateway and the ledger read.
	e.clock.Advance(time.Second)
	short := decodeShare(t, e.holderSend(t, "POST", "/api/v1/me/shares", person, shareRequest{Credential: diploma, Fields: []string{"level"}, ExpiresIn: 60}), 201)
	if r := open("application/json"); r.status != 410 {
		t.Fatalf("the first share again: %d", r.status)
	}
	if r := e.call(t, "GET", "/s/"+short.ID, "", "Accept", "application/json"); r.status != 200 {
		t.Fatalf("short share: %d %s", r.status, r.body)
	}
	e.clock.Advance(61 * time.Second)
	if r := e.call(t, "GET", "/s/"+short.ID, "", "Accept", "application/json"); r.status != 410 || r.reason != "share_expired" {
		t.Fatalf("expired share: %d %s", r.status, r.body)
	}
	// The ledger refuses it on its own, by its transaction time.
	if _, err := e.srv.ledger.OpenShare(context.Background(), "EduMSP", credential.ShareOpen{ID: short.ID}); credential.ErrorReason(err) != credential.ReasonShareExpired {
		t.Fatalf("the ledger opened an expired share: %v", err)
	}
	items := list(person)
	if len(items) != 2 || items[0].ID != short.ID || items[0].State != credential.ShareExpired || items[0].OpenCount != 1 || items[1].State != credential.ShareWithdrawn {
		t.Fatalf("after expiry: %+v", items)
	}
	for _, id := range []string{"edu.AAAAAAAAAAAAAAAAAAAAAA", "nobody.AAAAAAAAAAAAAAAAAAAAAA", "not-a-share"} {
		if r := e.call(t, "GET", "/s/"+id, "", "Accept", "application/json"); r.status != 404 || r.reason != "share_not_found" {
			t.Errorf("%s: %d %s", id, r.status, r.body)
		}
	}
}

// failingOpen is a ledger that cannot record an opening.
type failingOpen struct{ credential.Ledger }

func (failingOpen) OpenShare(context.Context, string, credential.ShareOpen) (credential.ShareReceipt, error) {
	return credential.ShareReceipt{}, errors.New("peer unreachable")
}

// A share whose opening cannot be recorded shows nothing: 503.
func TestShareOpeningFailsClosed(t *testing.T) {
	e := newWalletEnv(t, Config{}, func(l credential.Ledger) credential.Ledger { return failingOpen{l} })
	id := e.issue("edu", personP, 1)
	sh, err := e.srv.createShare(context.Background(), personP, shareRequest{Credential: id, Fields: []string{"school"}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.srv.openShare(context.Background(), sh.ID, "")
	var ae *apiError
	if !errors.As(err, &ae) || ae.kind.status != http.StatusServiceUnavailable || o.presentation != nil {
		t.Fatalf("open without a recorded opening: %v %+v", err, o)
	}
	if _, err := e.srv.holderShares(context.Background(), personQ); err != nil {
		t.Fatal(err)
	}
}

func TestRedactSharePath(t *testing.T) {
	for in, want := range map[string]string{
		"/s/edu.AAAAAAAAAAAAAAAAAAAAAA":                               "/s/edu.…",
		"/s/edu.AAAAAAAAAAAAAAAAAAAAAA/qr.png":                        "/s/edu.…/qr.png",
		"/api/v1/me/shares/edu.AAAAAAAAAAAAAAAAAAAAAA/offline-qr.png": "/api/v1/me/shares/edu.…/offline-qr.png",
		"/api/v1/me/shares":                                           "/api/v1/me/shares",
		"/v/1.2.3":                                                    "/v/1.2.3",
	} {
		if got := redactSharePath(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
