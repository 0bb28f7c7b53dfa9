package fabrictest

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/certledger/certledger/network/scenario"
)

// TestSecondGateway starts another `serve --ledger fabric --demo` with a
// data folder of its own on the same network: it keeps the registry the
// first gateway provisioned (same issuer keys, from the profile), writes
// its own demo-keys.json, verifies what the first issued, and issues.
func TestSecondGateway(t *testing.T) {
	need(t)
	lic := issue(t, "samr", 8)
	second := &scenario.Server{Bin: scenario.Binary(t), DataDir: filepath.Join(t.TempDir(), "data"),
		Args: []string{"--ledger", "fabric", "--network", netDir}, StartTimeout: 2 * time.Minute}
	second.Start(t)
	defer second.Close()
	var v verified
	if _, err := call(second.URL(), "POST", "/api/v1/verify", "", map[string]any{"document": lic.Document}, &v); err != nil {
		t.Fatal(err)
	}
	if !v.Valid || v.TxID != lic.Record.IssueTxID || v.BlockNumber != lic.Record.BlockNumber {
		t.Fatalf("the second gateway verifies the first's credential as %+v", v)
	}
	var out issued
	if _, err := call(second.URL(), "POST", "/api/v1/credentials", second.Keys()["edu"].APIKey, requestFor("edu", 9), &out); err != nil {
		t.Fatal(err)
	}
	if w := verify(t, out.Document); !w.Valid {
		t.Fatalf("the first gateway verifies the second's credential as %+v", w)
	}
	if second.Keys()["edu"].APIKey == gateway(t).Keys()["edu"].APIKey {
		t.Fatal("the second gateway reused the first's API key")
	}
}
