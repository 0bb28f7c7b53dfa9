// Package provision sets up a ledger for a demonstration: the demo
// departments with fresh signing keys, the demo credential types, one API
// key per department, recorded on the ledger, and a password per demo
// citizen, written to <data>/demo-keys.json, and the sample credentials
// issued to the citizens through the gateway's API. It only uses
// credential.Ledger, the gateway keystore and HTTP, so it works the same on
// every ledger backend.
package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/keystore"
)

// DemoKeysFile is the name of the demo API key file in the data folder.
const DemoKeysFile = "demo-keys.json"

// DemoKey is one department's entry in demo-keys.json.
type DemoKey struct {
	APIKey string   `json:"apiKey"`
	MSPID  string   `json:"mspId"`
	Types  []string `json:"types"` // type IDs the department may issue
	NameZh string   `json:"nameZh"`
	NameEn string   `json:"nameEn"`
	Roles  []string `json:"roles"`
}

// Result says what Demo did.
type Result struct {
	// KeysPath is the demo-keys.json path.
	KeysPath string
	// Registered lists what was added to the registry (empty when the
	// ledger was already provisioned).
	Registered []string
	// NewAPIKeys lists departments that got a new API key.
	NewAPIKeys []string
	// Citizens are the demo citizens with their passwords, for the demo
	// identity provider; NewCitizens names those whose password is new.
	Citizens    []DemoCitizen
	NewCitizens []string
	// Staff are the demo departments' staff accounts with their passwords;
	// NewStaff names those whose password is new.
	Staff    []DemoStaff
	NewStaff []string
}

// ErrForeignRegistry is returned when the registry already holds a
// registry that is not the demo's: --demo does not mix with real data.
var ErrForeignRegistry = errors.New("the registry is not empty and was not provisioned by --demo; use an empty data folder for the demo")

// Demo provisions the demo on ledger, or completes an earlier run that was
// interrupted; on a folder already provisioned it changes nothing and keeps
// the existing keys, as long as the ledger still accepts them (a revoked or
// expired demo key is replaced). now stamps the new signing keys.
func Demo(ctx context.Context, ledger credential.Ledger, ks *keystore.Store, dataDir string, now time.Time) (Result, error) {
	res := Result{KeysPath: filepath.Join(dataDir, DemoKeysFile)}
	reg, err := ledger.Registry(ctx)
	if err != nil {
		return res, fmt.Errorf("provision: read the registry: %w", err)
	}
	depts := demo.Departments()
	// The governance department registers first: on an empty registry its
	// own registration is the bootstrap, and it registers everything else.
	sort.SliceStable(depts, func(i, j int) bool {
		return depts[i].HasRole(credential.RoleGovernance) && !depts[j].HasRole(credential.RoleGovernance)
	})
	gov := depts[0]
	if len(reg.Departments) > 0 {
		if d, ok := reg.Department(gov.ID); !ok || d.MSPID != gov.MSPID || !d.HasRole(credential.RoleGovernance) {
			return res, fmt.Errorf("provision: %w", ErrForeignRegistry)
		}
	}

	for _, d := range depts {
		if existing, ok := reg.Department(d.ID); ok {
			if !holdsRegisteredKey(ks, existing) && existing.HasRole(credential.RoleIssuer) {
				return res, fmt.Errorf("provision: department %s is registered, but %s holds none of its signing keys", d.ID, ks.Path())
			}
			continue
		}
		k, err := signingKeyFor(ks, d.ID, now)
		if err != nil {
			return res, fmt.Errorf("provision: %w", err)
		}
		d.Keys = []credential.Key{{
			ID: k.KeyID, PublicKey: k.PublicBase64(), ValidFrom: k.Created.Truncate(time.Second), Status: credential.KeyActive,
		}}
		if err := ledger.PutDepartment(ctx, gov.MSPID, d); err != nil {
			return res, fmt.Errorf("provision: register department %s: %w", d.ID, err)
		}
		res.Registered = append(res.Registered, "department "+d.ID)
	}
	for _, t := range demo.Types() {
		if have, ok := reg.Type(t.ID); ok {
			if err := addHolderIDTypes(ctx, ledger, gov.MSPID, have, t, &res); err != nil {
				return res, err
			}
			continue
		}
		if err := ledger.PutCredentialType(ctx, gov.MSPID, t); err != nil {
			return res, fmt.Errorf("provision: register type %s: %w", t.ID, err)
		}
		res.Registered = append(res.Registered, "type "+t.ID)
	}
	if err := demoServices(ctx, ledger, gov.MSPID, &res); err != nil {
		return res, err
	}

	file, err := readDemoFile(res.KeysPath)
	if err != nil {
		return res, err
	}
	recorded, err := ledger.APIKeys(ctx, "")
	if err != nil {
		return res, fmt.Errorf("provision: read the API keys: %w", err)
	}
	usable := map[string]string{} // hash -> department, of keys active at now
	for _, k := range recorded {
		if k.State(now) == credential.APIKeyActive {
			usable[k.SHA256] = k.Dept
		}
	}
	keys := file.keys
	changed := false
	for _, d := range depts {
		entry, ok := keys[d.ID]
		if ok && entry.APIKey != "" && usable[credential.APIKeyHash(entry.APIKey)] == d.ID {
			continue // keep the key the user already has
		}
		apiKey, req := credential.GenerateAPIKey(d.ID)
		req.Label = "demo"
		if _, err := ledger.CreateAPIKey(ctx, gov.MSPID, req); err != nil {
			return res, fmt.Errorf("provision: API key of %s: %w", d.ID, err)
		}
		keys[d.ID] = demoKeyEntry(d, apiKey)
		res.NewAPIKeys = append(res.NewAPIKeys, d.ID)
		changed = true
	}
	if res.Citizens, res.NewCitizens, err = demoCitizens(file.citizens); err != nil {
		return res, err
	}
	if res.Staff, res.NewStaff, err = demoStaff(depts, file.staff); err != nil {
		return res, err
	}
	if changed || len(res.NewCitizens) > 0 || len(res.NewStaff) > 0 {
		b, err := demoFile{keys: keys, citizens: res.Citizens, staff: res.Staff}.marshal()
		if err != nil {
			return res, err
		}
		if err := keystore.WriteFileAtomic(res.KeysPath, append(b, '\n'), 0o600); err != nil {
			return res, fmt.Errorf("provision: write %s: %w", res.KeysPath, err)
		}
	}
	return res, nil
}

// addHolderIDTypes gives a demo type registered before types named their
// holders' ID types the demo's list, so the console of an older demo folder
// offers a business licence only to companies too. The rest of the entry
// stays as the ledger has it.
func addHolderIDTypes(ctx context.Context, ledger credential.Ledger, govMSP string, have, want credential.CredentialType, res *Result) error {
	if len(have.HolderIDTypes) > 0 || len(want.HolderIDTypes) == 0 || have.Code != want.Code {
		return nil
	}
	have.HolderIDTypes = want.HolderIDTypes
	if err := ledger.PutCredentialType(ctx, govMSP, have); err != nil {
		return fmt.Errorf("provision: holder ID types of type %s: %w", have.ID, err)
	}
	res.Registered = append(res.Registered, "holder ID types of type "+have.ID)
	return nil
}

func demoKeyEntry(d credential.Department, apiKey string) DemoKey {
	e := DemoKey{APIKey: apiKey, MSPID: d.MSPID, Types: []string{}, NameZh: d.NameZh, NameEn: d.NameEn}
	for _, t := range demo.Types() {
		if t.AuthorizesIssuer(d.ID) {
			e.Types = append(e.Types, t.ID)
		}
	}
	for _, r := range d.Roles {
		e.Roles = append(e.Roles, string(r))
	}
	return e
}

// signingKeyFor reuses a key the keystore already holds for the department
// (an interrupted run, or a key fed from a Fabric connection profile) and
// generates one otherwise.
func signingKeyFor(ks *keystore.Store, deptID string, now time.Time) (keystore.SigningKey, error) {
	if held := ks.SigningKeys(deptID); len(held) > 0 {
		return held[0], nil
	}
	return ks.NewSigningKey(deptID, now)
}

func holdsRegisteredKey(ks *keystore.Store, d credential.Department) bool {
	for _, k := range ks.SigningKeys(d.ID) {
		if rk, ok := d.Key(k.KeyID); ok && rk.PublicKey == k.PublicBase64() {
			return true
		}
	}
	return false
}

// ReadDemoKeys reads the departments' API keys from a data folder's
// demo-keys.json.
func ReadDemoKeys(dataDir string) (map[string]DemoKey, error) {
	f, err := readDemoFile(filepath.Join(dataDir, DemoKeysFile))
	return f.keys, err
}

// ReadDemoCitizens reads the demo citizens and their passwords from a data
// folder's demo-keys.json.
func ReadDemoCitizens(dataDir string) ([]DemoCitizen, error) {
	f, err := readDemoFile(filepath.Join(dataDir, DemoKeysFile))
	return f.citizens, err
}

// citizensMember is the member of demo-keys.json that lists the demo
// citizens; every other member is a department's entry.
const citizensMember = "citizens"

// demoFile is demo-keys.json: the departments' entries by ID, and the demo
// citizens.
type demoFile struct {
	keys     map[string]DemoKey
	citizens []DemoCitizen
	staff    []DemoStaff
}

// ParseDemoKeys reads the text of a demo-keys.json.
func ParseDemoKeys(b []byte) (map[string]DemoKey, []DemoCitizen, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return nil, nil, err
	}
	f := demoFile{keys: map[string]DemoKey{}}
	for name, raw := range members {
		if name == staffMember {
			continue // readDemoFile reads it
		}
		if name == citizensMember {
			if err := json.Unmarshal(raw, &f.citizens); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", citizensMember, err)
			}
			continue
		}
		var k DemoKey
		if err := json.Unmarshal(raw, &k); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		f.keys[name] = k
	}
	return f.keys, f.citizens, nil
}

// ParseDemoStaff reads the "staff" member of a demo-keys.json.
func ParseDemoStaff(b []byte) ([]DemoStaff, error) {
	var f struct {
		Staff []DemoStaff `json:"staff"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", staffMember, err)
	}
	return f.Staff, nil
}

func readDemoFile(path string) (demoFile, error) {
	f := demoFile{keys: map[string]DemoKey{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("provision: %w", err)
	}
	if f.keys, f.citizens, err = ParseDemoKeys(b); err != nil {
		return demoFile{keys: map[string]DemoKey{}}, fmt.Errorf("provision: %s is not valid: %w", path, err)
	}
	if f.staff, err = ParseDemoStaff(b); err != nil {
		return demoFile{keys: map[string]DemoKey{}}, fmt.Errorf("provision: %s is not valid: %w", path, err)
	}
	return f, nil
}

func (f demoFile) marshal() ([]byte, error) {
	members := map[string]any{}
	for id, k := range f.keys {
		members[id] = k
	}
	if len(f.citizens) > 0 {
		members[citizensMember] = f.citizens
	}
	if len(f.staff) > 0 {
		members[staffMember] = f.staff
	}
	return json.MarshalIndent(members, "", "  ")
}
