package network

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

type ordererData struct {
	Short, Host       string
	Port              int
	TLSCert, SignCert string
}

type departmentData struct {
	Name, MSPID, Domain, MSPDir string
	Peers                       int
	AnchorPorts                 []int
}

type configData struct {
	OrdererDomain, OrdererMSPID, OrdererMSPDir string
	Orderers                                   []ordererData
	Departments                                []departmentData
	BFT                                        bool
	BatchTimeout                               string
	MaxMessageCount                            int
}

func newConfigData(o Options, l layout, t topology) configData {
	c := configData{
		OrdererDomain: ordererDomain, OrdererMSPID: ordererMSPID,
		OrdererMSPDir: filepath.Join(l.ordererOrgDir(), "msp"),
		BFT:           o.Consensus == BFT, BatchTimeout: o.BatchTimeout.String(),
		MaxMessageCount: o.MaxMessageCount,
	}
	for _, n := range t.Orderers {
		dir := l.nodeDir(n)
		c.Orderers = append(c.Orderers, ordererData{
			Short: strings.TrimSuffix(n.Host, "."+ordererDomain), Host: n.Host, Port: n.Port,
			TLSCert:  filepath.Join(dir, "tls", "server.crt"),
			SignCert: signCert(filepath.Join(dir, "msp"), n.Host),
		})
	}
	for _, d := range t.Departments {
		dd := departmentData{Name: d.Name, MSPID: d.MSPID, Domain: d.domain(), Peers: d.Peers,
			MSPDir: filepath.Join(l.deptOrgDir(d), "msp")}
		// Every peer is an anchor peer, so that other departments still
		// discover a department whose first peer is down.
		for _, p := range t.peersOf(d) {
			dd.AnchorPorts = append(dd.AnchorPorts, p.Port)
		}
		c.Departments = append(c.Departments, dd)
	}
	return c
}

// generateCrypto runs cryptogen once; later Ups keep the material. A
// department added since gets its own with cryptogen extend, which leaves
// every existing key and certificate as it is.
func generateCrypto(ctx context.Context, f Fabric, l layout, t topology, c configData) error {
	cfg := filepath.Join(l.configDir(), "crypto-config.yaml")
	if exists(l.cryptoDir()) {
		complete := true
		for _, p := range t.Peers {
			complete = complete && exists(l.nodeDir(p)) && exists(l.deptUserDir(p.Dept, "Admin"))
		}
		if complete {
			return nil
		}
		if err := renderTemplate("crypto-config.yaml", cfg, c); err != nil {
			return err
		}
		_, err := runTool(ctx, nil, f.Bin("cryptogen"), "extend", "--config="+cfg, "--input="+l.cryptoDir())
		return err
	}
	if err := renderTemplate("crypto-config.yaml", cfg, c); err != nil {
		return err
	}
	tmp := l.cryptoDir() + ".tmp"
	os.RemoveAll(tmp)
	if _, err := runTool(ctx, nil, f.Bin("cryptogen"), "generate", "--config="+cfg, "--output="+tmp); err != nil {
		return err
	}
	return os.Rename(tmp, l.cryptoDir())
}

// generateGenesis runs configtxgen once for the channel's genesis block.
func generateGenesis(ctx context.Context, f Fabric, l layout, c configData) error {
	if exists(l.genesisBlock()) {
		return nil
	}
	if err := renderTemplate("configtx.yaml", filepath.Join(l.configDir(), "configtx.yaml"), c); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(l.genesisBlock()), 0o755); err != nil {
		return err
	}
	tmp := l.genesisBlock() + ".tmp"
	_, err := runTool(ctx, nil, f.Bin("configtxgen"), "-configPath", l.configDir(),
		"-profile", "CertLedgerChannel", "-channelID", DefaultChannel, "-outputBlock", tmp)
	if err != nil {
		return err
	}
	return os.Rename(tmp, l.genesisBlock())
}

// sampleBuilderPath is the external builder path in Fabric's sample
// core.yaml; writeNodeConfig points it at the network's own builder.
const sampleBuilderPath = "path: /opt/hyperledger/ccaas_builder"

// writeNodeConfig writes core.yaml and orderer.yaml, Fabric's defaults with
// the external builder pointed at the network's CCaaS builder. Everything
// node-specific is set through environment variables (nodeenv.go).
func writeNodeConfig(f Fabric, l layout) error {
	core, err := os.ReadFile(filepath.Join(f.ConfigDir(), "core.yaml"))
	if err != nil {
		return err
	}
	if strings.Count(string(core), sampleBuilderPath) != 1 {
		return fmt.Errorf("network: core.yaml of Fabric %s has no single %q to replace", FabricVersion, sampleBuilderPath)
	}
	core = []byte(strings.Replace(string(core), sampleBuilderPath, "path: "+strconv.Quote(l.builderDir()), 1))
	if err := writeFileAtomic(filepath.Join(l.configDir(), "core.yaml"), core, 0o644); err != nil {
		return err
	}
	orderer, err := os.ReadFile(filepath.Join(f.ConfigDir(), "orderer.yaml"))
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(l.configDir(), "orderer.yaml"), orderer, 0o644)
}

// writeBuilder installs the CCaaS external builder scripts.
func writeBuilder(l layout) error {
	return fs.WalkDir(templateFS, "templates/ccaas-builder", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		if err != nil {
			return err
		}
		return writeFileAtomic(filepath.Join(l.builderDir(), "bin", e.Name()), b, 0o755)
	})
}

// collection is one entry of collections_config.json.
type collection struct {
	Name              string `json:"name"`
	Policy            string `json:"policy"`
	RequiredPeerCount int    `json:"requiredPeerCount"`
	MaxPeerCount      int    `json:"maxPeerCount"`
	BlockToLive       int    `json:"blockToLive"`
	MemberOnlyRead    bool   `json:"memberOnlyRead"`
	MemberOnlyWrite   bool   `json:"memberOnlyWrite"`
}

// documentCollections are the private collections of credential documents,
// one per department with that department the only member, so no other
// department holds a citizen's personal data. Pushes to the department's
// other peers are not waited for (docs/network.md, "Policies").
func documentCollections(t topology) []collection {
	var out []collection
	for _, d := range t.Departments {
		others := d.Peers - 1
		out = append(out, collection{
			Name: documentCollectionName(d.MSPID), Policy: fmt.Sprintf("OR('%s.member')", d.MSPID),
			RequiredPeerCount: 0, MaxPeerCount: others, BlockToLive: 0,
			MemberOnlyRead: true, MemberOnlyWrite: true,
		})
	}
	return out
}

// documentCollectionName is the collection of one department's documents.
func documentCollectionName(mspID string) string { return DocumentCollection + "_" + mspID }

func (l layout) collectionsFile() string {
	return filepath.Join(l.configDir(), "collections_config.json")
}

func writeCollections(l layout, t topology) error {
	b, err := json.MarshalIndent(documentCollections(t), "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(l.collectionsFile(), append(b, '\n'), 0o644)
}
