package gateway

import (
	"net/http"
	"strings"
	"testing"
)

// TestCitizenSignInRoundTrip signs in through the demo provider as a
// browser would, the gateway reaching the provider over the network and
// in-process, for a person and for a company, and ends with signedInHolder
// answering the provider's holder.
func TestCitizenSignInRoundTrip(t *testing.T) {
	for _, backChannel := range []struct {
		name      string
		inProcess bool
	}{{"network", false}, {"in-process", true}} {
		t.Run(backChannel.name, func(t *testing.T) {
			e := newCitizenEnv(t, citizenOption{inProcess: backChannel.inProcess})
			for _, c := range []citizen{zhangWei, company} {
				b := e.browser(t)
				e.signIn(t, b, c)
				cookie := e.sessionCookie(t, b)
				if cookie == "" {
					t.Fatal("no session cookie after sign-in")
				}
				got, r := e.holder(t, cookie)
				if r.status != http.StatusOK || got != c.holder {
					t.Fatalf("signedInHolder = %+v (%d %s), want %+v", got, r.status, r.body, c.holder)
				}
			}
		})
	}
}

// TestSignInWithWrongPasswordStartsNoSession: the provider refuses the
// login, stays on its form and the gateway never sees an answer.
func TestSignInWithWrongPasswordStartsNoSession(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	b := e.browser(t)
	_, id := e.startSignIn(t, b, "")
	for _, wrong := range []citizen{{username: zhangWei.username, password: "wrong"}, {username: "nobody", password: zhangWei.password}} {
		resp, body := e.postLogin(t, b, id, wrong.username, wrong.password)
		if resp.StatusCode != http.StatusUnauthorized || resp.Request.URL.Path != "/demo-idp/login" || !authRequestField.MatchString(body) {
			t.Fatalf("wrong login %q ended at %s with %d", wrong.username, resp.Request.URL, resp.StatusCode)
		}
	}
	if c := e.sessionCookie(t, b); c != "" {
		t.Fatal("a wrong password got a session cookie")
	}
	// The same request still signs in with the right password.
	resp, body := e.postLogin(t, b, id, zhangWei.username, zhangWei.password)
	if resp.Request.URL.Path != "/me" || !strings.Contains(body, `data-signed-in="true"`) {
		t.Fatalf("right password after wrong ones ended at %s with %d", resp.Request.URL, resp.StatusCode)
	}
}
