package provision_test

import (
	"context"
	"testing"

	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/provision"
)

// The demo's service items are registered once; a governance edit of one
// survives the next run, which registers nothing.
func TestDemoServices(t *testing.T) {
	ctx := context.Background()
	f := open(t, t.TempDir())
	defer f.ledger.Close()
	if _, err := provision.Demo(ctx, f.ledger, f.ks, f.dir, now); err != nil {
		t.Fatal(err)
	}
	got, err := f.ledger.Services(ctx)
	if err != nil || len(got) != len(demo.Services()) {
		t.Fatalf("services %+v, %v", got, err)
	}
	edited := demo.Services()[0]
	edited.NameEn = "Registration of real estate"
	if _, err := f.ledger.PutService(ctx, demo.Departments()[0].MSPID, edited); err != nil {
		t.Fatal(err)
	}
	res, err := provision.Demo(ctx, f.ledger, f.ks, f.dir, now)
	if err != nil || len(res.Registered) != 0 {
		t.Fatalf("second run: %+v, %v", res, err)
	}
	got, _ = f.ledger.Services(ctx)
	for _, s := range got {
		if s.Code == edited.Code && s.NameEn != edited.NameEn {
			t.Fatalf("the run undid the edit: %+v", s)
		}
	}
}
