package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"github.com/certledger/certledger/credential"
)

// webhookEvents are the events a subscription may name, each derived from
// the action of a record's change. A renewal or change is the new
// version's first change; the predecessor's "superseded" is no event of
// its own, since the new version's event names what it renews.
var webhookEvents = map[credential.Action]string{
	credential.ActionIssue:     "issued",
	credential.ActionSuspend:   "suspended",
	credential.ActionReinstate: "reinstated",
	credential.ActionRevoke:    "revoked",
	credential.ActionRenew:     "renewed",
	credential.ActionChange:    "changed",
}

func knownWebhookEvent(e string) bool {
	for _, v := range webhookEvents {
		if v == e {
			return true
		}
	}
	return false
}

// webhookBody is a delivery's JSON body, in the Standard Webhooks shape:
// a type, a timestamp and the data. No personal data: the holder appears
// nowhere, and the status reason's text only for the issuing department.
type webhookBody struct {
	Type      string      `json:"type"`
	Timestamp time.Time   `json:"timestamp"`
	Data      webhookData `json:"data"`
}

type webhookData struct {
	Event          string                    `json:"event"`
	CredentialID   string                    `json:"credentialId"`
	CredentialType string                    `json:"credentialType"` // type code
	Issuer         string                    `json:"issuer"`         // department ID
	Status         credential.Status         `json:"status"`
	Time           time.Time                 `json:"time"`
	TransactionID  string                    `json:"transactionId"`
	Block          uint64                    `json:"block"`
	ReasonCode     credential.RevocationCode `json:"reasonCode,omitempty"`
	StatusReason   string                    `json:"statusReason,omitempty"`
}

// webhookMatch reports the event a record change means for sub, if any.
func webhookMatch(sub webhookSub, rec credential.Record) (string, bool) {
	ev, ok := webhookEvents[rec.LastChange.Action]
	if !ok || !slices.Contains(sub.Events, ev) {
		return "", false
	}
	if !sub.All && rec.Issuer != sub.Dept {
		return "", false
	}
	if len(sub.Types) > 0 && !slices.Contains(sub.Types, rec.Type) {
		return "", false
	}
	return ev, true
}

// newWebhookDelivery builds the delivery of one change to sub.
func newWebhookDelivery(sub webhookSub, ev string, rec credential.Record, pos credential.FeedPosition, now time.Time) webhookDelivery {
	ch := rec.LastChange
	txID := ch.TxID
	if txID == "" {
		txID = pos.TxID
	}
	data := webhookData{Event: ev, CredentialID: rec.ID, CredentialType: rec.Type, Issuer: rec.Issuer, Status: rec.Status,
		Time: ch.Time.UTC(), TransactionID: txID, Block: pos.Block, ReasonCode: ch.Code}
	if sub.Dept == rec.Issuer {
		data.StatusReason = ch.Reason
	}
	body, _ := json.Marshal(webhookBody{Type: "credential." + ev, Timestamp: ch.Time.UTC(), Data: data})
	// The same change gives the same message ID, so a receiver can drop
	// the repeats at-least-once delivery brings.
	h := sha256.Sum256([]byte(sub.ID + "\x00" + txID + "\x00" + rec.ID))
	return webhookDelivery{MessageID: "msg_" + hex.EncodeToString(h[:12]), Event: ev, CredentialID: rec.ID, TxID: txID,
		Body: body, State: deliveryPending, Created: now}
}
