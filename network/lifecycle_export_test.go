package network

import (
	"context"
	"os"
	"testing"
)

// RequireLifecycleChecks runs the checks an interrupted Up relies on to
// tell a step already done from a failure, on the deployed contract: they
// read the peer CLI's JSON answers and its exit status.
func RequireLifecycleChecks(t *testing.T, ctx context.Context, dir string) {
	t.Helper()
	_, top, l, err := existing(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, cc := LocateFabric(), chaincodes[0]
	pkg, err := os.ReadFile(l.packageFile(cc))
	if err != nil {
		t.Fatal(err)
	}
	id := packageID(cc.label(), pkg)
	p := top.peersOf(top.Departments[0])[0]
	next := cc
	next.Sequence++
	for _, c := range []struct {
		name      string
		got, want bool
	}{
		{"on the channel", onChannel(ctx, f, l, p), true},
		{"installed", installed(ctx, f, l, p, id), true},
		{"another package installed", installed(ctx, f, l, p, cc.label()+":00"), false},
		{"approved", approved(ctx, f, l, p, cc, id), true},
		{"approved for another package", approved(ctx, f, l, p, cc, cc.label()+":00"), false},
		{"approved at the next sequence", approved(ctx, f, l, p, next, id), false},
		{"committed", committed(ctx, f, l, top, cc), true},
		{"committed at the next sequence", committed(ctx, f, l, top, next), false},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}
