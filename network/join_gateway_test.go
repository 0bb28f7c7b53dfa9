package network_test

import (
	"github.com/certledger/certledger/network/profile"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network/scenario"
)

// onboardThroughGateway follows docs/operations.md ("Adding a department") on a real network: a gateway
// started after the join, governance registering the department, a type and its API key, then an issuance by
// the department that verifies. It returns the department's registry entry and USCC.
func onboardThroughGateway(t *testing.T, dir string, p *profile.Profile, id, nameZh, nameEn string) (credential.Department, string) {
	t.Helper()
	srv := &scenario.Server{Bin: scenario.Binary(t), DataDir: filepath.Join(t.TempDir(), "data"),
		Args: []string{"--ledger", "fabric", "--network", dir}, StartTimeout: 2 * time.Minute}
	srv.Start(t)
	defer srv.Close()
	gov := srv.Keys()["gov"].APIKey
	if gov == "" {
		t.Fatal("demo-keys.json has no API key for gov")
	}
	api := gatewayClient{t: t, c: scenario.NewClient(srv.URL(), time.Minute)}

	pd, ok := p.Department(id)
	if !ok {
		t.Fatalf("profile lacks department %s", id)
	}
	const uscc = "11100000MB0500012U"
	// The entry `certledger network add-department` prints, USCC filled in.
	entry := credential.Department{ID: id, MSPID: pd.MSPID, USCC: uscc, NameZh: nameZh, NameEn: nameEn,
		Roles: []credential.Role{credential.RoleIssuer},
		Keys: []credential.Key{{ID: pd.IssuerKeyID, PublicKey: pd.IssuerPublicKey,
			ValidFrom: time.Now().UTC().Add(-time.Minute).Truncate(time.Second), Status: credential.KeyActive}}}
	api.expect("PUT", "/api/v1/departments/"+id, gov, entry, http.StatusCreated, nil)
	renamed := entry
	renamed.Keys = nil // key changes go through the key endpoints; an update leaves them out
	renamed.NameEn = nameEn + " (Fuzhou)"
	api.expect("PUT", "/api/v1/departments/"+id, gov, renamed, http.StatusOK, nil)
	entry.NameEn = renamed.NameEn

	permit := credential.CredentialType{
		ID: "residence-permit", Code: uscc + "001", NameZh: "居住证", NameEn: "Residence Permit",
		Issuers: []string{}, DefaultValidityDays: 365,
		Fields: []credential.FieldSpec{{Name: "address", Type: credential.FieldString, Required: true,
			LabelZh: "居住地址", LabelEn: "Address", MaxLength: 200}},
	}
	api.expect("PUT", "/api/v1/types/residence-permit", gov, permit, http.StatusCreated, nil)
	permit.Issuers = []string{id}
	api.expect("PUT", "/api/v1/types/residence-permit", gov, permit, http.StatusOK, nil)

	var ak struct {
		Department string `json:"department"`
		APIKey     string `json:"apiKey"`
	}
	api.expect("POST", "/api/v1/departments/"+id+"/api-keys", gov, nil, http.StatusCreated, &ak)
	var me struct {
		Department   credential.Department `json:"department"`
		SigningKeyID string                `json:"signingKeyId"`
	}
	api.expect("GET", "/api/v1/me", ak.APIKey, nil, http.StatusOK, &me)
	if ak.Department != id || me.Department.ID != id || me.SigningKeyID != pd.IssuerKeyID {
		t.Fatalf("the new API key is %s's, /me says %s signing with %q, want %s signing with its issuer key %s",
			ak.Department, me.Department.ID, me.SigningKeyID, id, pd.IssuerKeyID)
	}

	var issued struct {
		ID       string              `json:"id"`
		Document credential.Document `json:"document"`
	}
	api.expect("POST", "/api/v1/credentials", ak.APIKey, map[string]any{
		"type":   "residence-permit",
		"holder": map[string]any{"name": "李四", "idType": "other", "idNumber": "FZ-2026-0001"},
		"fields": map[string]any{"address": "福建省福州市鼓楼区东街1号"},
	}, http.StatusCreated, &issued)
	var v struct {
		Valid  bool   `json:"valid"`
		Status string `json:"status"`
		TxID   string `json:"txId"`
		Issuer *struct {
			ID string `json:"id"`
		} `json:"issuer"`
	}
	api.expect("POST", "/api/v1/verify", "", map[string]any{"document": issued.Document}, http.StatusOK, &v)
	if !v.Valid || v.Status != "valid" || v.TxID == "" || v.Issuer == nil || v.Issuer.ID != id {
		t.Fatalf("the credential %s issued through the gateway does not verify: %+v", issued.ID, v)
	}
	t.Logf("%s onboarded through the gateway; issued %s in transaction %s", id, issued.ID, v.TxID)
	return entry, uscc
}

// gatewayClient sends JSON requests to a gateway.
type gatewayClient struct {
	t *testing.T
	c *scenario.Client
}

// expect sends a request and fails the test unless the answer has the
// given status; out, when not nil, receives the JSON body.
func (g gatewayClient) expect(method, path, apiKey string, body any, status int, out any) {
	g.t.Helper()
	r := g.c.Request(g.t, method, path, apiKey, body)
	if r.Status != status {
		g.t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, status, strings.TrimSpace(string(r.Body)))
	}
	if out != nil {
		r.JSON(g.t, out)
	}
}
