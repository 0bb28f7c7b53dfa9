package gateway

import (
	"context"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/certledger/certledger/credential"
)

// The Standard Webhooks specification's published example: its secret,
// message ID, timestamp and body give this signature.
func TestWebhookSignatureKnownVector(t *testing.T) {
	key, err := webhookKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := signWebhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if got2 := signWebhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, []byte(`{"test": 2432232314}`)); got2 == got {
		t.Fatal("the timestamp is not signed")
	}
}

func TestWebhookSecretShape(t *testing.T) {
	s := newWebhookSecret()
	key, err := webhookKey(s)
	if err != nil || len(key) != 32 || !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("secret %q: key of %d bytes, %v", s, len(key), err)
	}
	if newWebhookSecret() == s {
		t.Fatal("two secrets are equal")
	}
	if _, err := webhookKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err == nil {
		t.Fatal("a secret without whsec_ was accepted")
	}
}

func TestWebhookAddressPolicy(t *testing.T) {
	strict, demo, private := webhookTargets{}, webhookTargets{allowHTTP: true, allowLoopback: true}, webhookTargets{allowPrivate: true}
	for _, c := range []struct {
		addr                  string
		strict, demo, private bool
	}{
		{"93.184.216.34", true, true, true},
		{"2606:2800:220:1:248:1893:25c8:1946", true, true, true},
		{"127.0.0.1", false, true, true},
		{"127.8.9.10", false, true, true},
		{"::1", false, true, true},
		{"::ffff:127.0.0.1", false, true, true},
		{"169.254.169.254", false, false, true},
		{"fe80::1", false, false, true},
		{"10.1.2.3", false, false, true},
		{"172.16.0.1", false, false, true},
		{"192.168.1.1", false, false, true},
		{"::ffff:192.168.1.1", false, false, true},
		{"fd00::1", false, false, true},
		{"100.64.0.1", false, false, true},
		{"224.0.0.1", false, false, false},
		{"ff02::1", false, false, false},
		{"0.0.0.0", false, false, false},
		{"0.1.2.3", false, false, false},
		{"::", false, false, false},
		{"255.255.255.255", false, false, false},
	} {
		a := netip.MustParseAddr(c.addr)
		for _, p := range []struct {
			name string
			t    webhookTargets
			want bool
		}{{"strict", strict, c.strict}, {"demo", demo, c.demo}, {"private", private, c.private}} {
			if got := p.t.addrAllowed(a) == nil; got != p.want {
				t.Errorf("%s under %s: allowed %v, want %v", c.addr, p.name, got, p.want)
			}
			// The connect-time hook decides the same.
			if got := p.t.dialControl("tcp", netip.AddrPortFrom(a, 443).String(), syscall.RawConn(nil)) == nil; got != p.want {
				t.Errorf("dial %s under %s: allowed %v, want %v", c.addr, p.name, got, p.want)
			}
		}
	}
}

func TestWebhookURLCheck(t *testing.T) {
	// A fake resolver: rebind.example.test answers a private address.
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "hooks.example.test":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
		case "rebind.example.test":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.5")}, nil
		}
		return nil, nil
	}
	strict, demo := webhookTargets{}, webhookTargets{allowHTTP: true, allowLoopback: true}
	for _, c := range []struct {
		url  string
		t    webhookTargets
		want bool
	}{
		{"https://hooks.example.test/in", strict, true},
		{"http://hooks.example.test/in", strict, false},
		{"http://hooks.example.test/in", demo, true},
		{"https://rebind.example.test/in", strict, false},
		{"https://nowhere.example.test/in", strict, false},
		{"https://127.0.0.1/in", strict, false},
		{"https://[::1]:8443/in", strict, false},
		{"http://127.0.0.1:9000/in", demo, true},
		{"https://localhost/in", strict, false},
		{"https://169.254.169.254/latest/meta-data", demo, false},
		{"https://user:pw@hooks.example.test/in", strict, false},
		{"https://hooks.example.test/in#frag", strict, false},
		{"ftp://hooks.example.test/in", strict, false},
		{"/relative", strict, false},
		{"https://hooks.example.test/" + strings.Repeat("a", maxWebhookURL), strict, false},
	} {
		_, err := c.t.checkURL(context.Background(), c.url, resolve)
		if (err == nil) != c.want {
			t.Errorf("%s: %v, want allowed %v", truncate(c.url, 60), err, c.want)
		}
		if err != nil && credential.ErrorReason(err) != credential.ReasonWebhookURLRefused {
			t.Errorf("%s: reason %s", c.url, credential.ErrorReason(err))
		}
	}
}
