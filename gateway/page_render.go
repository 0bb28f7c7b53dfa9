package gateway

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// webFS holds everything the pages need: templates, styles, scripts,
// icons and translations. Nothing is fetched from elsewhere, so the pages
// work offline on a LAN.
//
//go:embed web
var webFS embed.FS

// pageTemplates are the page files in web/templates; each is parsed
// together with layout.html into its own template set, so every page can
// define its own "content".
var pageTemplates = []string{"home", "verify", "console", "error", "me", "logout", "mecredential", "meactivity", "meshare", "meshares", "merequests"}

// pagePartials are the shared template files a page is parsed with besides
// layout.html: the holder's pages share their header and navigation, and a
// holder sees their credential's fields and checks as a verifier does.
var pagePartials = map[string][]string{"me": {"holder"}, "mecredential": {"holder", "credential"}, "meactivity": {"holder"},
	"meshare": {"holder"}, "meshares": {"holder"}, "merequests": {"holder"}, "verify": {"credential"}}

// asset is a static file served under /assets/ with a content hash in its
// URL, so browsers may cache it for good and still see every change.
type asset struct {
	body        []byte
	contentType string
	hash        string
}

// renderer turns page data into HTML. It is built once from webFS.
type renderer struct {
	pages    map[string]*template.Template
	catalogs map[string]catalog
	assets   map[string]asset
}

// newRenderer builds the pages of a deployment whose time zone is loc.
func newRenderer(loc *time.Location) (*renderer, error) {
	r := &renderer{pages: map[string]*template.Template{}, assets: map[string]asset{}}
	var err error
	if r.catalogs, err = loadCatalogs(webFS, loc); err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(webFS, "web/static")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(webFS, "web/static/"+e.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		r.assets[e.Name()] = asset{body: b, contentType: ct, hash: hex.EncodeToString(sum[:6])}
	}
	funcs := template.FuncMap{"asset": r.assetURL}
	for _, name := range pageTemplates {
		files := []string{"web/templates/layout.html"}
		for _, p := range pagePartials[name] {
			files = append(files, "web/templates/"+p+".html")
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(webFS, append(files, "web/templates/"+name+".html")...)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// assetURL is the versioned URL of a static file; templates call it as
// {{asset "style.css"}}. An unknown name is a template bug and fails the
// render instead of shipping a broken link.
func (r *renderer) assetURL(name string) (string, error) {
	a, ok := r.assets[name]
	if !ok {
		return "", fmt.Errorf("unknown asset %q", name)
	}
	return "/assets/" + name + "?v=" + a.hash, nil
}

// catalog returns the strings of lang, falling back to the default.
func (r *renderer) catalog(lang string) catalog {
	if c, ok := r.catalogs[lang]; ok {
		return c
	}
	return r.catalogs[defaultLang]
}

// render executes page into a buffer first, so a template error never
// leaves half a page on the wire.
func (r *renderer) render(page string, data any) ([]byte, error) {
	t, ok := r.pages[page]
	if !ok {
		return nil, fmt.Errorf("unknown page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("render %s: %w", page, err)
	}
	return buf.Bytes(), nil
}

// contentSecurityPolicy allows only same-origin styles, scripts, images
// (plus blob: for the console's QR image) and API calls. No inline script
// or style runs; no other site may frame a page.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// setPageHeaders marks a response as an HTML page with the security headers
// every page carries. Referrer-Policy keeps the access token in a
// verification URL from leaking to any site a link or resource leads to.
func setPageHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

// serveAsset answers GET /assets/:name from the embedded static files.
func (r *renderer) serveAsset(c *fiber.Ctx) error {
	name := c.Params("name")
	a, ok := r.assets[name]
	if !ok || strings.Contains(name, "/") {
		return c.SendStatus(fiber.StatusNotFound)
	}
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentType, a.contentType)
	etag := `"` + a.hash + `"`
	c.Set(fiber.HeaderETag, etag)
	if c.Query("v") == a.hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(a.body)
}
