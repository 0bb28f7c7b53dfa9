package scenario

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/provision"
)

// citizen is a demo citizen signed in at the gateway: a client whose
// cookie jar holds the session, as a browser's would.
type citizen struct {
	who provision.DemoCitizen
	c   *Client
	jar http.CookieJar
}

// holderState is what the holder chapter carries between its steps.
type holderState struct {
	first, second citizen
	firstIDs      []string
}

// myItem is an entry of GET /api/v1/me/credentials.
type myItem struct {
	ID   string `json:"id"`
	Type struct {
		ID string `json:"id"`
	} `json:"type"`
	Issuer struct {
		ID string `json:"id"`
	} `json:"issuer"`
	Status            string `json:"status"`
	DocumentElsewhere bool   `json:"documentElsewhere"`
}

type myCredential struct {
	myItem
	Valid    bool                 `json:"valid"`
	Document *credential.Document `json:"document"`
}

var (
	loginFormAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	loginRequestID  = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)
)

// signIn signs who in through the gateway's /me/login and the demo
// identity provider's login form, following every redirect as a browser
// does, and returns the signed-in citizen.
func (s *suite) signIn(t testing.TB, who provision.DemoCitizen) citizen {
	t.Helper()
	c, jar := s.providerSignIn(t, "/me/login", "/me", who.Username, who.Password)
	return citizen{who: who, c: c, jar: jar}
}

// providerSignIn opens start on the gateway, fills the demo identity
// provider's login form with username and password, and follows every
// redirect as a browser does until the gateway's page landing; it returns
// a client holding the session cookie.
func (s *suite) providerSignIn(t testing.TB, start, landing, username, password string) (*Client, *cookiejar.Jar) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{base: strings.TrimRight(s.target.URL(), "/"), http: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
	resp, err := c.http.Get(c.base + start)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	action, id := loginFormAction.FindSubmatch(page), loginRequestID.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || action == nil || id == nil {
		t.Fatalf("GET %s ended at %s (%d) without the provider's login form:\n%s", start, resp.Request.URL, resp.StatusCode, page)
	}
	post, err := resp.Request.URL.Parse(html.UnescapeString(string(action[1])))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = c.http.PostForm(post.String(), url.Values{"authRequestID": {html.UnescapeString(string(id[1]))},
		"username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != landing {
		t.Fatalf("sign-in of %s ended at %s (%d):\n%s", username, resp.Request.URL, resp.StatusCode, page)
	}
	return c, jar
}

// wallet lists every page of the citizen's credentials.
func (z citizen) wallet(t testing.TB) []myItem {
	t.Helper()
	var all []myItem
	after := ""
	for page := 0; ; page++ {
		path := "/api/v1/me/credentials"
		if after != "" {
			path += "?after=" + url.QueryEscape(after)
		}
		r := z.c.Request(t, "GET", path, "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: GET %s: %d %s", z.who.Username, path, r.Status, r.Body)
		}
		var p struct {
			Items []myItem `json:"items"`
			Next  string   `json:"next"`
		}
		r.JSON(t, &p)
		all = append(all, p.Items...)
		if p.Next == "" {
			return all
		}
		if page > 100 {
			t.Fatalf("%s: the wallet's pages do not end", z.who.Username)
		}
		after = p.Next
	}
}

// sessionCookie returns the citizen's session cookie, as a client that
// copied it would send it.
func (z citizen) sessionCookie(t testing.TB) *http.Cookie {
	t.Helper()
	u, err := url.Parse(z.c.base + "/api/v1/me/credentials")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range z.jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "certledger_session") {
			return c
		}
	}
	t.Fatalf("%s has no session cookie after signing in", z.who.Username)
	return nil
}

// samplesOf returns the sample credentials demo.Samples gives who, as
// "issuer/type", sorted.
func samplesOf(who provision.DemoCitizen) []string {
	var out []string
	for _, x := range demo.Samples() {
		if x.Holder.IDType == who.IDType && x.Holder.IDNumber == who.IDNumber {
			out = append(out, x.Dept+"/"+x.Type)
		}
	}
	slices.Sort(out)
	return out
}

func kinds(items []myItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Issuer.ID+"/"+it.Type.ID)
	}
	slices.Sort(out)
	return out
}

// holderWallet: the first demo citizen signs in through the demo identity
// provider and finds exactly the samples --demo issued to them. No earlier
// step issues to the first two citizens' ID numbers, so nothing else is
// theirs.
func (s *suite) holderWallet(t *testing.T) {
	citizens := s.target.Citizens()
	if len(citizens) < 2 {
		t.Fatalf("demo-keys.json lists %d demo citizens, want at least 2", len(citizens))
	}
	for _, who := range citizens[:2] {
		if who.Password == "" || len(samplesOf(who)) == 0 {
			t.Fatalf("demo citizen %s has no password or no sample credentials", who.Username)
		}
	}
	first := s.signIn(t, citizens[0])
	items := first.wallet(t)
	if got, want := kinds(items), samplesOf(first.who); !slices.Equal(got, want) {
		t.Fatalf("%s's wallet holds %v, want the samples %v", first.who.Username, got, want)
	}
	var ids []string
	for _, it := range items {
		if _, err := credential.ParseIdentifier(it.ID); err != nil || it.Status != string(credential.StatusValid) {
			t.Errorf("wallet item %+v: id %v, want a valid credential", it, err)
		}
		ids = append(ids, it.ID)
	}
	s.holder.first, s.holder.firstIDs = first, ids
}

// holderOpens: the first citizen opens one of their credentials in full,
// and its signed document names them.
func (s *suite) holderOpens(t *testing.T) {
	z := s.holder.first
	id := s.holder.firstIDs[0]
	r := z.c.Request(t, "GET", "/api/v1/me/credentials/"+url.PathEscape(id), "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("open %s: %d %s", id, r.Status, r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("a holder's credential answered with Cache-Control %q, want no-store", cc)
	}
	var cred myCredential
	r.JSON(t, &cred)
	if cred.ID != id || cred.DocumentElsewhere || cred.Document == nil || cred.Document.ID != id {
		t.Fatalf("open %s answered another credential or no document: %s", id, r.Body)
	}
	if h := cred.Document.Holder(); h.IDType != z.who.IDType || h.IDNumber != z.who.IDNumber || h.Name != z.who.Name {
		t.Fatalf("the document names %+v, want %s %s %s", h, z.who.Name, z.who.IDType, z.who.IDNumber)
	}
	if !cred.Valid || cred.Status != string(credential.StatusValid) {
		t.Errorf("the holder's view of a sample: valid %v status %q", cred.Valid, cred.Status)
	}
}

// holderIsolation: a second citizen sees none of the first's credentials
// and cannot open them, nor one the suite issued to someone else.
func (s *suite) holderIsolation(t *testing.T) {
	second := s.signIn(t, s.target.Citizens()[1])
	items := second.wallet(t)
	if got, want := kinds(items), samplesOf(second.who); !slices.Equal(got, want) {
		t.Fatalf("%s's wallet holds %v, want the samples %v", second.who.Username, got, want)
	}
	for _, it := range items {
		if slices.Contains(s.holder.firstIDs, it.ID) {
			t.Fatalf("%s's wallet lists %s of %s", second.who.Username, it.ID, s.holder.first.who.Username)
		}
	}
	for _, id := range append(slices.Clone(s.holder.firstIDs), s.lic.ID) {
		expectProblem(t, second.c.Request(t, "GET", "/api/v1/me/credentials/"+url.PathEscape(id), "", nil),
			http.StatusNotFound, string(credential.ReasonCredentialNotFound))
	}
	s.holder.second = second
}

// holderAuthKinds: an API key is no session and a session is no API key.
func (s *suite) holderAuthKinds(t *testing.T) {
	expectProblem(t, s.c.Request(t, "GET", "/api/v1/me/credentials", s.edu, nil), http.StatusUnauthorized,
		string(credential.ReasonNotSignedIn))
	z := s.holder.first
	// The Origin is the gateway's own, so the refusal is the missing key's,
	// not the cross-site check's.
	r := z.c.Request(t, "POST", "/api/v1/credentials", "", businessLicence("会话越权有限公司"), "Origin", z.c.base)
	expectProblem(t, r, http.StatusUnauthorized, string(credential.ReasonMissingAPIKey))
	if r := z.c.Request(t, "GET", "/api/v1/credentials/"+url.PathEscape(s.holder.firstIDs[0]), "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("a department read with only a session cookie: %d %s", r.Status, r.Body)
	}
}

// holderSessionEnds: a tampered cookie opens no session; sign-out needs
// the gateway's own Origin, and ends the session for every copy of its
// cookie.
func (s *suite) holderSessionEnds(t *testing.T) {
	z := s.holder.first
	cookie := z.sessionCookie(t)
	// A bare client: the cookie is sent as copied, and no redirect is taken.
	bare := &Client{base: z.c.base, http: &http.Client{Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	with := func(value string) []string { return []string{"Cookie", cookie.Name + "=" + value} }
	if r := bare.Request(t, "GET", "/api/v1/me/credentials", "", nil, with(cookie.Value)...); r.Status != http.StatusOK {
		t.Fatalf("the copied session cookie before sign-out: %d %s", r.Status, r.Body)
	}

	tampered := []byte(cookie.Value)
	i := len(tampered) / 2
	if tampered[i] == 'A' {
		tampered[i] = 'B'
	} else {
		tampered[i] = 'A'
	}
	expectProblem(t, bare.Request(t, "GET", "/api/v1/me/credentials", "", nil, with(string(tampered))...),
		http.StatusUnauthorized, string(credential.ReasonSessionExpired))

	for _, origin := range []string{"http://evil.example", ""} {
		expectProblem(t, bare.Request(t, "POST", "/me/logout", "", nil, append(with(cookie.Value), "Origin", origin)...),
			http.StatusForbidden, string(credential.ReasonCrossOrigin))
	}
	if r := bare.Request(t, "GET", "/api/v1/me/credentials", "", nil, with(cookie.Value)...); r.Status != http.StatusOK {
		t.Fatalf("a refused sign-out ended the session: %d %s", r.Status, r.Body)
	}

	if r := bare.Request(t, "POST", "/me/logout", "", nil, append(with(cookie.Value), "Origin", z.c.base)...); r.Status != http.StatusNoContent {
		t.Fatalf("sign-out: %d %s", r.Status, r.Body)
	}
	expectProblem(t, bare.Request(t, "GET", "/api/v1/me/credentials", "", nil, with(cookie.Value)...),
		http.StatusUnauthorized, string(credential.ReasonSessionExpired))
	expectProblem(t, bare.Request(t, "GET", "/api/v1/me/credentials/"+url.PathEscape(s.holder.firstIDs[0]), "", nil, with(cookie.Value)...),
		http.StatusUnauthorized, string(credential.ReasonSessionExpired))
	// Another citizen's session is theirs alone: it outlives the sign-out.
	if items := s.holder.second.wallet(t); len(items) == 0 {
		t.Fatalf("%s's wallet is empty after another citizen signed out", s.holder.second.who.Username)
	}
}
