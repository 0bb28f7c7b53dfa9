package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/profile"
)

// The demo department that joins by default: the public security bureau.
const (
	demoJoinID     = "mps"
	demoJoinNameZh = "公安局"
	demoJoinNameEn = "Public Security Bureau"
)

func networkAddDepartment(ctx context.Context, args []string) error {
	fs, dir := newNetworkFlags("add-department")
	id := fs.String("id", demoJoinID, "department ID: peer names, folders and its registry ID")
	msp := fs.String("msp", "", "MSP ID of its organization (default: the ID capitalized + MSP, e.g. MpsMSP)")
	nameZh := fs.String("name-zh", "", "Chinese name (default for mps: "+demoJoinNameZh+")")
	nameEn := fs.String("name-en", "", "English name (default for mps: "+demoJoinNameEn+"; otherwise the ID)")
	peers := fs.Int("peers", 1, "peers the department runs")
	if err := parseNetworkFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{fmt.Errorf("add-department takes flags only, not %q", fs.Arg(0))}
	}
	nd := network.NewDepartment{ID: *id, MSPID: *msp, NameZh: *nameZh, NameEn: *nameEn, Peers: *peers}
	if nd.MSPID == "" && nd.ID != "" {
		nd.MSPID = strings.ToUpper(nd.ID[:1]) + nd.ID[1:] + "MSP"
	}
	if nd.ID == demoJoinID {
		nd.NameZh = cmpOr(nd.NameZh, demoJoinNameZh)
		nd.NameEn = cmpOr(nd.NameEn, demoJoinNameEn)
	}
	start := time.Now()
	p, err := network.AddDepartment(ctx, *dir, nd, os.Stdout)
	if err != nil {
		return err
	}
	pd, ok := p.Department(nd.ID)
	if !ok {
		return fmt.Errorf("the connection profile lacks department %s", nd.ID)
	}
	fmt.Printf("added in %s: %s (%s) endorses on %d peer(s) and keeps its documents in %s_%s\n",
		time.Since(start).Round(100*time.Millisecond), nd.ID, nd.MSPID, len(pd.Peers), p.DocumentCollection, nd.MSPID)
	return printRegistrationStep(nd, pd)
}

// printRegistrationStep shows the application step that remains: the
// channel now accepts the department, but the contract lets it issue only
// once governance has registered it and authorized it for a credential type.
func printRegistrationStep(nd network.NewDepartment, pd *profile.Department) error {
	entry := credential.Department{
		ID: nd.ID, MSPID: nd.MSPID, USCC: "<its unified social credit code>",
		NameZh: cmpOr(nd.NameZh, "<Chinese name>"), NameEn: cmpOr(nd.NameEn, nd.ID),
		Roles: []credential.Role{credential.RoleIssuer},
		Keys: []credential.Key{{ID: pd.IssuerKeyID, PublicKey: pd.IssuerPublicKey,
			ValidFrom: time.Now().UTC().Truncate(time.Second), Status: credential.KeyActive}},
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // the placeholders' angle brackets stay readable
	if err := enc.Encode(entry); err != nil {
		return err
	}
	fmt.Printf(`
Next (docs/operations.md, "Adding a department"):
1. restart the gateway (certledger serve --ledger fabric): it connects as the department and imports its issuer key;
2. governance registers the department, its USCC filled in (the key is its issuer key, %s):
   PUT /api/v1/departments/%s
   %s
3. governance lists %q among the issuers of its credential types: PUT /api/v1/types/{type};
4. governance creates its API key: POST /api/v1/departments/%s/api-keys.
`, pd.IssuerKey, nd.ID, strings.TrimSpace(b.String()), nd.ID, nd.ID)
	return nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
