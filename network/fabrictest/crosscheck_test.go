package fabrictest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network"
)

// TestCLICrossCheck issues a credential through the gateway and reads its
// record back with the Fabric peer CLI on two other departments' peers:
// the record matches the gateway's answer field by field, and the block the
// verification answer names, fetched from the orderers by the CLI, holds
// the issuing transaction.
func TestCLICrossCheck(t *testing.T) {
	need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lic := issue(t, "samr", 1)
	v := verify(t, lic.Document)
	if !v.Valid || v.TxID == "" || v.BlockNumber == 0 {
		t.Fatalf("verification answer %+v: want valid with a transaction ID and block number", v)
	}
	if v.TxID != lic.Record.IssueTxID || v.BlockNumber != lic.Record.BlockNumber {
		t.Fatalf("verification names tx %s block %d, issuance answered tx %s block %d",
			v.TxID, v.BlockNumber, lic.Record.IssueTxID, lic.Record.BlockNumber)
	}
	for _, dept := range []string{"edu", "hrss"} {
		rec := cliRecord(t, ctx, dept, lic.ID)
		want := lic.Record
		want.BlockNumber = 0 // not contract state: the backend adds it
		if !rec.IssuedAt.Equal(want.IssuedAt) || !rec.LastChange.Time.Equal(want.LastChange.Time) ||
			!rec.ValidFrom.Equal(want.ValidFrom) || !rec.ValidUntil.Equal(want.ValidUntil) {
			t.Fatalf("%s CLI times differ: %+v vs %+v", dept, rec, want)
		}
		rec.IssuedAt, rec.LastChange.Time, rec.ValidFrom, rec.ValidUntil = want.IssuedAt, want.LastChange.Time, want.ValidFrom, want.ValidUntil
		if rec != want {
			t.Fatalf("record read with the peer CLI as %s:\n%+v\ngateway answered:\n%+v", dept, rec, want)
		}
	}

	// The named block, fetched by the CLI from the orderers, holds the
	// transaction.
	ord, err := network.OrdererArgs(netDir)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "block.pb")
	args := append([]string{"channel", "fetch", strconv.FormatUint(v.BlockNumber, 10), file, "-c", profile.Channel}, ord...)
	if out, err := network.PeerCLI(ctx, netDir, "gov", args...); err != nil {
		t.Fatalf("peer channel fetch: %v\n%s", err, out)
	}
	block, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(block, []byte(v.TxID)) {
		t.Fatalf("block %d fetched with the CLI does not hold transaction %s", v.BlockNumber, v.TxID)
	}
}

// cliRecord reads a record with `peer chaincode query` as dept: the Fabric
// CLI, an independent client.
func cliRecord(t *testing.T, ctx context.Context, dept, id string) credential.Record {
	t.Helper()
	out, err := network.PeerCLI(ctx, netDir, dept, "chaincode", "query", "-C", profile.Channel, "-n", profile.Chaincode,
		"-c", `{"Args":["GetRecord","`+id+`"]}`)
	if err != nil {
		t.Fatalf("peer chaincode query GetRecord %s as %s: %v\n%s", id, dept, err, out)
	}
	var rec credential.Record
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &rec); err != nil {
		t.Fatalf("peer chaincode query answered %q: %v", out, err)
	}
	return rec
}
