package credential

// Reason names one kind of failure within a Code, in snake_case, for
// programs to branch on (the HTTP API answers it as the problem's reason).
// Reasons are stable: one is never renamed or given another meaning.
type Reason string

// Reasons of CodeInvalid: the request is wrong and will stay wrong.
const (
	// ReasonInvalidRequest is a malformed, oversized or incomplete request
	// or argument, when no reason below says more.
	ReasonInvalidRequest Reason = "invalid_request"
	// ReasonInvalidField is a member of the request that fails its
	// validation (a holder, a field, a date); Error.Pointer locates it
	// when the check knows where it is.
	ReasonInvalidField         Reason = "invalid_field"
	ReasonUnknownType          Reason = "unknown_credential_type"
	ReasonUnknownIssuer        Reason = "unknown_issuer"
	ReasonUnknownKey           Reason = "unknown_key"
	ReasonKeyNotUsable         Reason = "key_not_usable" // retired, compromised, or outside its validity
	ReasonInvalidIdentifier    Reason = "invalid_identifier"
	ReasonInvalidDocument      Reason = "invalid_document" // the structure of a document or presentation
	ReasonInvalidSignature     Reason = "invalid_signature"
	ReasonInvalidQR            Reason = "invalid_qr" // QR text, verification URL or compact payload
	ReasonQRTooLarge           Reason = "qr_too_large"
	ReasonInvalidRegistryEntry Reason = "invalid_registry_entry"
	ReasonInvalidTrustList     Reason = "invalid_trust_list"
	ReasonInvalidVC            Reason = "invalid_vc" // a W3C VC, its proof or a status list credential
	ReasonIssuedAtSkew         Reason = "issued_at_skew"
	ReasonRenewedNotOnLedger   Reason = "renewed_credential_missing"
	ReasonInvalidStatusChange  Reason = "invalid_status_change"
	ReasonInvalidStatusList    Reason = "invalid_status_list" // a status sequence number or list out of range
	ReasonLedgerMismatch       Reason = "ledger_mismatch"     // a document that differs from its ledger record
	ReasonIssuerNotAuthorized  Reason = "issuer_not_authorized"
	ReasonNotVerified          Reason = "not_verified"
	// ReasonCompromiseBeforeKey: a key cannot be compromised before its
	// validFrom; everything it ever signed would turn forged.
	ReasonCompromiseBeforeKey Reason = "compromise_before_key"
	// ReasonRenewalNotLater: a renewal must end later than the version it
	// renews, which must have an end.
	ReasonRenewalNotLater Reason = "renewal_not_later"
	// ReasonNothingChanged: a change (变更) that changes no field and no
	// holder name.
	ReasonNothingChanged Reason = "nothing_changed"

	// ReasonHolderIDTypeNotAccepted: the credential type is not issued to
	// holders identified by that kind of ID (CredentialType.HolderIDTypes).
	ReasonHolderIDTypeNotAccepted Reason = "holder_id_type_not_accepted"

	// ReasonInvalidService: a service catalogue item that fails its
	// validation (code, names, requesters, credentials and their claims);
	// Error.Pointer locates the member.
	ReasonInvalidService Reason = "invalid_service"

	// ReasonInvalidConsent: a consent request or approval that does not
	// fit its service item (a type missing or extra, fields other than the
	// item's, an expiry or term out of bounds); Error.Pointer locates it.
	ReasonInvalidConsent Reason = "invalid_consent"

	// ReasonInvalidBatchFile: an import file the gateway cannot take as a
	// whole (its media type, its header, its encoding, too many rows);
	// problems of single rows are reported per row instead.
	ReasonInvalidBatchFile Reason = "invalid_batch_file"

	// ReasonSignInFailed: a citizen's sign-in came back in a form the
	// gateway refuses (state or nonce that does not match the one it
	// started, a code the provider would not exchange, an ID token that
	// does not verify). Starting again is the remedy.
	ReasonSignInFailed Reason = "sign_in_failed"
)

// Reasons of CodeNotFound.
const (
	ReasonCredentialNotFound Reason = "credential_not_found"
	ReasonDocumentNotFound   Reason = "document_not_found" // a record whose private document is missing
	ReasonDepartmentNotFound Reason = "department_not_found"
	ReasonKeyNotFound        Reason = "key_not_found"
	ReasonStatusListNotFound Reason = "status_list_not_found"
	ReasonAPIKeyNotFound     Reason = "api_key_not_found"
	ReasonServiceNotFound    Reason = "service_not_found" // a code the service catalogue lacks
	// ReasonShareNotFound: no share with this ID, or not the holder's.
	ReasonShareNotFound Reason = "share_not_found"
	// ReasonRequestNotFound: a consent request that does not exist or is
	// not the caller's (another department's, another holder's).
	ReasonRequestNotFound Reason = "request_not_found"
	// ReasonSubscriptionNotFound: no webhook subscription with this ID on
	// this gateway, or not the caller's; ReasonDeliveryNotFound: no such
	// delivery in its log.
	ReasonSubscriptionNotFound Reason = "subscription_not_found"
	ReasonDeliveryNotFound     Reason = "delivery_not_found"
	// ReasonWebhookURLRefused: a subscription URL that is not https or
	// points at an internal address (loopback, link-local, private).
	ReasonWebhookURLRefused Reason = "webhook_url_refused"
	// ReasonWebhooksOff: this gateway has no state folder or ledger change
	// feed, so it keeps no webhook subscriptions.
	ReasonWebhooksOff Reason = "webhooks_off"
	// ReasonBatchNotFound: no import with this ID, or another department's.
	ReasonBatchNotFound Reason = "batch_not_found"
)

// Reasons of CodeGone: the thing existed and is no more.
const (
	ReasonShareExpired   Reason = "share_expired"
	ReasonShareWithdrawn Reason = "share_withdrawn"
)

// Reasons of CodeConflict: the request clashes with the ledger's state.
const (
	ReasonDuplicateID          Reason = "duplicate_id"
	ReasonIdempotencyKeyReused Reason = "idempotency_key_reused"
	// ReasonStatusSequenceTaken carries the number in Error.StatusSequence.
	ReasonStatusSequenceTaken    Reason = "status_sequence_taken"
	ReasonCredentialRevoked      Reason = "credential_revoked"
	ReasonAlreadySuspended       Reason = "already_suspended"
	ReasonNotSuspended           Reason = "not_suspended"
	ReasonRegistryFieldImmutable Reason = "registry_field_immutable"
	ReasonKeyChangeNotAllowed    Reason = "key_change_not_allowed"
	ReasonGovernanceRoleRequired Reason = "governance_role_required"
	ReasonMSPIDTaken             Reason = "msp_id_taken"
	ReasonTypeCodeTaken          Reason = "type_code_taken"
	ReasonRegistryChanged        Reason = "registry_changed" // a credential's type or issuer left the registry
	ReasonConcurrentChange       Reason = "concurrent_change"
	// ReasonReissueNotApplicable: a new version replaces only what a
	// retired or compromised key signed.
	ReasonReissueNotApplicable Reason = "reissue_not_applicable"
	// ReasonCompromiseNotPending: there is no reported compromise of the
	// key waiting for the governance department's confirmation.
	ReasonCompromiseNotPending Reason = "compromise_not_pending"
	// ReasonAPIKeyExists: the ledger already records a key with this hash.
	ReasonAPIKeyExists         Reason = "api_key_exists"
	ReasonAPIKeyAlreadyRevoked Reason = "api_key_already_revoked"
	// ReasonLastGovernanceAPIKey: revoking the governance department's last
	// usable API key would leave no one able to create keys.
	ReasonLastGovernanceAPIKey Reason = "last_governance_api_key"
	// ReasonDocumentElsewhere: the document is read only by a gateway acting
	// as its issuing department, and this gateway does not.
	ReasonDocumentElsewhere Reason = "document_elsewhere"
	// ReasonRequestNotPending: the request was decided already (approved,
	// refused, withdrawn), or a withdrawal of a consent never given.
	ReasonRequestNotPending Reason = "request_not_pending"
	// ReasonRequestExpired: a pending request past its expiry.
	ReasonRequestExpired Reason = "request_expired"
	// ReasonConsentEnded: the consent was withdrawn or its term is over.
	ReasonConsentEnded Reason = "consent_ended"
	// ReasonCredentialNotValid: a credential offered for a consent that is
	// not valid now (suspended, revoked, expired, not yet valid).
	ReasonCredentialNotValid Reason = "credential_not_valid"
	// ReasonNotNewestVersion: only the newest version of a credential is
	// renewed, changed or has its status changed; a newer one exists.
	ReasonNotNewestVersion Reason = "not_newest_version"
)

// Reasons of CodeUnauthorized.
const (
	ReasonMissingAPIKey   Reason = "missing_api_key"
	ReasonInvalidAPIKey   Reason = "invalid_api_key"
	ReasonAPIKeyExpired   Reason = "api_key_expired"  // a recorded key past its expiry
	ReasonAPIKeyRevoked   Reason = "api_key_revoked"  // a recorded key its department or governance revoked
	ReasonUnknownIdentity Reason = "unknown_identity" // the contract cannot read the caller's identity
	// ReasonNotSignedIn: a citizen's request without a session cookie.
	ReasonNotSignedIn Reason = "not_signed_in"
	// ReasonSessionExpired: a session cookie that is past its idle or
	// absolute expiry, was ended by signing out, or does not open.
	ReasonSessionExpired Reason = "session_expired"
)

// Reasons of CodeForbidden.
const (
	ReasonNotIssuer            Reason = "not_issuer" // another department issued the credential
	ReasonNotAuthorizedForType Reason = "not_authorized_for_type"
	ReasonIssuerMismatch       Reason = "issuer_mismatch" // issuing in another department's name
	ReasonNotGovernance        Reason = "not_governance"
	ReasonUnknownDepartment    Reason = "unknown_department" // the caller is no registered department
	ReasonNotKeyOwner          Reason = "not_key_owner"
	ReasonInvalidToken         Reason = "invalid_token" // a verification URL token that does not fit
	ReasonEndorsementMissing   Reason = "endorsement_missing"
	// ReasonCrossOrigin: a state-changing request carrying the session
	// cookie whose Origin header is missing or names another site.
	ReasonCrossOrigin Reason = "cross_origin_request"
	// ReasonIdentityClaims: the identity provider signed the citizen in,
	// but its ID token lacks a usable ID type, ID number or name.
	ReasonIdentityClaims Reason = "identity_claims_invalid"
	// ReasonNotServiceRequester: the department is not among the service
	// item's requesters.
	ReasonNotServiceRequester Reason = "not_service_requester"
	// ReasonRoleRequired: the member of staff or API key lacks the staff
	// role the endpoint needs (clerk, approver or admin).
	ReasonRoleRequired Reason = "role_required"
	// ReasonStaffClaims: the identity provider signed someone in at the
	// console, but the ID token names no department of the registry, no
	// known staff role, or a subject that cannot be recorded.
	ReasonStaffClaims Reason = "staff_claims_invalid"
)

// Reasons of CodeInternal. Clients see the reason, never the message.
const (
	ReasonInternal      Reason = "internal"
	ReasonLedgerFailure Reason = "ledger_failure"
)

// Reasons of CodeUnavailable: try the same request again later.
const (
	// ReasonLedgerUnavailable: no peer or orderer took the request, or the
	// ledger did not confirm it in time (its outcome may still be decided).
	ReasonLedgerUnavailable Reason = "ledger_unavailable"
	// ReasonLedgerClosed: the gateway is shutting down.
	ReasonLedgerClosed Reason = "ledger_closed"
)

// reasonCodes gives every reason its code; a test checks that each
// Reason constant is here.
var reasonCodes = map[Reason]Code{
	ReasonInvalidRequest:       CodeInvalid,
	ReasonInvalidField:         CodeInvalid,
	ReasonUnknownType:          CodeInvalid,
	ReasonUnknownIssuer:        CodeInvalid,
	ReasonUnknownKey:           CodeInvalid,
	ReasonKeyNotUsable:         CodeInvalid,
	ReasonInvalidIdentifier:    CodeInvalid,
	ReasonInvalidDocument:      CodeInvalid,
	ReasonInvalidSignature:     CodeInvalid,
	ReasonInvalidQR:            CodeInvalid,
	ReasonQRTooLarge:           CodeInvalid,
	ReasonInvalidRegistryEntry: CodeInvalid,
	ReasonInvalidTrustList:     CodeInvalid,
	ReasonInvalidVC:            CodeInvalid,
	ReasonIssuedAtSkew:         CodeInvalid,
	ReasonRenewedNotOnLedger:   CodeInvalid,
	ReasonInvalidStatusChange:  CodeInvalid,
	ReasonInvalidStatusList:    CodeInvalid,
	ReasonLedgerMismatch:       CodeInvalid,
	ReasonIssuerNotAuthorized:  CodeInvalid,
	ReasonNotVerified:          CodeInvalid,
	ReasonCompromiseBeforeKey:  CodeInvalid,
	ReasonRenewalNotLater:      CodeInvalid,
	ReasonNothingChanged:       CodeInvalid,
	ReasonSignInFailed:         CodeInvalid,

	ReasonHolderIDTypeNotAccepted: CodeInvalid,
	ReasonInvalidService:          CodeInvalid,
	ReasonInvalidConsent:          CodeInvalid,
	ReasonInvalidBatchFile:        CodeInvalid,

	ReasonCredentialNotFound: CodeNotFound,
	ReasonDocumentNotFound:   CodeNotFound,
	ReasonDepartmentNotFound: CodeNotFound,
	ReasonKeyNotFound:        CodeNotFound,
	ReasonStatusListNotFound: CodeNotFound,
	ReasonAPIKeyNotFound:     CodeNotFound,
	ReasonServiceNotFound:    CodeNotFound,
	ReasonShareNotFound:      CodeNotFound,
	ReasonBatchNotFound:      CodeNotFound,

	ReasonShareExpired:    CodeGone,
	ReasonShareWithdrawn:  CodeGone,
	ReasonRequestNotFound: CodeNotFound,

	ReasonSubscriptionNotFound: CodeNotFound,
	ReasonDeliveryNotFound:     CodeNotFound,
	ReasonWebhookURLRefused:    CodeInvalid,
	ReasonWebhooksOff:          CodeUnavailable,

	ReasonDuplicateID:            CodeConflict,
	ReasonIdempotencyKeyReused:   CodeConflict,
	ReasonStatusSequenceTaken:    CodeConflict,
	ReasonCredentialRevoked:      CodeConflict,
	ReasonAlreadySuspended:       CodeConflict,
	ReasonNotSuspended:           CodeConflict,
	ReasonRegistryFieldImmutable: CodeConflict,
	ReasonKeyChangeNotAllowed:    CodeConflict,
	ReasonGovernanceRoleRequired: CodeConflict,
	ReasonMSPIDTaken:             CodeConflict,
	ReasonTypeCodeTaken:          CodeConflict,
	ReasonRegistryChanged:        CodeConflict,
	ReasonConcurrentChange:       CodeConflict,
	ReasonReissueNotApplicable:   CodeConflict,
	ReasonCompromiseNotPending:   CodeConflict,
	ReasonAPIKeyExists:           CodeConflict,
	ReasonAPIKeyAlreadyRevoked:   CodeConflict,
	ReasonLastGovernanceAPIKey:   CodeConflict,
	ReasonDocumentElsewhere:      CodeConflict,
	ReasonRequestNotPending:      CodeConflict,
	ReasonRequestExpired:         CodeConflict,
	ReasonNotNewestVersion:       CodeConflict,
	ReasonConsentEnded:           CodeConflict,
	ReasonCredentialNotValid:     CodeConflict,

	ReasonMissingAPIKey:   CodeUnauthorized,
	ReasonInvalidAPIKey:   CodeUnauthorized,
	ReasonAPIKeyExpired:   CodeUnauthorized,
	ReasonAPIKeyRevoked:   CodeUnauthorized,
	ReasonUnknownIdentity: CodeUnauthorized,
	ReasonNotSignedIn:     CodeUnauthorized,
	ReasonSessionExpired:  CodeUnauthorized,

	ReasonNotIssuer:            CodeForbidden,
	ReasonNotAuthorizedForType: CodeForbidden,
	ReasonIssuerMismatch:       CodeForbidden,
	ReasonNotGovernance:        CodeForbidden,
	ReasonUnknownDepartment:    CodeForbidden,
	ReasonNotKeyOwner:          CodeForbidden,
	ReasonInvalidToken:         CodeForbidden,
	ReasonEndorsementMissing:   CodeForbidden,
	ReasonCrossOrigin:          CodeForbidden,
	ReasonRoleRequired:         CodeForbidden,
	ReasonStaffClaims:          CodeForbidden,
	ReasonIdentityClaims:       CodeForbidden,
	ReasonNotServiceRequester:  CodeForbidden,

	ReasonInternal:      CodeInternal,
	ReasonLedgerFailure: CodeInternal,

	ReasonLedgerUnavailable: CodeUnavailable,
	ReasonLedgerClosed:      CodeUnavailable,
}

// Code returns the code r belongs to; CodeInternal for a reason this
// build does not know.
func (r Reason) Code() Code {
	if c, ok := reasonCodes[r]; ok {
		return c
	}
	return CodeInternal
}
