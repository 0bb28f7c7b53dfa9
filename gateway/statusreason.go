package gateway

import "github.com/certledger/certledger/credential"

// publicRecord is a record as anyone may read it: status, revocation code
// and the time of the last change, without the free-text reason, which may
// accuse the holder ("涉嫌虚假登记…") and is for whoever holds the credential.
func publicRecord(rec *credential.Record) *credential.Record {
	if rec == nil {
		return nil
	}
	out := *rec
	out.StatusReason = ""
	out.LastChange.Reason = ""
	return &out
}
