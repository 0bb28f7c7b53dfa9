package credential

import "time"

// Status is the lifecycle state recorded on the ledger.
type Status string

// Recorded statuses. Revoked is final.
const (
	StatusValid     Status = "valid"     // 有效
	StatusSuspended Status = "suspended" // 暂扣
	StatusRevoked   Status = "revoked"   // see RevocationCode for 撤销/注销/吊销
)

// Derived statuses, computed at verification time and never written.
const (
	StatusExpired     Status = "expired"       // 过期失效
	StatusNotYetValid Status = "not_yet_valid" // before validFrom
	StatusNotFound    Status = "not_found"     // no such record on the ledger
	StatusForged      Status = "forged"        // content or signature does not verify
	StatusUnknown     Status = "unknown"       // verified offline: the ledger was not consulted
	// StatusSuperseded: a renewal or change made a newer version
	// (Record.SupersededBy); derived from the record, and the status the
	// status index records for it (docs/decisions/0017).
	StatusSuperseded Status = "superseded" // 已被新版本取代
)

// RevocationCode says why a credential was revoked.
type RevocationCode string

// Revocation codes of the Chinese e-licence practice.
const (
	RevokedWithdrawn RevocationCode = "revoked"   // 撤销: withdrawn, e.g. issued in error
	RevokedCancelled RevocationCode = "cancelled" // 注销: cancelled, e.g. the holder closed the business
	RevokedPenalty   RevocationCode = "penalty"   // 吊销: revoked as a penalty
)

// ValidRevocationCode reports whether c is a known revocation code.
func ValidRevocationCode(c RevocationCode) bool {
	return c == RevokedWithdrawn || c == RevokedCancelled || c == RevokedPenalty
}

// Action is a change made to a credential record.
type Action string

// Record actions.
const (
	ActionIssue     Action = "issue"
	ActionSuspend   Action = "suspend"
	ActionReinstate Action = "reinstate"
	ActionRevoke    Action = "revoke"
	// ActionRotateToken replaces the access token of the credential's
	// verification URL; the status stays as it was.
	ActionRotateToken Action = "rotate_token"
	// ActionRenew (延续) and ActionChange (变更) record a new version of a
	// credential: the first change of its record. ActionSupersede is the
	// change they make to the version they replace.
	ActionRenew     Action = "renewed"
	ActionChange    Action = "changed"
	ActionSupersede Action = "superseded"
)

// Issues reports whether a change with action a created its record: an
// issuance (a key's reissue included), a renewal or a change.
func (a Action) Issues() bool {
	return a == ActionIssue || a == ActionRenew || a == ActionChange
}

// NewVersion reports whether a is a renewal or a change, the actions that
// supersede the version they renew.
func (a Action) NewVersion() bool { return a == ActionRenew || a == ActionChange }

// Change describes one committed change of a record: the latest is kept in
// the record itself, and the ledger's key history yields all of them.
type Change struct {
	Action Action         `json:"action"`
	Reason string         `json:"reason,omitempty"`
	Code   RevocationCode `json:"code,omitempty"`
	Actor  string         `json:"actor"` // department ID
	// APIKeyID names the department's API key the change was requested
	// with (its public ID, never the key); empty when made without one.
	APIKeyID string `json:"apiKeyId,omitempty"`
	// Staff is the identity provider's subject of the signed-in member of
	// staff who made the change (never a name, ID number or password);
	// empty when an API key or the department itself made it.
	Staff  string    `json:"staff,omitempty"`
	MSPID  string    `json:"mspId"`
	TxID   string    `json:"txId"`
	Time   time.Time `json:"time"`
	Status Status    `json:"status"` // status after the change
	// Renews is, on the first change of a new version, the identifier of
	// the version it renews; SupersededBy is, on the change that superseded
	// a version, the new version's.
	Renews       string `json:"renews,omitempty"`
	SupersededBy string `json:"supersededBy,omitempty"`
}

// Record is the public ledger entry of a credential. It holds no personal
// data: the holder appears only as a keyed reference.
type Record struct {
	ID             string         `json:"id"`
	Type           string         `json:"type"` // type code
	Issuer         string         `json:"issuer"`
	Digest         string         `json:"digest"`
	KeyID          string         `json:"kid"`
	HolderRef      string         `json:"holderRef"`
	Status         Status         `json:"status"`
	RevocationCode RevocationCode `json:"revocationCode,omitempty"`
	StatusReason   string         `json:"statusReason,omitempty"`
	IssuedAt       time.Time      `json:"issuedAt"`
	ValidFrom      time.Time      `json:"validFrom"`
	ValidUntil     time.Time      `json:"validUntil,omitzero"`
	Version        int            `json:"version"`
	Renews         string         `json:"renews,omitempty"`
	// SupersededBy names the version a renewal or change replaced this one
	// with; KeepsValidity is set when that renewal left this version valid
	// until its own end (CredentialType.RenewalKeepsPrevious).
	SupersededBy  string `json:"supersededBy,omitempty"`
	KeepsValidity bool   `json:"keepsValidity,omitempty"`
	IssueTxID     string `json:"issueTxId"`
	LastChange    Change `json:"lastChange"`
	// StatusSequence is the credential's status list position (see
	// IssueRequest.StatusSequence); 0 when it has none.
	StatusSequence uint64 `json:"statusSequence,omitempty"`
	// TokenGeneration selects the access token of the verification URL:
	// each token rotation adds one, and the old token stops working. 0, the
	// value of every record written before rotation existed, is the
	// original token, so printed QR codes stay valid until rotated.
	TokenGeneration int `json:"tokenGeneration,omitempty"`
	// Revision counts the record's committed versions: 1 at issuance, one
	// more per status change or token rotation. Copies held outside the ledger (a gateway's
	// record cache) keep the highest revision they saw, so an old copy
	// never replaces a newer one. 0 on records written before it existed.
	Revision uint64 `json:"revision,omitempty"`
	// BlockNumber of the issuing transaction. Backends fill it from the
	// ledger (block height); it is not part of contract state.
	BlockNumber uint64 `json:"blockNumber,omitempty"`
}

// EffectiveStatus derives the status a verifier sees at time now: revoked
// wins, then superseded (unless the renewal kept this version valid), then
// suspended, then the validity period decides. A kept version is
// superseded once its own period is over.
func (r Record) EffectiveStatus(now time.Time) Status {
	st := r.effectiveStatus(now)
	if r.SupersededBy != "" && st == StatusExpired {
		return StatusSuperseded
	}
	return st
}

// Superseded reports whether a newer version replaced r and r did not
// stay valid beside it.
func (r Record) Superseded() bool { return r.SupersededBy != "" && !r.KeepsValidity }

func (r Record) effectiveStatus(now time.Time) Status {
	switch {
	case r.Status == StatusRevoked:
		return r.Status
	case r.Superseded():
		return StatusSuperseded
	case r.Status != StatusValid:
		return r.Status
	case now.Before(r.ValidFrom):
		return StatusNotYetValid
	case !r.ValidUntil.IsZero() && !now.Before(r.ValidUntil):
		return StatusExpired
	}
	return StatusValid
}
