package credential

// CheckRenewal is the rule for any credential that renews prev: a revoked
// credential has nothing left to renew, and only the newest version is
// renewed. A suspended one may be renewed, but
// the renewal carries the suspension (the contract records it so).
func CheckRenewal(prev Record) error {
	if prev.Status == StatusRevoked {
		return Errorf(ReasonCredentialRevoked, "credential %s is revoked; a revoked credential is never renewed or reissued", prev.ID)
	}
	return CheckNewestVersion(prev)
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

// CheckNewestVersion is the rule for a renewal or change of prev, and for
// a status change that only the newest version takes: no renewal or
// change has superseded prev yet. (That a record of the next version
// exists at all, say from a key's reissue, the contract checks on the
// ledger.)
func CheckNewestVersion(prev Record) error {
	if prev.SupersededBy != "" {
		return Errorf(ReasonNotNewestVersion, "credential %s was superseded by %s; only the newest version is renewed or changed", prev.ID, prev.SupersededBy)
	}
	return nil
}

// CheckNewVersionContent is the rule for the document next that renews
// (ActionRenew) or changes (ActionChange) the document prev: the same
// type, issuer, serial and holder ID, version + 1. A renewal keeps every
// claim and the start of the validity, and ends later than prev, which
// must have an end; a change keeps the validity and the holder's ID, and
// changes at least one claim (the holder's name is one). The gateway
// builds documents that pass; the contract checks them again.
func CheckNewVersionContent(action Action, prev, next *Document) error {
	pid, err := ParseIdentifier(prev.ID)
	if err != nil {
		return err
	}
	nid, err := ParseIdentifier(next.ID)
	if err != nil {
		return err
	}
	if next.Type != prev.Type || next.Issuer != prev.Issuer || nid.Serial != pid.Serial || nid.Version != pid.Version+1 ||
		next.Version != prev.Version+1 || next.Renews != prev.ID {
		return Errorf(ReasonInvalidDocument, "%s is not the next version of %s", next.ID, prev.ID)
	}
	ph, nh := prev.Holder(), next.Holder()
	if ph.IDType != nh.IDType || ph.IDNumber != nh.IDNumber {
		return Errorf(ReasonInvalidDocument, "a new version of %s has the same holder ID; only the name may change", prev.ID)
	}
	same := sameClaims(prev.Claims, next.Claims)
	switch action {
	case ActionRenew:
		if !same || !next.ValidFrom.Equal(prev.ValidFrom) {
			return Errorf(ReasonInvalidDocument, "a renewal of %s keeps its content and start; a change changes content", prev.ID)
		}
		if prev.ValidUntil.IsZero() {
			return Errorf(ReasonRenewalNotLater, "credential %s has no expiry, so there is nothing to renew", prev.ID)
		}
		if !next.ValidUntil.After(prev.ValidUntil) {
			return Errorf(ReasonRenewalNotLater, "a renewal of %s must end after its current end", prev.ID)
		}
	case ActionChange:
		if !next.ValidFrom.Equal(prev.ValidFrom) || !next.ValidUntil.Equal(prev.ValidUntil) {
			return Errorf(ReasonInvalidDocument, "a change of %s keeps its validity period; a renewal extends it", prev.ID)
		}
		if same {
			return Errorf(ReasonNothingChanged, "the change of %s changes no field and not the holder's name", prev.ID)
		}
	default:
		return Errorf(ReasonInvalidRequest, "action %q is neither %s nor %s", action, ActionRenew, ActionChange)
	}
	return nil
}

// sameClaims reports whether a and b hold the same names, types and
// values, salts aside.
func sameClaims(a, b []Claim) bool {
	if len(a) != len(b) {
		return false
	}
	m := make(map[string]Claim, len(a))
	for _, c := range a {
		m[c.Name] = c
	}
	for _, c := range b {
		o, ok := m[c.Name]
		if !ok || o.Type != c.Type || o.Value != c.Value {
			return false
		}
	}
	return true
}
