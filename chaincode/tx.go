// Package chaincode is the CertLedger contract: the registry (证照目录) and
// the lifecycle of credential records. The logic is written against Tx, a
// small view of a ledger transaction, so the same code runs inside a Fabric
// peer (through the contract API adapter, package fabriccontract) and
// in-process on the embedded ledger. It imports no Fabric package.
package chaincode

import (
	"strconv"
	"time"
)

// Names shared with every client of the contract.
const (
	// Name is the chaincode name on the channel.
	Name = "certledger"
	// Channel is the channel the chaincode is deployed on.
	Channel = "certledger"
	// Collection is the name prefix of the private data collections holding
	// full documents: each department keeps the documents it issues in its
	// own collection, DocumentCollection(its MSP ID).
	Collection = "credentialDocuments"
	// EventName is the name of the event emitted for every record change.
	EventName = "certledger.change"
	// EventBatchName is the event of an IssueBatch transaction: a JSON
	// array of the ChangeEvent of every credential it recorded.
	EventBatchName = "certledger.changes"
	// EventAPIKeyName is the event of an API key's creation or revocation:
	// the key's credential.APIKey after the change.
	EventAPIKeyName = "certledger.apikey"
	// EventAnchorName is the event of an AnchorBatch transaction: the
	// credential.Anchor it recorded (its leaves are in public state).
	EventAnchorName = "certledger.anchor"
	// TransientAnchor is the transient map key carrying AnchorBatch's
	// credential.AnchorRequest; TransientAnchorChunk(i) carries its chunk i
	// of documents.
	TransientAnchor = "anchor"
	// TransientAnchorLeaves carries the request's leaves, in the stored
	// binary form (credential.EncodeAnchorLeaves).
	TransientAnchorLeaves = "anchorleaves"
	// TransientRequest is the transient map key carrying the IssueRequest.
	TransientRequest = "request"
	// TransientRequests is the transient map key carrying IssueBatch's
	// JSON array of IssueRequest.
	TransientRequests = "requests"
)

// DocumentCollection is the private data collection of the documents the
// department with this MSP ID issues. Only that department is a member, so
// its documents (personal data) stay on its own peers and issuance pushes
// them to no other department's peer; every other peer stores only their
// hashes, in the blocks.
func DocumentCollection(mspID string) string { return Collection + "_" + mspID }

// Contract function names (the Fabric transaction names).
const (
	FnPutDepartment     = "PutDepartment"
	FnPutCredentialType = "PutCredentialType"
	FnGetRegistry       = "GetRegistry"
	FnIssue             = "Issue"
	FnIssueBatch        = "IssueBatch"
	FnChangeStatus      = "ChangeStatus"
	FnAnchorBatch       = "AnchorBatch"
	FnGetAnchorStatus   = "GetAnchorStatusNext"
	FnGetAnchorLeaves   = "GetAnchorLeaves"
	FnRotateToken       = "RotateToken"
	FnGetRecord         = "GetRecord"
	FnGetDocument       = "GetDocument"
	FnGetHistory        = "GetHistory"
	FnGetStatusEntries  = "GetStatusEntries"
	FnCreateAPIKey      = "CreateAPIKey"
	FnRevokeAPIKey      = "RevokeAPIKey"
	FnGetAPIKeys        = "GetAPIKeys"
)

// Contract functions of shares. The writes take their request as transient
// data (TransientShare), so a block shows neither the share ID nor the
// holder reference.
const (
	FnCreateShare       = "CreateShare"
	FnOpenShare         = "OpenShare"
	FnWithdrawShare     = "WithdrawShare"
	FnGetShare          = "GetShare"          // a query
	FnGetSharesByHolder = "GetSharesByHolder" // a query
	// TransientShare is the transient map key of a share write's request.
	TransientShare = "share"
)

// TransientAnchorChunk is the transient map key of chunk i of an
// AnchorBatch's documents.
func TransientAnchorChunk(i int) string { return "anchorchunk." + strconv.Itoa(i) }

// KV is one entry of a range scan.
type KV struct {
	Key   string
	Value []byte
}

// KeyModification is one committed write of a key, as Fabric's history
// database reports it.
type KeyModification struct {
	TxID     string
	Time     time.Time
	Value    []byte
	IsDelete bool
}

// Tx is what the contract needs from one ledger transaction. Both backends
// follow Fabric's chaincode stub, the stricter of the two.
type Tx interface {
	TxID() string
	// TxTimestamp is the client-chosen transaction time. It is the same on
	// every endorser, so the contract uses it instead of the clock.
	TxTimestamp() (time.Time, error)
	// CallerMSPID is the MSP ID of the identity that submitted the proposal.
	CallerMSPID() (string, error)
	// Transient returns the value of a transient data key, nil if absent.
	Transient(key string) ([]byte, error)

	// GetState reads the state committed before the transaction, never its
	// own writes; PutState and DelState take effect only if it commits.
	GetState(key string) ([]byte, error)
	PutState(key string, value []byte) error
	DelState(key string) error
	// StateRange returns the keys in [start, end) in byte order.
	StateRange(start, end string) ([]KV, error)
	// History returns the key's committed writes, newest first.
	History(key string) ([]KeyModification, error)
	// RestrictTo makes every later write of key need the endorsement of a
	// peer of each listed department (by MSP ID): a key-level endorsement
	// policy, which the ledger enforces at commit.
	RestrictTo(key string, mspIDs ...string) error

	GetPrivateData(collection, key string) ([]byte, error)
	PutPrivateData(collection, key string, value []byte) error
	// RestrictPrivateTo is RestrictTo for a key of a private data collection.
	RestrictPrivateTo(collection, key string, mspIDs ...string) error

	// SetEvent sets the transaction's event; Fabric keeps only the last one,
	// so the contract emits at most one per transaction.
	SetEvent(name string, payload []byte) error
}
