package gateway

import (
	"time"

	"github.com/certledger/certledger/credential"
)

// recordView is a ledger record as public answers serialize it. Its members
// are listed, not embedded, so what credential.Record gains reaches the
// public only when added here: never the holder reference, which links a
// holder's credentials for whoever holds the key (docs/decisions/0010).
type recordView struct {
	ID             string                    `json:"id"`
	Type           string                    `json:"type"`
	Issuer         string                    `json:"issuer"`
	Digest         string                    `json:"digest"`
	KeyID          string                    `json:"kid"`
	Status         credential.Status         `json:"status"`
	RevocationCode credential.RevocationCode `json:"revocationCode,omitempty"`
	StatusReason   string                    `json:"statusReason,omitempty"`
	IssuedAt       time.Time                 `json:"issuedAt"`
	ValidFrom      time.Time                 `json:"validFrom"`
	ValidUntil     time.Time                 `json:"validUntil,omitzero"`
	Version        int                       `json:"version"`
	Renews         string                    `json:"renews,omitempty"`
	SupersededBy   string                    `json:"supersededBy,omitempty"`
	KeepsValidity  bool                      `json:"keepsValidity,omitempty"`
	IssueTxID      string                    `json:"issueTxId"`
	LastChange     changeView                `json:"lastChange"`
	StatusSequence uint64                    `json:"statusSequence,omitempty"`
	Revision       uint64                    `json:"revision,omitempty"`
	BlockNumber    uint64                    `json:"blockNumber,omitempty"`
}

// changeView is a record's last change as public answers serialize it,
// listed for the same reason as recordView.
type changeView struct {
	Action credential.Action         `json:"action"`
	Reason string                    `json:"reason,omitempty"`
	Code   credential.RevocationCode `json:"code,omitempty"`
	Actor  string                    `json:"actor"`
	MSPID  string                    `json:"mspId"`
	TxID   string                    `json:"txId"`
	Time   time.Time                 `json:"time"`
	Status credential.Status         `json:"status"`
	// Renews and SupersededBy link a renewal or change and the version it
	// superseded.
	Renews       string `json:"renews,omitempty"`
	SupersededBy string `json:"supersededBy,omitempty"`
}

// viewOf is the public view of rec; nil for nil. Whether the status reason
// is shown is decided before, by publicRecord.
func viewOf(rec *credential.Record) *recordView {
	if rec == nil {
		return nil
	}
	c := rec.LastChange
	return &recordView{
		ID: rec.ID, Type: rec.Type, Issuer: rec.Issuer, Digest: rec.Digest, KeyID: rec.KeyID,
		Status: rec.Status, RevocationCode: rec.RevocationCode, StatusReason: rec.StatusReason,
		IssuedAt: rec.IssuedAt, ValidFrom: rec.ValidFrom, ValidUntil: rec.ValidUntil,
		Version: rec.Version, Renews: rec.Renews, SupersededBy: rec.SupersededBy, KeepsValidity: rec.KeepsValidity, IssueTxID: rec.IssueTxID,
		LastChange: changeView{Action: c.Action, Reason: c.Reason, Code: c.Code, Actor: c.Actor, MSPID: c.MSPID,
			TxID: c.TxID, Time: c.Time, Status: c.Status, Renews: c.Renews, SupersededBy: c.SupersededBy},
		StatusSequence: rec.StatusSequence, Revision: rec.Revision, BlockNumber: rec.BlockNumber,
	}
}
