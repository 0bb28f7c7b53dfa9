package provision_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/provision"
)

// TestDemoWritesCitizens: demo-keys.json gains "citizens", one entry per
// demo citizen with a random password, kept across runs; the departments'
// entries read as before.
func TestDemoWritesCitizens(t *testing.T) {
	f := open(t, t.TempDir())
	defer f.ledger.Close()
	res, err := provision.Demo(context.Background(), f.ledger, f.ks, f.dir, now)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(res.KeysPath)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Citizens []map[string]string `json:"citizens"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	want := demo.Citizens()
	if len(file.Citizens) != len(want) || len(res.NewCitizens) != len(want) {
		t.Fatalf("citizens %v, new %v", file.Citizens, res.NewCitizens)
	}
	seen := map[string]bool{}
	for i, c := range file.Citizens {
		w := want[i]
		if len(c) != 5 || c["name"] != w.Holder.Name || c["idType"] != w.Holder.IDType || c["idNumber"] != w.Holder.IDNumber || c["username"] != w.Username {
			t.Errorf("entry %d: %v", i, c)
		}
		p := c["password"]
		if len(p) != 16 || strings.Trim(p, "abcdefghjkmnpqrstuvwxyz23456789") != "" || seen[p] {
			t.Errorf("%s: password %q", c["username"], p)
		}
		seen[p] = true
	}
	keys, err := provision.ReadDemoKeys(f.dir)
	if err != nil || len(keys) != len(demo.Departments()) {
		t.Fatalf("departments' entries: %v %v", keys, err)
	}

	// A re-run keeps every password; a citizen missing from the file gets
	// a new one, the others keep theirs.
	first, _ := provision.ReadDemoCitizens(f.dir)
	var members map[string]json.RawMessage
	_ = json.Unmarshal(raw, &members)
	short, _ := json.Marshal(first[1:])
	members["citizens"] = short
	edited, _ := json.Marshal(members)
	if err := os.WriteFile(res.KeysPath, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err = provision.Demo(context.Background(), f.ledger, f.ks, f.dir, now)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := provision.ReadDemoCitizens(f.dir)
	if len(res.NewCitizens) != 1 || res.NewCitizens[0] != first[0].Username || again[0].Password == first[0].Password {
		t.Fatalf("re-run with %s missing: new %v", first[0].Username, res.NewCitizens)
	}
	if !slices.Equal(again[1:], first[1:]) {
		t.Fatal("a re-run changed the passwords of citizens still in the file")
	}
	if fi, _ := os.Stat(filepath.Join(f.dir, provision.DemoKeysFile)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("demo-keys.json mode %v", fi.Mode().Perm())
	}
}

// TestIssueSamplesThroughTheGateway issues the samples with the departments'
// API keys through a real gateway; a second run replays them.
func TestIssueSamplesThroughTheGateway(t *testing.T) {
	f := open(t, t.TempDir())
	defer f.ledger.Close()
	if _, err := provision.Demo(context.Background(), f.ledger, f.ks, f.dir, now); err != nil {
		t.Fatal(err)
	}
	srv, err := gateway.New(gateway.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, f.ledger, f.ks)
	if err != nil {
		t.Fatal(err)
	}
	do := func(r *http.Request) (*http.Response, error) { return srv.App().Test(r, -1) }
	n, err := provision.IssueSamples(context.Background(), do, f.dir)
	if err != nil || n != len(demo.Samples()) {
		t.Fatalf("first run issued %d of %d: %v", n, len(demo.Samples()), err)
	}
	n, err = provision.IssueSamples(context.Background(), do, f.dir)
	if err != nil || n != 0 {
		t.Fatalf("second run issued %d: %v", n, err)
	}
}
