package fabrictest

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// fabricClient connects to the network's Fabric Gateway on dept's first
// peer as dept's own client identity, the way a department could bypass
// CertLedger's gateway and call the chaincode itself.
func fabricClient(t *testing.T, dept string) *client.Network {
	t.Helper()
	d, ok := profile.Department(dept)
	if !ok {
		t.Fatalf("no department %s in the profile", dept)
	}
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cert, err := identity.CertificateFromPEM(read(d.Client.Cert))
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.NewX509Identity(d.MSPID, cert)
	if err != nil {
		t.Fatal(err)
	}
	key, err := identity.PrivateKeyFromPEM(read(d.Client.Key))
	if err != nil {
		t.Fatal(err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(read(d.Peers[0].TLSRootCert))
	conn, err := grpc.NewClient(d.Peers[0].Address,
		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, d.Peers[0].ServerNameOverride)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	return gw.GetNetwork(profile.Channel)
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
