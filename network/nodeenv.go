package network

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Node configuration: Fabric's default core.yaml and orderer.yaml (in
// <dir>/config) overridden per node by environment variables. Every listen
// address is explicit, since the defaults (7050, 7051, 7052, 9443) collide
// between nodes on one host.

// logFormat is Fabric's default log format without the terminal colour
// escapes, which only clutter a log file.
const logFormat = "%{time:2006-01-02 15:04:05.000 MST} %{level:.4s} [%{module}] %{shortfunc} -> %{message}"

func ordererEnv(o Options, l layout, n node) []string {
	dir := l.nodeDir(n)
	tls := filepath.Join(dir, "tls")
	data := l.nodeData(n.Name)
	return append(cleanEnv(),
		"FABRIC_CFG_PATH="+l.configDir(),
		"FABRIC_LOGGING_SPEC="+o.LogSpec,
		"FABRIC_LOGGING_FORMAT="+logFormat,
		"ORDERER_GENERAL_LISTENADDRESS=127.0.0.1",
		fmt.Sprintf("ORDERER_GENERAL_LISTENPORT=%d", n.Port),
		"ORDERER_GENERAL_LOCALMSPID="+ordererMSPID,
		"ORDERER_GENERAL_LOCALMSPDIR="+filepath.Join(dir, "msp"),
		"ORDERER_GENERAL_TLS_ENABLED=true",
		"ORDERER_GENERAL_TLS_PRIVATEKEY="+filepath.Join(tls, "server.key"),
		"ORDERER_GENERAL_TLS_CERTIFICATE="+filepath.Join(tls, "server.crt"),
		"ORDERER_GENERAL_TLS_ROOTCAS=["+filepath.Join(tls, "ca.crt")+"]",
		// Cluster (consensus) traffic shares the main listener; the node
		// authenticates to its peers with its TLS certificate, the one
		// listed for it in the channel's consenter set.
		"ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="+filepath.Join(tls, "server.crt"),
		"ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="+filepath.Join(tls, "server.key"),
		"ORDERER_GENERAL_CLUSTER_ROOTCAS=["+filepath.Join(tls, "ca.crt")+"]",
		// Fabric v3 has no system channel: channels are joined through the
		// admin endpoint (channel participation API), with mutual TLS.
		"ORDERER_GENERAL_BOOTSTRAPMETHOD=none",
		"ORDERER_CHANNELPARTICIPATION_ENABLED=true",
		"ORDERER_ADMIN_LISTENADDRESS="+n.auxAddress(),
		"ORDERER_ADMIN_TLS_ENABLED=true",
		"ORDERER_ADMIN_TLS_PRIVATEKEY="+filepath.Join(tls, "server.key"),
		"ORDERER_ADMIN_TLS_CERTIFICATE="+filepath.Join(tls, "server.crt"),
		"ORDERER_ADMIN_TLS_ROOTCAS=["+filepath.Join(tls, "ca.crt")+"]",
		"ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true",
		"ORDERER_ADMIN_TLS_CLIENTROOTCAS=["+filepath.Join(tls, "ca.crt")+"]",
		"ORDERER_OPERATIONS_LISTENADDRESS="+n.opsAddress(),
		"ORDERER_METRICS_PROVIDER=prometheus",
		// The defaults are under /var/hyperledger.
		"ORDERER_FILELEDGER_LOCATION="+filepath.Join(data, "ledger"),
		"ORDERER_CONSENSUS_WALDIR="+filepath.Join(data, "etcdraft", "wal"),
		"ORDERER_CONSENSUS_SNAPDIR="+filepath.Join(data, "etcdraft", "snapshot"),
	)
}

func peerEnv(o Options, l layout, t topology, n node) []string {
	dir := l.nodeDir(n)
	tls := filepath.Join(dir, "tls")
	data := l.nodeData(n.Name)
	// Gossip within the department bootstraps from its other peers; other
	// departments are found through the anchor peers of the channel config.
	var bootstrap []string
	for _, p := range t.peersOf(n.Dept) {
		if p.Name != n.Name {
			bootstrap = append(bootstrap, p.address())
		}
	}
	if len(bootstrap) == 0 {
		bootstrap = []string{n.address()}
	}
	return append(cleanEnv(),
		"FABRIC_CFG_PATH="+l.configDir(),
		"FABRIC_LOGGING_SPEC="+o.LogSpec,
		"FABRIC_LOGGING_FORMAT="+logFormat,
		"CORE_PEER_ID="+n.Host,
		"CORE_PEER_ADDRESS="+n.address(),
		"CORE_PEER_LISTENADDRESS="+n.address(),
		"CORE_PEER_CHAINCODEADDRESS="+n.auxAddress(),
		"CORE_PEER_CHAINCODELISTENADDRESS="+n.auxAddress(),
		"CORE_PEER_LOCALMSPID="+n.Dept.MSPID,
		"CORE_PEER_MSPCONFIGPATH="+filepath.Join(dir, "msp"),
		"CORE_PEER_TLS_ENABLED=true",
		"CORE_PEER_TLS_CERT_FILE="+filepath.Join(tls, "server.crt"),
		"CORE_PEER_TLS_KEY_FILE="+filepath.Join(tls, "server.key"),
		"CORE_PEER_TLS_ROOTCERT_FILE="+filepath.Join(tls, "ca.crt"),
		"CORE_PEER_GOSSIP_BOOTSTRAP="+strings.Join(bootstrap, " "),
		"CORE_PEER_GOSSIP_ENDPOINT="+n.address(),
		"CORE_PEER_GOSSIP_EXTERNALENDPOINT="+n.address(),
		// The default 25s makes cross-department discovery take ~30s after
		// a start, and gateway submits fail until it completes.
		"CORE_PEER_GOSSIP_RECONNECTINTERVAL=1s",
		"CORE_PEER_FILESYSTEMPATH="+filepath.Join(data, "production"),
		"CORE_LEDGER_SNAPSHOTS_ROOTDIR="+filepath.Join(data, "snapshots"),
		"CORE_OPERATIONS_LISTENADDRESS="+n.opsAddress(),
		// Up reads gossip membership from the metrics to know when every
		// peer sees every other.
		"CORE_METRICS_PROVIDER=prometheus",
		// Empty: no Docker daemon; chaincodes run as services. Otherwise
		// /healthz fails trying to reach Docker.
		"CORE_VM_ENDPOINT=",
	)
}

// adminEnv is the peer CLI environment of a department's administrator
// talking to one of its peers.
func adminEnv(l layout, d *department, peer node) []string {
	return []string{
		"FABRIC_CFG_PATH=" + l.configDir(),
		"FABRIC_LOGGING_SPEC=warning",
		"CORE_PEER_LOCALMSPID=" + d.MSPID,
		"CORE_PEER_MSPCONFIGPATH=" + filepath.Join(l.deptUserDir(d, "Admin"), "msp"),
		"CORE_PEER_ADDRESS=" + peer.address(),
		"CORE_PEER_TLS_ENABLED=true",
		"CORE_PEER_TLS_ROOTCERT_FILE=" + l.deptTLSCA(d),
	}
}

// chaincodeEnv configures a chaincode server (cmd/certledger-chaincode,
// cmd/kv-chaincode): the package ID the peers know it by, where to listen,
// and its TLS key pair.
func chaincodeEnv(l layout, n node, packageID string) []string {
	return append(cleanEnv(),
		"CHAINCODE_ID="+packageID,
		"CHAINCODE_SERVER_ADDRESS="+n.address(),
		"CHAINCODE_TLS_CERT="+l.chaincodeTLS("server.crt"),
		"CHAINCODE_TLS_KEY="+l.chaincodeTLS("server.key"),
	)
}
