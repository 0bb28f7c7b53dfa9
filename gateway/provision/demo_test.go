package provision_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/embedded"
	"github.com/certledger/certledger/gateway/provision"
)

type folder struct {
	dir    string
	ledger *embedded.Ledger
	ks     *keystore.Store
}

// open opens the ledger and keystore of a data folder, as serve does.
func open(t *testing.T, dir string) folder {
	t.Helper()
	l, err := embedded.Open(dir, kek, embedded.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keystore.Open(dir, kek)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	return folder{dir: dir, ledger: l, ks: ks}
}

var now = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)

// kek seals every data folder of these tests.
var kek = atrest.Generate()

func TestDemoOnEmptyFolder(t *testing.T) {
	f := open(t, t.TempDir())
	defer f.ledger.Close()
	res, err := provision.Demo(context.Background(), f.ledger, f.ks, f.dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.KeysPath != filepath.Join(f.dir, "demo-keys.json") || len(res.Registered) != 10 || len(res.NewAPIKeys) != 4 {
		t.Fatalf("result %+v", res)
	}
	fi, err := os.Stat(res.KeysPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("demo-keys.json: %v, mode %v", err, fi.Mode().Perm())
	}
	reg, err := f.ledger.Registry(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Departments) != 4 || len(reg.Types) != 3 {
		t.Fatalf("registry has %d departments and %d types", len(reg.Departments), len(reg.Types))
	}
	keys, err := provision.ReadDemoKeys(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := f.ledger.APIKeys(context.Background(), "")
	if err != nil || len(recorded) != 4 {
		t.Fatalf("API keys on the ledger: %+v %v", recorded, err)
	}
	owners := map[string]credential.APIKey{}
	for _, k := range recorded {
		owners[k.SHA256] = k
	}
	wantTypes := map[string][]string{demo.Governance: {}, demo.Market: {"business-licence"}, demo.Education: {"diploma"}, demo.HumanRes: {"professional-qualification"}}
	for _, d := range demo.Departments() {
		k := keys[d.ID]
		if rec := owners[credential.APIKeyHash(k.APIKey)]; rec.Dept != d.ID || rec.CreatedBy != demo.Governance || rec.Label != "demo" {
			t.Errorf("%s: the ledger records its API key as %+v", d.ID, rec)
		}
		if k.MSPID != d.MSPID || k.NameZh != d.NameZh || k.NameEn != d.NameEn || len(k.Types) != len(wantTypes[d.ID]) {
			t.Errorf("%s: entry %+v", d.ID, k)
		}
		for i, ty := range wantTypes[d.ID] {
			if k.Types[i] != ty {
				t.Errorf("%s may issue %v, want %v", d.ID, k.Types, wantTypes[d.ID])
			}
		}
		// The registered key is the one the keystore signs with.
		rd, _ := reg.Department(d.ID)
		held := f.ks.SigningKeys(d.ID)
		if len(rd.Keys) != 1 || len(held) != 1 || rd.Keys[0].ID != held[0].KeyID || rd.Keys[0].PublicKey != held[0].PublicBase64() {
			t.Errorf("%s: registered keys %+v, held %d", d.ID, rd.Keys, len(held))
		}
		if _, ok := rd.ActiveKey(now); !ok {
			t.Errorf("%s has no active key at provisioning time", d.ID)
		}
	}
}

func TestDemoRerunKeepsKeys(t *testing.T) {
	dir := t.TempDir()
	f := open(t, dir)
	if _, err := provision.Demo(context.Background(), f.ledger, f.ks, dir, now); err != nil {
		t.Fatal(err)
	}
	first, _ := provision.ReadDemoKeys(dir)
	f.ledger.Close()

	f = open(t, dir) // a restart
	defer f.ledger.Close()
	res, err := provision.Demo(context.Background(), f.ledger, f.ks, dir, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Registered) != 0 || len(res.NewAPIKeys) != 0 {
		t.Fatalf("re-run changed things: %+v", res)
	}
	again, _ := provision.ReadDemoKeys(dir)
	for id, k := range first {
		if again[id].APIKey != k.APIKey {
			t.Errorf("%s: API key changed on re-run", id)
		}
	}

	t.Run("a revoked key is replaced", func(t *testing.T) {
		samr := credential.APIKeyIDOf(credential.APIKeyHash(first[demo.Market].APIKey))
		if _, err := f.ledger.RevokeAPIKey(context.Background(), "SamrMSP", credential.APIKeyRevocation{Dept: demo.Market, ID: samr}); err != nil {
			t.Fatal(err)
		}
		res, err := provision.Demo(context.Background(), f.ledger, f.ks, dir, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.NewAPIKeys) != 1 || res.NewAPIKeys[0] != demo.Market {
			t.Fatalf("%+v, want a new key for samr only", res)
		}
		keys, _ := provision.ReadDemoKeys(dir)
		if keys[demo.Market].APIKey == first[demo.Market].APIKey || keys[demo.Education].APIKey != first[demo.Education].APIKey {
			t.Fatal("the revoked key was kept, or another one replaced")
		}
	})
	t.Run("lost keys file gets new API keys, same registry", func(t *testing.T) {
		if err := os.Remove(filepath.Join(dir, provision.DemoKeysFile)); err != nil {
			t.Fatal(err)
		}
		res, err := provision.Demo(context.Background(), f.ledger, f.ks, dir, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Registered) != 0 || len(res.NewAPIKeys) != 4 {
			t.Fatalf("%+v", res)
		}
		keys, _ := provision.ReadDemoKeys(dir)
		if keys["samr"].APIKey == first["samr"].APIKey {
			t.Fatal("the lost key was rewritten instead of replaced")
		}
	})
}

func TestDemoRefusesAForeignRegistry(t *testing.T) {
	f := open(t, t.TempDir())
	defer f.ledger.Close()
	k, err := f.ks.NewSigningKey("bureau", now)
	if err != nil {
		t.Fatal(err)
	}
	other := credential.Department{ID: "bureau", MSPID: "BureauMSP", USCC: "11100000MB01000171", NameZh: "另一个数据局", NameEn: "Another Bureau",
		Roles: []credential.Role{credential.RoleGovernance},
		Keys:  []credential.Key{{ID: k.KeyID, PublicKey: k.PublicBase64(), ValidFrom: now, Status: credential.KeyActive}}}
	if err := f.ledger.PutDepartment(context.Background(), "BureauMSP", other); err != nil {
		t.Fatal(err)
	}
	_, err = provision.Demo(context.Background(), f.ledger, f.ks, f.dir, now)
	if !errors.Is(err, provision.ErrForeignRegistry) {
		t.Fatalf("Demo on a foreign registry: %v", err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, provision.DemoKeysFile)); err == nil {
		t.Fatal("demo-keys.json written for a refused registry")
	}
}

// A demo folder provisioned before types named their holders' ID types
// gets the demo's lists on the next run, once; the rest of each entry
// stays as the ledger has it.
func TestDemoAddsHolderIDTypesToAnOlderFolder(t *testing.T) {
	ctx := context.Background()
	f := open(t, t.TempDir())
	defer f.ledger.Close()
	if _, err := provision.Demo(ctx, f.ledger, f.ks, f.dir, now); err != nil {
		t.Fatal(err)
	}
	gov := demo.Departments()[0]
	for _, ty := range demo.Types() {
		ty.HolderIDTypes = nil
		ty.DefaultValidityDays = 7 // a change of the governance department's, which the run keeps
		if err := f.ledger.PutCredentialType(ctx, gov.MSPID, ty); err != nil {
			t.Fatal(err)
		}
	}

	res, err := provision.Demo(ctx, f.ledger, f.ks, f.dir, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Registered) != 3 || len(res.NewAPIKeys) != 0 {
		t.Fatalf("the run on an older folder did %+v", res)
	}
	reg, err := f.ledger.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range demo.Types() {
		got, _ := reg.Type(want.ID)
		if strings.Join(got.HolderIDTypes, ",") != strings.Join(want.HolderIDTypes, ",") || got.DefaultValidityDays != 7 {
			t.Errorf("type %s: holder ID types %v, default validity %d", want.ID, got.HolderIDTypes, got.DefaultValidityDays)
		}
	}
	if res, err := provision.Demo(ctx, f.ledger, f.ks, f.dir, now.Add(2*time.Hour)); err != nil || len(res.Registered) != 0 {
		t.Fatalf("a second run: %+v %v", res, err)
	}
}
