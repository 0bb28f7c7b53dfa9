package gateway

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/certledger/certledger/credential"
)

// A subscription's URL is checked twice: its host's addresses when it is
// made, and the address each connection actually goes to (the dialer's
// Control hook), so a name that later resolves to an internal address
// (DNS rebinding) reaches nothing inside the operator's network.

// webhookTargets says which targets the operator allows.
type webhookTargets struct {
	allowHTTP     bool // plain http URLs
	allowLoopback bool // 127.0.0.0/8 and ::1 (serve --demo)
	allowPrivate  bool // loopback, link-local and private ranges
}

// cgnat is the shared address space of RFC 6598, internal like RFC 1918's.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// addrAllowed reports why addr may not be connected to; nil when it may.
func (t webhookTargets) addrAllowed(addr netip.Addr) error {
	addr = addr.Unmap()
	switch {
	case !addr.IsValid():
		return fmt.Errorf("no address")
	case addr.IsUnspecified() || (addr.Is4() && addr.As4()[0] == 0):
		return fmt.Errorf("%s is unspecified", addr)
	case addr.IsMulticast() || addr.IsInterfaceLocalMulticast() || addr.IsLinkLocalMulticast():
		return fmt.Errorf("%s is multicast", addr)
	case addr.Is4() && addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("%s is broadcast", addr)
	case t.allowPrivate:
		return nil
	case addr.IsLoopback():
		if t.allowLoopback {
			return nil
		}
		return fmt.Errorf("%s is loopback", addr)
	case addr.IsLinkLocalUnicast():
		return fmt.Errorf("%s is link-local", addr)
	case addr.IsPrivate() || cgnat.Contains(addr):
		return fmt.Errorf("%s is private", addr)
	}
	return nil
}

// maxWebhookURL bounds a subscription URL's length.
const maxWebhookURL = 2048

// checkURL parses a subscription URL and checks its scheme and, through
// resolve, every address its host has now.
func (t webhookTargets) checkURL(ctx context.Context, raw string, resolve func(context.Context, string) ([]netip.Addr, error)) (*url.URL, error) {
	refuse := func(format string, args ...any) error {
		return credential.Errorf(credential.ReasonWebhookURLRefused, "url: "+format, args...)
	}
	if len(raw) > maxWebhookURL {
		return nil, refuse("longer than %d characters", maxWebhookURL)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, refuse("not an absolute URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && t.allowHTTP:
	default:
		return nil, refuse("the scheme must be https")
	}
	if u.User != nil {
		return nil, refuse("credentials in the URL are not accepted")
	}
	if u.Fragment != "" {
		return nil, refuse("a fragment is never sent")
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if err := t.addrAllowed(a); err != nil {
			return nil, refuse("%v", err)
		}
		return u, nil
	}
	if strings.HasSuffix(strings.ToLower(host), ".localhost") || strings.EqualFold(host, "localhost") {
		if !t.allowLoopback && !t.allowPrivate {
			return nil, refuse("%s is loopback", host)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := resolve(rctx, host)
	if err != nil || len(addrs) == 0 {
		return nil, refuse("the host %s does not resolve", host)
	}
	for _, a := range addrs {
		if err := t.addrAllowed(a); err != nil {
			return nil, refuse("%s resolves to %v", host, err)
		}
	}
	return u, nil
}

// resolveHost is the system resolver's lookup.
func resolveHost(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// dialControl refuses, at connect time, an address the targets do not allow.
func (t webhookTargets) dialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: unexpected address %q", address)
	}
	if err := t.addrAllowed(ap.Addr()); err != nil {
		return fmt.Errorf("webhook: refused to connect: %w", err)
	}
	return nil
}
