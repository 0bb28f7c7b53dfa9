package loadtest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/certledger/certledger/gateway/provision"
)

var (
	loginFormAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	loginRequestID  = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)
)

// signIn signs who in as a browser does: GET /me/login, the redirect to
// the demo identity provider, its login form posted with the citizen's
// password, and the redirects back through /me/callback to /me. It returns
// the session cookie the gateway set, as a Cookie header value.
func signIn(ctx context.Context, base string, who provision.DemoCitizen) (string, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return "", err
	}
	hc := &http.Client{Jar: jar, Timeout: time.Minute}
	get := func(method, target string, form url.Values) (*http.Response, []byte, error) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, target, body)
		if err != nil {
			return nil, nil, err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		page, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp, page, err
	}
	base = strings.TrimRight(base, "/")
	resp, page, err := get(http.MethodGet, base+"/me/login", nil)
	if err != nil {
		return "", fmt.Errorf("sign-in: %w", err)
	}
	action, id := loginFormAction.FindSubmatch(page), loginRequestID.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || action == nil || id == nil {
		return "", fmt.Errorf("sign-in: GET /me/login ended at %s (%d) without the demo identity provider's login form", resp.Request.URL, resp.StatusCode)
	}
	post, err := resp.Request.URL.Parse(html.UnescapeString(string(action[1])))
	if err != nil {
		return "", err
	}
	resp, _, err = get(http.MethodPost, post.String(), url.Values{"authRequestID": {html.UnescapeString(string(id[1]))},
		"username": {who.Username}, "password": {who.Password}})
	if err != nil {
		return "", fmt.Errorf("sign-in: %w", err)
	}
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/me" {
		return "", fmt.Errorf("sign-in of %s ended at %s (%d)", who.Username, resp.Request.URL.Path, resp.StatusCode)
	}
	u, err := url.Parse(base + "/api/v1/me/credentials")
	if err != nil {
		return "", err
	}
	for _, c := range jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "certledger_session") {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("sign-in of %s set no session cookie", who.Username)
}

// readDemoFile reads the API keys and the demo citizens of a gateway
// started with --demo from its demo-keys.json.
func readDemoFile(path string) (map[string]provision.DemoKey, []provision.DemoCitizen, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (start the gateway with --demo, or pass --keys)", err)
	}
	keys, citizens, err := provision.ParseDemoKeys(b)
	if err == nil && (len(keys) == 0 || len(citizens) == 0) {
		err = errors.New("no API keys or no demo citizens")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, citizens, nil
}
