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
)

// Change describes one committed change of a record: the latest is kept in
// the record itself, and the ledger's key history yields all of them.
type Change struct {
	Action Action         `json:"action"`
	Reason string         `json:"reason,omitempty"`
	Code   RevocationCode `json:"code,omitempty"`
	Actor  string         `json:"actor"` // department ID
	// APIKeyID names the department's API key the change was requested
	// with (its public ID, never the key); empty when made without one.
	APIKeyID string    `json:"apiKeyId,omitempty"`
	MSPID    string    `json:"mspId"`
	TxID     string    `json:"txId"`
	Time     time.Time `json:"time"`
	Status   Status    `json:"status"` // status after the change
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
	IssueTxID      string         `json:"issueTxId"`
	LastChange     Change         `json:"lastChange"`
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
// and suspended win, then the validity period decides.
func (r Record) EffectiveStatus(now time.Time) Status {
	switch {
	case r.Status != StatusValid:
		return r.Status
	case now.Before(r.ValidFrom):
		return StatusNotYetValid
	case !r.ValidUntil.IsZero() && !now.Before(r.ValidUntil):
		return StatusExpired
	}
	return StatusValid
}
