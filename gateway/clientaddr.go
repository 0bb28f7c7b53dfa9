package gateway

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// parseTrustedProxies reads addresses and CIDR prefixes of reverse proxies.
func parseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range list {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an address or CIDR prefix", v)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.trustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the address rate limits and the access log attribute a
// request to: the peer's, unless the peer is a trusted proxy; then the
// nearest address in X-Forwarded-For that is not a trusted proxy, read
// from the right, since a client can put anything on the left.
func (s *Server) clientAddr(c *fiber.Ctx) string {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if !s.trustedProxy(peer) {
		return peer.String()
	}
	hops := c.Request().Header.PeekAll(fiber.HeaderXForwardedFor)
	for i := len(hops) - 1; i >= 0; i-- {
		list := strings.Split(string(hops[i]), ",")
		for j := len(list) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(list[j]))
			if err != nil {
				return peer.String() // a garbled hop: trust nothing left of it
			}
			if a = a.Unmap(); !s.trustedProxy(a) {
				return a.String()
			}
		}
	}
	return peer.String()
}
