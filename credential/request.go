package credential

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"
	"unicode/utf8"
)

// Consent requests (授权用证): a department asks a holder for the claims a
// service item (事项) needs, the holder approves or refuses, and the
// decision is the receipt on the ledger. Public state only: a request names
// its holder by a reference keyed per service, never by name or number
// (docs/decisions/0015-consent-requests.md).

// RequestStatus is where a consent request stands.
type RequestStatus string

// Request statuses. Expired is never written: a pending request past its
// ExpiresAt reads as expired (ConsentRequest.StatusAt), as a credential's
// expiry is computed, not recorded.
const (
	RequestPending   RequestStatus = "pending"
	RequestApproved  RequestStatus = "approved"
	RequestRefused   RequestStatus = "refused"
	RequestExpired   RequestStatus = "expired"
	RequestWithdrawn RequestStatus = "withdrawn"
)

// DecisionAction is what a holder decides about a request.
type DecisionAction string

// Holder decisions.
const (
	DecisionApprove  DecisionAction = "approve"
	DecisionRefuse   DecisionAction = "refuse"
	DecisionWithdraw DecisionAction = "withdraw"
)

// Bounds of consent requests.
const (
	DefaultRequestExpiry   = 24 * time.Hour
	MaxRequestExpiry       = 7 * 24 * time.Hour
	DefaultConsentTermDays = 30
	MaxConsentTermDays     = 365
	// MaxRequestPurpose bounds the purpose text, in characters.
	MaxRequestPurpose = 200
	// MaxRecentReads bounds the proof-read times a request keeps; Reads
	// counts them all.
	MaxRecentReads = 10
	// MaxRequestPage bounds the requests of one page.
	MaxRequestPage = 100
	// MaxRequestRefs bounds the references of one holder query: one per
	// service item of the catalogue.
	MaxRequestRefs = 512
)

// ConsentRequest is a request record as public state holds it.
type ConsentRequest struct {
	// ID is random, drawn by the gateway (ValidRequestID).
	ID      string `json:"id"`
	Service string `json:"service"`
	// Requester is the requesting department's ID.
	Requester string `json:"requester"`
	// Purpose is the department's short note, never personal data.
	Purpose   string        `json:"purpose,omitempty"`
	Status    RequestStatus `json:"status"`
	CreatedAt time.Time     `json:"createdAt"`
	// ExpiresAt ends a pending request: it can no longer be decided.
	ExpiresAt time.Time `json:"expiresAt"`
	// TermDays is the consent's term from approval.
	TermDays int `json:"termDays"`
	// HolderRef is RequestHolderRef of the holder for Service; empty on a
	// counter request until its holder decides.
	HolderRef string `json:"holderRef,omitempty"`

	// Set by a decision.
	DecidedAt    time.Time           `json:"decidedAt,omitzero"`
	Credentials  []ConsentCredential `json:"credentials,omitempty"`
	ConsentUntil time.Time           `json:"consentUntil,omitzero"`
	WithdrawnAt  time.Time           `json:"withdrawnAt,omitzero"`
	// DecisionTxID is the transaction of the latest decision, which wrote
	// its receipt.
	DecisionTxID string `json:"decisionTxId,omitempty"`

	// Reads counts the presentations the requester fetched; RecentReads
	// keeps the last MaxRecentReads of their times, oldest first.
	Reads       int         `json:"reads"`
	RecentReads []time.Time `json:"recentReads,omitempty"`
}

// ConsentCredential is one credential an approval discloses: its type (ID),
// identifier, and the claims disclosed, exactly the service's for the type.
type ConsentCredential struct {
	Type   string   `json:"type"`
	ID     string   `json:"id"`
	Fields []string `json:"fields"`
}

// StatusAt is the request's status at now: a pending request past its
// expiry is expired.
func (r ConsentRequest) StatusAt(now time.Time) RequestStatus {
	if r.Status == RequestPending && !now.Before(r.ExpiresAt) {
		return RequestExpired
	}
	return r.Status
}

// ConsentActive reports whether the requester may read the approved
// presentations at now: approved, not withdrawn, within the term.
func (r ConsentRequest) ConsentActive(now time.Time) bool {
	return r.Status == RequestApproved && now.Before(r.ConsentUntil)
}

// NewConsentRequest is what a department asks the contract to record.
type NewConsentRequest struct {
	ID        string    `json:"id"`
	Service   string    `json:"service"`
	Purpose   string    `json:"purpose,omitempty"`
	ExpiresAt time.Time `json:"expiresAt"`
	TermDays  int       `json:"termDays"`
	HolderRef string    `json:"holderRef,omitempty"`
}

// RequestDecision is a holder's decision, submitted by the governance
// department's portal that signed the holder in.
type RequestDecision struct {
	ID     string         `json:"id"`
	Action DecisionAction `json:"action"`
	// HolderRef is the deciding holder's RequestHolderRef for the
	// request's service: it must be the request's, or binds a counter
	// request.
	HolderRef string `json:"holderRef"`
	// Credentials are the approval's, one per type the service needs,
	// with the service's fields as the holder was shown them.
	Credentials []ConsentCredential `json:"credentials,omitempty"`
}

// Receipt is the ledger's account of one decision: what was consented to
// (or refused, or withdrawn), by whom and when. No name, ID number or
// field value.
type Receipt struct {
	Request      string              `json:"request"`
	Service      string              `json:"service"`
	Requester    string              `json:"requester"`
	Decision     RequestStatus       `json:"decision"` // approved, refused or withdrawn
	At           time.Time           `json:"at"`
	TxID         string              `json:"txId"`
	TermDays     int                 `json:"termDays"`
	ConsentUntil time.Time           `json:"consentUntil,omitzero"`
	HolderRef    string              `json:"holderRef"`
	Credentials  []ConsentCredential `json:"credentials,omitempty"`
}

// RequestHolderQuery asks for the requests addressed to one holder: Refs
// are the holder's RequestHolderRef for each service of the catalogue.
type RequestHolderQuery struct {
	Refs  []string `json:"refs"`
	After string   `json:"after,omitempty"`
	Limit int      `json:"limit,omitempty"`
}

// RequestDeptQuery asks for one department's requests, newest first.
type RequestDeptQuery struct {
	Dept  string `json:"dept"`
	After string `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// RequestPage is one page of requests; Next is empty on the last.
type RequestPage struct {
	Requests []ConsentRequest `json:"requests"`
	Next     string           `json:"next,omitempty"`
}

// ReceiptQuery asks for the receipts decided in [From, To), oldest first.
type ReceiptQuery struct {
	From  time.Time `json:"from,omitzero"`
	To    time.Time `json:"to,omitzero"`
	After string    `json:"after,omitempty"`
	Limit int       `json:"limit,omitempty"`
}

// ReceiptPage is one page of receipts.
type ReceiptPage struct {
	Receipts []Receipt `json:"receipts"`
	Next     string    `json:"next,omitempty"`
}

// ConsentRequests is the part of Ledger that keeps consent requests.
type ConsentRequests interface {
	// CreateRequest records a request as mspID, a requester of the service.
	CreateRequest(ctx context.Context, mspID string, r NewConsentRequest) (ConsentRequest, error)
	// DecideRequest records a holder's decision as mspID (governance);
	// requesterMSP is the requesting department's, whose peers endorse too.
	DecideRequest(ctx context.Context, mspID, requesterMSP string, d RequestDecision) (ConsentRequest, error)
	// RecordProofRead counts one fetch of the presentations, as mspID (the
	// requester); govMSP's peers endorse too.
	RecordProofRead(ctx context.Context, mspID, govMSP, id string) (ConsentRequest, error)
	// Request reads one request.
	Request(ctx context.Context, id string) (ConsentRequest, error)
	// RequestsByHolder and RequestsByDept page through the indexes.
	RequestsByHolder(ctx context.Context, q RequestHolderQuery) (RequestPage, error)
	RequestsByDept(ctx context.Context, q RequestDeptQuery) (RequestPage, error)
	// Receipts pages through the decisions, oldest first.
	Receipts(ctx context.Context, q ReceiptQuery) (ReceiptPage, error)
}

// requestHolderRefDomain separates these references from HolderRef's and
// from every other HMAC of the holder key.
const requestHolderRefDomain = "certledger.request-holder-ref.v1"

// RequestHolderRef is the reference a consent request for service carries
// for its holder. The service code is in the HMAC input, so one holder's
// requests for two services cannot be linked by reference, nor to the
// references of their credentials' records.
func RequestHolderRef(key []byte, service, idType, idNumber string) string {
	in := appendLP(nil, requestHolderRefDomain)
	in = appendLP(in, service)
	in = appendLP(in, idType)
	in = appendLP(in, normalizedIDNumber(idNumber))
	m := hmac.New(sha256.New, key)
	m.Write(in)
	return hex.EncodeToString(m.Sum(nil))
}

// ValidRequestID reports whether s can be a request's ID: 32 lower-case hex
// digits (128 random bits).
func ValidRequestID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ValidPurpose reports whether a request's purpose is acceptable: at most
// MaxRequestPurpose characters of valid UTF-8 without control characters.
func ValidPurpose(s string) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxRequestPurpose {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// RequestNotFound is the one answer for a request the caller may not see,
// whether or not it exists.
func RequestNotFound(id string) error {
	return Errorf(ReasonRequestNotFound, "there is no request %s for you", clip(id))
}
