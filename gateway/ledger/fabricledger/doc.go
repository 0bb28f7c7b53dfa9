// Package fabricledger is the "fabric" ledger backend of the gateway: it
// implements credential.Ledger on a Hyperledger Fabric channel through the
// Fabric Gateway (github.com/hyperledger/fabric-gateway), reading everything
// it needs from a network's connection profile (see network.Profile).
//
// Each department of the profile has its own Fabric identity (its client
// certificate and key) and its own peers. A call made for an MSP ID is signed
// with that department's identity and sent to that department's peers, in
// profile order; a peer that does not answer is skipped for a short while and
// the department's next peer is used (the human resources department has two).
//
// Writes are endorsed, submitted and awaited step by step, so each failure is
// handled where it happens: a commit status that could not be read is asked
// again (never resubmitted blindly: the same signed transaction may only be
// sent again, and Fabric drops a duplicate transaction ID), a read conflict
// (MVCC_READ_CONFLICT, PHANTOM_READ_CONFLICT) is endorsed afresh a bounded
// number of times, and "no combination of peers" right after a restart is
// retried for a few seconds. Errors of the contract arrive as JSON inside
// the Fabric Gateway's gRPC status (chaincode.EncodeError) and are decoded
// back into credential.Error; transport details are logged with the
// transaction ID and never handed to clients.
//
// Record.BlockNumber is the block of the issuing transaction: known from the
// commit status at issuance and otherwise looked up once with qscc
// GetBlockByTxID, then kept in a bounded in-memory cache.
//
// Record answers from a bounded cache of public records kept current by
// the channel's chaincode events, and reads the ledger while the event
// stream is down (events.go states why it is never staler than the stream).
package fabricledger
