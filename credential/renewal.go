package credential

// CheckRenewal is the rule for any credential that renews prev: a revoked
// credential has nothing left to renew. A suspended one may be renewed, but
// the renewal carries the suspension (the contract records it so).
func CheckRenewal(prev Record) error {
	if prev.Status == StatusRevoked {
		return Errorf(ReasonCredentialRevoked, "credential %s is revoked; a revoked credential is never renewed or reissued", prev.ID)
	}
	return nil
}

// CheckReissue is the rule for a new version of prev (same serial, version
// + 1), issued by its department issuer: CheckRenewal, and prev was signed
// with a retired or compromised key. While that key is active the new
// version would only be a second valid copy.
func CheckReissue(prev Record, issuer Department) error {
	if err := CheckRenewal(prev); err != nil {
		return err
	}
	k, ok := issuer.Key(prev.KeyID)
	if !ok {
		return Errorf(ReasonUnknownKey, "key %q of credential %s is not registered for %s", prev.KeyID, prev.ID, issuer.ID)
	}
	if k.Status == KeyActive {
		return Errorf(ReasonReissueNotApplicable, "credential %s is signed with key %s, which is still active: a new version replaces only what a retired or compromised key signed", prev.ID, k.ID)
	}
	return nil
}
