// Package network runs CertLedger's Hyperledger Fabric network as native
// processes on 127.0.0.1, without Docker.
//
// A network lives in one folder (Options.Dir): crypto material made by
// cryptogen from the project's own crypto-config, the channel genesis block
// made by configtxgen from the project's own configtx, node ledgers, logs,
// PID files, the Ed25519 issuer keys of the departments, and the connection
// profile (package profile) that the gateway's fabric ledger backend reads.
//
// Build compiles the Fabric v3.1.1 binaries once into a cache folder; Up
// generates what is missing, starts what is not running, joins the channel
// and deploys the chaincodes through the lifecycle; Down stops exactly the
// processes Up started; Status reports every node's health.
package network
