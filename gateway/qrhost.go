package gateway

import (
	"net/url"
	"strings"
)

// origin is the scheme and host a URL leads a browser to, lower-cased and
// without the scheme's default port, so equal origins compare equal.
type origin struct {
	scheme, host string
}

func parseOrigin(raw string) (origin, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return origin{}, false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(scheme == "http" && p == "80") && !(scheme == "https" && p == "443") {
		host += ":" + p
	}
	return origin{scheme: scheme, host: host}, true
}

// qrHost names the host a verification URL sends a phone to, and whether
// it is foreign: neither this gateway's public URL nor another gateway of
// the deployment (Config.GatewayURLs, Config.DepartmentGateways). A
// look-alike site can copy a real identifier and token and show whatever it
// likes to whoever scans it.
func (s *Server) qrHost(verifyURL string) (host string, foreign bool) {
	o, ok := parseOrigin(verifyURL)
	if !ok {
		return "", false
	}
	gateways := append([]string{s.cfg.PublicURL}, s.cfg.GatewayURLs...)
	for _, g := range s.cfg.DepartmentGateways {
		gateways = append(gateways, g)
	}
	for _, own := range gateways {
		if g, ok := parseOrigin(own); ok && g == o {
			return o.host, false
		}
	}
	return o.host, true
}
