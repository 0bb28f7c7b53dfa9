package gateway_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway"
)

// holdBody opens a request to path and sends its headers but not its
// body of length bytes, so the gateway holds room for it in its body
// budget until the connection is closed.
func holdBody(t *testing.T, base, path string, length int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", path, length)
	return conn
}

// TestLargeBodiesBounded: large bodies past Config.BodyMemory are refused
// from their headers with 503 and Retry-After, unread, whichever route
// they are for, and their room comes back both when a request is answered
// and when its client hangs up halfway through the body.
func TestLargeBodiesBounded(t *testing.T) {
	e := newAPIEnv(t, func(c *gateway.Config, _ *ledgerWrap) { c.BodyMemory = 2 << 20 })
	base := e.listen(t)

	// Answered uploads give their slots back: more of them than there
	// are slots, one after another, are all read.
	for i := range 4 {
		resp, err := http.Post(base+"/v", "image/png", strings.NewReader("not a picture"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			t.Fatalf("upload %d was refused as busy after the earlier ones were answered", i)
		}
	}

	// An upload and a verification body fill the budget between them.
	held := []net.Conn{holdBody(t, base, "/v", 1<<20), holdBody(t, base, "/api/v1/verify", 250<<10), holdBody(t, base, "/v", 700<<10)}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// The held uploads must have their headers read before the next one
	// arrives; an answered request on its own connection orders them.
	waitForSlotsTaken(t, base)

	for _, path := range []string{"/v", "/api/v1/verify"} {
		r := announce(t, base, http.MethodPost, path, "application/json", "", 200<<10)
		p := expectReason(t, r, http.StatusServiceUnavailable, "unavailable")
		if r.Header.Get("Retry-After") == "" {
			t.Errorf("%s: the busy answer has no Retry-After: %+v", path, p)
		}
	}
	// Small bodies need no room.
	resp, err := http.Post(base+"/api/v1/verify", "application/json", strings.NewReader(`{"qr":"not a QR text"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable {
		t.Error("a small verification body was refused while the budget was full")
	}

	// A client hanging up halfway through its body gives its slot back.
	held[0].Write([]byte("partial body"))
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Post(base+"/v", "image/png", strings.NewReader("not a picture"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slot of an abandoned upload never came back")
		}
	}
}

// waitForSlotsTaken waits until the gateway has read the held requests'
// headers, shown by a large body being refused as busy.
func waitForSlotsTaken(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Post(base+"/v", "image/png", strings.NewReader(strings.Repeat("x", 100<<10)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			return
		}
	}
	t.Fatal("the held uploads never took the slots")
}
