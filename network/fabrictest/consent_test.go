package fabrictest

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/provision"
	"github.com/certledger/certledger/network/nettest"
)

// Consent requests (docs/decisions/0015) on a real network: the helpers
// run the flow through the package's gateway as a department and a demo
// citizen signed in at the demo identity provider would.

// signedIn is a demo citizen with a session at the package's gateway: the
// headers a browser's API calls carry (the cookie, and the Origin the
// gateway's CSRF check wants on a post).
type signedIn struct {
	who     provision.DemoCitizen
	headers []string
}

var (
	loginFormAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	loginRequestID  = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)
)

// signInCitizen signs the demo citizen username in through /me/login and
// the demo identity provider's form, following redirects as a browser.
func signInCitizen(t *testing.T, username string) signedIn {
	t.Helper()
	g := gateway(t)
	var who provision.DemoCitizen
	for _, c := range g.Citizens() {
		if c.Username == username {
			who = c
		}
	}
	if who.Username == "" {
		t.Fatalf("the gateway has no demo citizen %s", username)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: jar, Timeout: time.Minute}
	resp, err := hc.Get(g.URL() + "/me/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	action, id := loginFormAction.FindSubmatch(page), loginRequestID.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || action == nil || id == nil {
		t.Fatalf("GET /me/login ended at %s (%d) without the login form", resp.Request.URL, resp.StatusCode)
	}
	post, err := resp.Request.URL.Parse(html.UnescapeString(string(action[1])))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = hc.PostForm(post.String(), url.Values{"authRequestID": {html.UnescapeString(string(id[1]))},
		"username": {who.Username}, "password": {who.Password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/me" {
		t.Fatalf("sign-in of %s ended at %s (%d)", who.Username, resp.Request.URL, resp.StatusCode)
	}
	u, _ := url.Parse(g.URL() + "/api/v1/me/requests")
	for _, c := range jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "certledger_session") {
			return signedIn{who: who, headers: []string{"Cookie", c.Name + "=" + c.Value, "Origin", g.URL()}}
		}
	}
	t.Fatalf("the sign-in of %s set no session cookie", who.Username)
	return signedIn{}
}

// consented is what one run of the flow left on the ledger.
type consented struct {
	request           string
	diploma, qualific string // the approved credentials
	view              consentView
}

// consentView is the part of GET /api/v1/requests/{id} the tests read.
type consentView struct {
	credential.ConsentRequest
	ConsentActive bool                  `json:"consentActive"`
	Presentations []credential.Document `json:"presentations"`
	Receipt       *credential.Receipt   `json:"receipt"`
}

// runConsent issues z a diploma (edu) and a professional qualification
// (hrss), has hrss request them for the professional title evaluation
// naming z by ID number, has z approve with those two, and has hrss read
// the presentations once. n makes the credentials' content distinct.
func runConsent(t *testing.T, z signedIn, n int) consented {
	t.Helper()
	g := gateway(t)
	holder := map[string]any{"name": z.who.Name, "idType": z.who.IDType, "idNumber": z.who.IDNumber}
	issueTo := func(dept string) string {
		req := requestFor(dept, n)
		req["holder"] = holder
		var out issued
		if _, err := call(g.URL(), "POST", "/api/v1/credentials", g.Keys()[dept].APIKey, req, &out); err != nil {
			t.Fatal(err)
		}
		return out.ID
	}
	out := consented{diploma: issueTo(demo.Education), qualific: issueTo(demo.HumanRes)}
	hrss := g.Keys()[demo.HumanRes].APIKey
	var created struct {
		ID string `json:"id"`
	}
	if _, err := call(g.URL(), "POST", "/api/v1/requests", hrss, map[string]any{"service": demo.ServiceProfessionalRank,
		"purpose": "职称评审材料核验", "holder": map[string]string{"idType": z.who.IDType, "idNumber": z.who.IDNumber}}, &created); err != nil {
		t.Fatal(err)
	}
	out.request = created.ID
	// Governance's peer, which the gateway reads the request and the
	// records through, may commit their blocks a moment after the
	// submitting department's peer acknowledged them.
	approve := map[string]any{"credentials": map[string]string{"diploma": out.diploma, "professional-qualification": out.qualific}}
	nettest.Eventually(t, 30*time.Second, "the approval of "+out.request, func() error {
		_, err := call(g.URL(), "POST", "/api/v1/me/requests/"+out.request+"/approve", "", approve, nil, z.headers...)
		switch reasonOf(err) {
		case "":
			return err
		case string(credential.ReasonRequestNotFound), string(credential.ReasonCredentialNotFound):
			return err
		}
		t.Fatalf("approval refused: %v", err)
		return nil
	})
	nettest.Eventually(t, 30*time.Second, "the presentations of "+out.request, func() error {
		out.view = consentView{}
		if _, err := call(g.URL(), "GET", "/api/v1/requests/"+out.request, hrss, nil, &out.view); err != nil {
			return err
		}
		if len(out.view.Presentations) != 2 {
			return fmt.Errorf("status %s, %d presentations", out.view.Status, len(out.view.Presentations))
		}
		return nil
	})
	if out.view.Status != credential.RequestApproved || !out.view.ConsentActive || out.view.Reads < 1 || out.view.Receipt == nil {
		t.Fatalf("after the approval and a read: %+v", out.view)
	}
	return out
}
