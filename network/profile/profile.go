// Package profile is the connection profile of a CertLedger Fabric network:
// what a client needs to reach the channel as each department. Package
// network writes it into the network folder; the gateway's fabric ledger
// backend, tests and tools read it with Load.
package profile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// File is the connection profile's name inside the network folder.
const File = "connection-profile.json"

// Profile is the connection profile of a network. Paths in the file are
// relative to the file's folder; Load makes them absolute. Profiles written
// before also carry the network's consensus, orderer batch timeout and
// baseline chaincode; Load ignores those.
type Profile struct {
	Channel            string       `json:"channel"`
	Chaincode          string       `json:"chaincode"`          // CertLedger's contract
	DocumentCollection string       `json:"documentCollection"` // private data collection of documents
	Departments        []Department `json:"departments"`
	Orderers           []Endpoint   `json:"orderers"`
}

// Department is one organization of the channel as a client sees it.
type Department struct {
	ID         string     `json:"id"` // gov, samr, edu, hrss: the registry's department IDs
	Name       string     `json:"name"`
	MSPID      string     `json:"mspId"`
	Governance bool       `json:"governance"` // keeps the registry
	Peers      []Endpoint `json:"peers"`      // in order of preference
	// Client is the department's application identity (cryptogen's User1,
	// a "client" node OU): the gateway signs its transactions with it.
	Client Identity `json:"client"`
	// Admin is the department's administrator ("admin" node OU), for the
	// peer CLI and lifecycle operations.
	Admin Identity `json:"admin"`
	// IssuerKey is the department's Ed25519 credential signing key (PKCS#8
	// PEM, mode 0600; see network.LoadIssuerKey), IssuerPublicKey its public half in
	// base64 as the registry stores it, IssuerKeyID a suggested key ID.
	IssuerKey       string `json:"issuerKey"`
	IssuerPublicKey string `json:"issuerPublicKey"`
	IssuerKeyID     string `json:"issuerKeyId"`
}

// Endpoint is a gRPC endpoint of a peer or orderer, reached over TLS.
type Endpoint struct {
	Name    string `json:"name"`    // node name in the network: peer0.gov, orderer1
	Address string `json:"address"` // host:port to dial
	// ServerNameOverride is the host name in the node's TLS certificate.
	// The certificates also name 127.0.0.1, so dialing Address works without
	// it; it is needed once a node moves behind another host name.
	ServerNameOverride string `json:"serverNameOverride"`
	TLSRootCert        string `json:"tlsRootCert"` // PEM file of the organization's TLS CA
}

// Identity is a Fabric identity: an X.509 certificate and its private key,
// and the MSP folder holding both (for the peer CLI).
type Identity struct {
	MSPID  string `json:"mspId"`
	Cert   string `json:"cert"`
	Key    string `json:"key"`
	MSPDir string `json:"mspDir"`
}

// Department returns the department with the given ID.
func (p *Profile) Department(id string) (*Department, bool) {
	for i := range p.Departments {
		if p.Departments[i].ID == id {
			return &p.Departments[i], true
		}
	}
	return nil, false
}

// Load reads a connection profile, given its path or the network folder
// holding it, and resolves its paths.
func Load(path string) (*Profile, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, File)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("profile: %s: %w", path, err)
	}
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	p.eachPath(func(s *string) {
		if *s != "" && !filepath.IsAbs(*s) {
			*s = filepath.Join(base, *s)
		}
	})
	return &p, nil
}

// eachPath calls fn on every file path field.
func (p *Profile) eachPath(fn func(*string)) {
	endpoints := func(es []Endpoint) {
		for i := range es {
			fn(&es[i].TLSRootCert)
		}
	}
	identity := func(id *Identity) {
		fn(&id.Cert)
		fn(&id.Key)
		fn(&id.MSPDir)
	}
	endpoints(p.Orderers)
	for i := range p.Departments {
		d := &p.Departments[i]
		endpoints(d.Peers)
		identity(&d.Client)
		identity(&d.Admin)
		fn(&d.IssuerKey)
	}
}

// Encode returns the profile as its file holds it, with paths relative to
// dir, the folder the file goes in, so the folder can be moved or copied to
// another host as a whole.
func (p *Profile) Encode(dir string) ([]byte, error) {
	rel := *p
	rel.Departments = append([]Department{}, p.Departments...)
	for i := range rel.Departments {
		rel.Departments[i].Peers = append([]Endpoint{}, p.Departments[i].Peers...)
	}
	rel.Orderers = append([]Endpoint{}, p.Orderers...)
	var err error
	rel.eachPath(func(s *string) {
		if *s == "" || !filepath.IsAbs(*s) {
			return
		}
		if r, e := filepath.Rel(dir, *s); e == nil {
			*s = r
		} else {
			err = e
		}
	})
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(&rel, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
