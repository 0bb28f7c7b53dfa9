package demoidp

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed web
var webFS embed.FS

// pageRenderer renders the provider's one page template and serves its
// stylesheet, with the headers every page carries.
type pageRenderer struct {
	tmpl   *template.Template
	css    []byte
	prefix string
	csp    string
}

func newPageRenderer(prefix string, redirectURIs []string) (*pageRenderer, error) {
	t, err := template.ParseFS(webFS, "web/page.html")
	if err != nil {
		return nil, err
	}
	css, err := webFS.ReadFile("web/style.css")
	if err != nil {
		return nil, err
	}
	// A browser checks form-action on every redirect after the login post,
	// so the relying party's origins are allowed besides this one.
	actions := []string{"'self'"}
	for _, r := range redirectURIs {
		if u, err := url.Parse(r); err == nil && u.Host != "" {
			actions = append(actions, u.Scheme+"://"+u.Host)
		}
	}
	csp := "default-src 'none'; style-src 'self'; img-src 'self'; form-action " + strings.Join(actions, " ") +
		"; base-uri 'none'; frame-ancestors 'none'"
	return &pageRenderer{tmpl: t, css: css, prefix: prefix, csp: csp}, nil
}

// pageView is the data of the page: the login form, or a message.
type pageView struct {
	Lang, Prefix, SwitchZh, SwitchEn string
	T                                map[string]string
	Login, Wrong                     bool
	RequestID, Username              string
	Where, PasswordsFile             string
	Message                          string
}

func (pr *pageRenderer) view(r *http.Request) pageView {
	lang := pickLang(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
	q := r.URL.Query()
	q.Del("lang")
	base := pr.prefix + r.URL.Path + "?" + q.Encode()
	if len(q) > 0 {
		base += "&"
	}
	return pageView{Lang: lang, Prefix: pr.prefix, T: texts[lang], Where: texts[lang]["login_where"],
		SwitchZh: base + "lang=zh", SwitchEn: base + "lang=en"}
}

func (pr *pageRenderer) send(w http.ResponseWriter, status int, v pageView) {
	var buf bytes.Buffer
	if err := pr.tmpl.Execute(&buf, v); err != nil {
		slog.Error("demoidp: page", slog.String("error", err.Error()))
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pr.csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: under no-referrer a browser sends
	// "Origin: null" with the login post, which the gateway's cross-site
	// check refuses when a session cookie rides along.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (pr *pageRenderer) style(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(pr.css)
}

// home says what this is, to anyone who opens the provider's root.
func (p *Provider) home(w http.ResponseWriter, r *http.Request) {
	p.page.send(w, http.StatusOK, p.page.view(r))
}

// loginPage shows the login form of a pending authorization request.
func (p *Provider) loginPage(w http.ResponseWriter, r *http.Request) {
	v := p.page.view(r)
	id := r.URL.Query().Get("authRequestID")
	if !p.store.pendingRequest(id) {
		v.Message = v.T["expired"]
		p.page.send(w, http.StatusBadRequest, v)
		return
	}
	v.Login, v.RequestID, v.PasswordsFile = true, id, p.passFile
	p.page.send(w, http.StatusOK, v)
}

// loginWait bounds how long a login waits for a free password check.
const loginWait = 5 * time.Second

// login checks a username and password with Argon2id; on success the
// pending request is authenticated and the browser goes on to the
// library's callback, which sends the code to the relying party.
func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	v := p.page.view(r)
	id := r.PostForm.Get("authRequestID")
	if !p.store.pendingRequest(id) {
		v.Message = v.T["expired"]
		p.page.send(w, http.StatusBadRequest, v)
		return
	}
	username := strings.TrimSpace(r.PostForm.Get("username"))
	ok, err := p.checkLogin(r, username, r.PostForm.Get("password"))
	if err != nil {
		v.Message = v.T["busy"]
		p.page.send(w, http.StatusServiceUnavailable, v)
		return
	}
	if !ok {
		v.Login, v.Wrong, v.RequestID, v.Username, v.PasswordsFile = true, true, id, username, p.passFile
		p.page.send(w, http.StatusUnauthorized, v)
		return
	}
	if err := p.store.completeLogin(id, subjectPrefix+username); err != nil {
		v.Message = v.T["expired"]
		p.page.send(w, http.StatusBadRequest, v)
		return
	}
	http.Redirect(w, r, p.callbackURL(id), http.StatusSeeOther)
}

// errBusy is a login that found no free password check in time.
var errBusy = http.ErrHandlerTimeout

// checkLogin runs one Argon2id check, also for an unknown username (against
// a dummy hash), so the answer's timing does not tell which usernames exist.
func (p *Provider) checkLogin(r *http.Request, username, password string) (bool, error) {
	select {
	case p.checks <- struct{}{}:
		defer func() { <-p.checks }()
	case <-time.After(loginWait):
		return false, errBusy
	case <-r.Context().Done():
		return false, r.Context().Err()
	}
	a, known := p.store.accounts[username]
	hash := p.dummy
	if known {
		hash = a.PasswordHash
	}
	ok, err := checkPassword(hash, password)
	return ok && known && err == nil, nil
}
