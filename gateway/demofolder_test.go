package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/gateway/provision"
)

// DemoFolder is a temporary data folder provisioned as `serve --demo`
// provisions one: the embedded ledger (closed when the test ends), the
// keystore, both sealed under KEK, and the demo departments' API keys. It is
// exported for the package's external tests too.
type DemoFolder struct {
	Dir      string
	KEK      atrest.KEK
	Ledger   *embedded.Ledger
	Keystore *keystore.Store
	Keys     map[string]provision.DemoKey
}

// NewDemoFolder provisions a DemoFolder in t's temporary directory.
func NewDemoFolder(t testing.TB) DemoFolder {
	t.Helper()
	f := DemoFolder{Dir: t.TempDir(), KEK: atrest.Generate()}
	l, err := embedded.Open(f.Dir, f.KEK, embedded.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	f.Ledger = l
	if f.Keystore, err = keystore.Open(f.Dir, f.KEK); err != nil {
		t.Fatal(err)
	}
	if _, err := provision.Demo(context.Background(), l, f.Keystore, f.Dir, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if f.Keys, err = provision.ReadDemoKeys(f.Dir); err != nil {
		t.Fatal(err)
	}
	return f
}
