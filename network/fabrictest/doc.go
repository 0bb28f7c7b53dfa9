// Package fabrictest holds the tests that need a real Fabric network and
// the gateway on it: a cross-check of the gateway's records with the peer
// CLI, direct chaincode calls by a department's own Fabric identity,
// key-level endorsement at validation, and failure drills (a Raft orderer,
// a peer, the whole network). TestMain brings one network up for all of
// them; they skip, with the reason, when the Fabric binaries are absent
// (CERTLEDGER_FABRIC=1 builds them first, as CI does).
package fabrictest
