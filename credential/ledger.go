package credential

import (
	"context"
	"errors"
)

// IssueRequest carries a signed document to the ledger. The document holds
// personal data: backends pass it as transient data into a private data
// collection, never as a transaction argument or into public state.
type IssueRequest struct {
	Document  Document `json:"document"`
	HolderRef string   `json:"holderRef"`
	// IdempotencyKey is a gateway-keyed hash of the client's Idempotency-Key
	// header, scoped to the department; empty when the client sent none.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
	// RequestHash is a keyed hash of the request body, so a reused key with a
	// different body is a conflict instead of a silent replay.
	RequestHash string `json:"requestHash,omitempty"`
	// StatusSequence is the credential's position in its department's
	// Bitstring Status Lists (list = StatusSequence / 131072), drawn by the
	// gateway and allocated by the contract, which refuses a number another
	// credential of the department holds. 0 asks for no position: the
	// credential then has no W3C VC status entry (docs/decisions/0004).
	StatusSequence uint64 `json:"statusSequence,omitempty"`
	// APIKeyID is the API key the issuance was requested with, recorded in
	// the change (Change.APIKeyID); empty when there was none.
	APIKeyID string `json:"apiKeyId,omitempty"`
	// Staff is the acting member of staff's subject (Change.Staff).
	Staff string `json:"staff,omitempty"`
	// Action is ActionRenew or ActionChange for a renewal (延续) or change
	// (变更) of the credential the document renews, which the new version
	// then supersedes; empty for an issuance or a key's reissue.
	Action Action `json:"action,omitempty"`
	// Reason is the renewal's or change's reason, recorded in its Change.
	Reason string `json:"reason,omitempty"`
}

// StatusEntry is one credential of a department's status list, as the
// ledger's status index holds it: public data only.
type StatusEntry struct {
	Sequence uint64 `json:"sequence"`
	ID       string `json:"id"`
	Status   Status `json:"status"` // recorded status: valid, suspended, revoked or superseded
}

// MaxStatusSequence bounds status sequence numbers: the contract refuses
// larger ones, which leaves 2^23 lists of 131,072 entries per department.
const MaxStatusSequence = 1 << 40

// StatusSequenceTaken is the contract's answer when another credential of
// department dept already holds status sequence number seq: a conflict the
// gateway resolves by drawing another number.
func StatusSequenceTaken(dept string, seq uint64) error {
	e := Errorf(ReasonStatusSequenceTaken, "status sequence %d is taken in department %s; draw another", seq, dept)
	e.StatusSequence = seq
	return e
}

// IsStatusSequenceTaken reports whether err is StatusSequenceTaken for
// seq, as opposed to any other conflict (a serial collision, a reused
// idempotency key) or a refusal of another number.
func IsStatusSequenceTaken(err error, seq uint64) bool {
	var e *Error
	return errors.As(err, &e) && e.Reason == ReasonStatusSequenceTaken && e.StatusSequence == seq
}

// IssueResult is the outcome of an issuance. Replayed is true when the
// idempotency key had already been used with the same request: Record is
// then the first issuance's record.
type IssueResult struct {
	Record   Record `json:"record"`
	Replayed bool   `json:"replayed"`
	// Superseded is the renewed version's record after a renewal or change
	// superseded it, so backends and gateways update their copies.
	Superseded *Record `json:"superseded,omitempty"`
}

// StatusChange asks for a suspension, reinstatement or revocation.
type StatusChange struct {
	Action Action         `json:"action"`
	Reason string         `json:"reason"`
	Code   RevocationCode `json:"code,omitempty"` // revocations only
	// APIKeyID is the API key the change was requested with (Change.APIKeyID).
	APIKeyID string `json:"apiKeyId,omitempty"`
	// Staff is the acting member of staff's subject (Change.Staff).
	Staff string `json:"staff,omitempty"`
}

// TokenRotation asks for a new access token of a credential's verification
// URL (Record.TokenGeneration).
type TokenRotation struct {
	// APIKeyID is the API key the rotation was requested with (Change.APIKeyID).
	APIKeyID string `json:"apiKeyId,omitempty"`
	// Staff is the acting member of staff's subject (Change.Staff).
	Staff string `json:"staff,omitempty"`
}

// Ledger is what the gateway needs from a ledger backend. Every write is made
// as a department (its MSP ID), whose identity the backend uses; the contract
// checks authorization again from that identity.
type Ledger interface {
	// Registry returns the catalogue of departments and credential types.
	Registry(ctx context.Context) (Registry, error)
	// PutDepartment adds or replaces a department; only the governance
	// department may, except that the first governance department may
	// register itself on an empty registry.
	PutDepartment(ctx context.Context, mspID string, d Department) error
	// PutCredentialType adds or replaces a credential type (governance only).
	PutCredentialType(ctx context.Context, mspID string, t CredentialType) error
	// ServiceCatalogue keeps the service catalogue (事项目录, service.go).
	ServiceCatalogue
	// ConsentRequests keeps consent requests and receipts (授权用证, request.go).
	ConsentRequests
	// Issue records a new credential.
	Issue(ctx context.Context, mspID string, req IssueRequest) (IssueResult, error)
	// AnchorBatch records an anchored batch of credentials as mspID, the
	// issuing department (docs/decisions/0021-anchored-batches.md).
	AnchorBatch(ctx context.Context, mspID string, req AnchorRequest) (AnchorResult, error)
	// AnchorStatusNext is the first status sequence after every anchored
	// batch of department dept: where its next batch's run may start
	// (AnchorStatusBase when it has none).
	AnchorStatusNext(ctx context.Context, dept string) (uint64, error)
	// ChangeStatus suspends, reinstates or revokes a credential.
	ChangeStatus(ctx context.Context, mspID, id string, ch StatusChange) (Record, error)
	// RotateToken gives a credential a new verification URL access token.
	RotateToken(ctx context.Context, mspID, id string, r TokenRotation) (Record, error)
	// Record reads the public record of a credential.
	Record(ctx context.Context, id string) (Record, error)
	// Document reads the full signed document from private data.
	Document(ctx context.Context, mspID, id string) (Document, error)
	// History lists every change of a credential, oldest first.
	History(ctx context.Context, id string) ([]Change, error)
	// StatusSequence returns the status sequence number the contract
	// allocated to a credential (docs/decisions/0004-status-list-index.md);
	// 0 when it was issued without one.
	StatusSequence(ctx context.Context, id string) (uint64, error)
	// StatusEntries returns the credentials of department dept whose
	// sequence numbers fall in list (list*131072 onwards), from the
	// contract's status index.
	StatusEntries(ctx context.Context, dept string, list uint64) ([]StatusEntry, error)
	// CreateAPIKey records a department API key, as mspID: the key's own
	// department or the governance department.
	CreateAPIKey(ctx context.Context, mspID string, k NewAPIKey) (APIKey, error)
	// RevokeAPIKey revokes a key for good, as mspID: the key's own
	// department or the governance department.
	RevokeAPIKey(ctx context.Context, mspID string, r APIKeyRevocation) (APIKey, error)
	// APIKeys lists department dept's API keys, revoked and expired ones
	// included, oldest first; every department's when dept is empty.
	APIKeys(ctx context.Context, dept string) ([]APIKey, error)
	// CredentialsByHolder returns one page of the credentials the
	// contract's holder index lists under the query's references, current
	// versions only (docs/decisions/0012-holder-view.md).
	CredentialsByHolder(ctx context.Context, q HolderQuery) (HolderPage, error)
	// DepartmentRegister lists a department's credentials (证照台账, register.go).
	DepartmentRegister
	// CreateShare records a holder's share of a credential in the issuing
	// department's private data collection, as mspID, that department
	// (docs/decisions/0013-shares.md). Share writes travel as transient
	// data and answer only a receipt.
	CreateShare(ctx context.Context, mspID string, s NewShare) (ShareReceipt, error)
	// OpenShare records an opening, refused once the share expired or was
	// withdrawn (by the transaction's time).
	OpenShare(ctx context.Context, mspID string, o ShareOpen) (ShareReceipt, error)
	// WithdrawShare withdraws a share of the holder the request names.
	WithdrawShare(ctx context.Context, mspID string, w ShareWithdrawal) (ShareReceipt, error)
	// Share reads a share of mspID's collection.
	Share(ctx context.Context, mspID, id string) (Share, error)
	// SharesByHolder lists a holder's shares in mspID's collection, newest
	// first, at most MaxShareList.
	SharesByHolder(ctx context.Context, mspID string, q ShareQuery) ([]Share, error)
	// Close releases the backend.
	Close() error
}

// ChangeNotifier is implemented by ledgers that learn of record changes made
// by any client, not only through this process (the Fabric backend, from the
// channel's events). The gateway registers one function, called with each
// changed record; it must not block. An anchored batch's issuances are not
// reported: they change no status list, and the change feed has them.
type ChangeNotifier interface {
	NotifyChanges(fn func(Record))
}

// APIKeyNotifier is implemented by ledgers that learn of API keys created
// or revoked by any client (the Fabric backend, from the channel's events),
// so a gateway takes a revocation made elsewhere at once instead of at its
// next read. The function must not block.
type APIKeyNotifier interface {
	NotifyAPIKeyChanges(fn func(APIKey))
}
