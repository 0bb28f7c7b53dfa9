package network

import (
	"fmt"
	"github.com/certledger/certledger/network/profile"
	"path/filepath"
)

// layout names every file and folder of a network folder.
type layout struct{ Dir string }

func (l layout) path(parts ...string) string {
	return filepath.Join(append([]string{l.Dir}, parts...)...)
}

func (l layout) stateFile() string    { return l.path("network.json") }
func (l layout) profileFile() string  { return l.path(profile.File) }
func (l layout) configDir() string    { return l.path("config") }
func (l layout) cryptoDir() string    { return l.path("crypto") }
func (l layout) genesisBlock() string { return l.path("channel", DefaultChannel+".block") }
func (l layout) builderDir() string   { return l.path("builders", "ccaas") }
func (l layout) binDir() string       { return l.path("bin") }
func (l layout) logFile(n string) string {
	return l.path("logs", n+".log")
}
func (l layout) pidFile(n string) string  { return l.path("run", n+".pid") }
func (l layout) nodeData(n string) string { return l.path("nodes", n) }
func (l layout) chaincodeDir(cc string) string {
	return l.path("chaincode", cc)
}
func (l layout) issuerKey(dept string) string {
	return l.path("keys", dept, "issuer.pem")
}

// Crypto material as cryptogen lays it out.

func (l layout) ordererOrgDir() string {
	return filepath.Join(l.cryptoDir(), "ordererOrganizations", ordererDomain)
}

func (l layout) deptOrgDir(d *department) string {
	return filepath.Join(l.cryptoDir(), "peerOrganizations", d.domain())
}

// nodeDir is the cryptogen folder of an orderer or peer (msp/, tls/).
func (l layout) nodeDir(n node) string {
	if n.Kind == kindOrderer {
		return filepath.Join(l.ordererOrgDir(), "orderers", n.Host)
	}
	return filepath.Join(l.deptOrgDir(n.Dept), "peers", n.Host)
}

// user is the cryptogen folder of a user (Admin or User1) of an org folder.
func userDir(orgDir, domain, user string) string {
	return filepath.Join(orgDir, "users", fmt.Sprintf("%s@%s", user, domain))
}

func (l layout) ordererAdminDir() string {
	return userDir(l.ordererOrgDir(), ordererDomain, "Admin")
}

func (l layout) deptUserDir(d *department, user string) string {
	return userDir(l.deptOrgDir(d), d.domain(), user)
}

// ordererTLSCA is the TLS CA certificate of the orderer organization.
func (l layout) ordererTLSCA() string {
	return filepath.Join(l.ordererOrgDir(), "tlsca", "tlsca."+ordererDomain+"-cert.pem")
}

// deptTLSCA is the TLS CA certificate of a department.
func (l layout) deptTLSCA(d *department) string {
	return filepath.Join(l.deptOrgDir(d), "tlsca", "tlsca."+d.domain()+"-cert.pem")
}

// signCert is the enrollment certificate in an MSP folder made by cryptogen.
func signCert(mspDir, name string) string {
	return filepath.Join(mspDir, "signcerts", name+"-cert.pem")
}

// privateKey is the private key in an MSP folder made by cryptogen.
func privateKey(mspDir string) string {
	return filepath.Join(mspDir, "keystore", "priv_sk")
}
