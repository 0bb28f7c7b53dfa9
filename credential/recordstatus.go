package credential

import "time"

// RecordStatus is the status Verify derives for a credential at time now,
// from its public record and the registry alone: forged when the registry
// no longer backs the issuer, its authority for the type or the signing key
// at issuance (a key compromised before then), otherwise the record's
// EffectiveStatus. Without the document it cannot check the content: a
// holder's list of credentials uses it, the full verification needs Verify.
func RecordStatus(rec Record, reg Registry, now time.Time) Status {
	dept, ok := reg.Department(rec.Issuer)
	if !ok {
		return StatusForged
	}
	if t, ok := reg.Type(rec.Type); !ok || t.Code != rec.Type || !t.AuthorizesIssuer(dept.ID) {
		return StatusForged
	}
	// Records written before they named the key leave it to Verify.
	if rec.KeyID != "" {
		k, ok := dept.Key(rec.KeyID)
		if !ok || k.AcceptsSignatureAt(rec.IssuedAt) != nil {
			return StatusForged
		}
	}
	return rec.EffectiveStatus(now)
}
