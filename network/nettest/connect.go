package nettest

import (
	"testing"

	"github.com/certledger/certledger/network/profile"
	"github.com/certledger/certledger/network/rawfabric"
)

// Connect is Dial for a test, closed when the test ends.
func Connect(t testing.TB, p *profile.Profile, dept string) *rawfabric.Client {
	t.Helper()
	c, err := rawfabric.Dial(p, dept)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// ConnectKV is DialKV for a test, closed when the test ends.
func ConnectKV(t testing.TB, p *profile.Profile, dept string) *rawfabric.KV {
	t.Helper()
	kv, err := rawfabric.DialKV(p, dept)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kv.Close)
	return kv
}
