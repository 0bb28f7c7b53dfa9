package credential

import "time"

// CheckCompromiseTime refuses a compromise, recorded or requested, dated
// before the key's validFrom: the key signed nothing then, and such a date
// would turn everything it ever signed into a forgery.
func (k Key) CheckCompromiseTime() error {
	if k.Status == KeyCompromised && k.CompromisedAt.Before(k.ValidFrom) {
		return Errorf(ReasonCompromiseBeforeKey, "key %s cannot be compromised at %s, before its validFrom %s",
			k.ID, k.CompromisedAt.UTC().Format(time.RFC3339Nano), k.ValidFrom.UTC().Format(time.RFC3339Nano))
	}
	if r := k.CompromiseRequest; r != nil && r.CompromisedAt.Before(k.ValidFrom) {
		return Errorf(ReasonCompromiseBeforeKey, "key %s cannot be reported compromised at %s, before its validFrom %s",
			k.ID, r.CompromisedAt.UTC().Format(time.RFC3339Nano), k.ValidFrom.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// validateCompromiseRequest checks the pending request of k, if any.
func (k Key) validateCompromiseRequest() error {
	r := k.CompromiseRequest
	switch {
	case r == nil:
		return nil
	case k.Status == KeyCompromised:
		return Errorf(ReasonInvalidRegistryEntry, "key %s is compromised and cannot have a pending compromise request", k.ID)
	case r.CompromisedAt.IsZero() || r.RequestedAt.IsZero() || r.Reason == "" || !slugRE.MatchString(r.RequestedBy):
		return Errorf(ReasonInvalidRegistryEntry, "key %s: a compromise request needs a time, a reason, the requesting department and when it asked", k.ID)
	}
	return nil
}
