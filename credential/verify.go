package credential

import (
	"time"
)

// Check names reported by Verify, in the order they run.
const (
	CheckIntegrity = "integrity"
	CheckSignature = "signature"
	CheckIssuer    = "issuer"
	CheckLedger    = "ledger"
	CheckStatus    = "status"
	CheckValidity  = "validity"
)

// Check is the outcome of one verification step. Reason names what failed,
// for a check that failed on an error (a page words it in its language);
// a check that fails for its status or validity period has none.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Reason Reason `json:"reason,omitempty"`
}

// Verification is the answer to "is this credential good?".
type Verification struct {
	Valid  bool    `json:"valid"`
	Status Status  `json:"status"`
	Checks []Check `json:"checks"`
	Record *Record `json:"record,omitempty"`
}

// VerifyInput gathers what Verify needs. Record is nil when the ledger has no
// record for the document's identifier; Online is false for offline
// verification, where the ledger was not consulted at all.
type VerifyInput struct {
	Document *Document
	Registry Registry
	Record   *Record
	Online   bool
	Now      time.Time
	// Location is the deployment's time zone, in which the details of the
	// checks state times (nil: UTC).
	Location *time.Location
}

// Verify runs every check on a document and derives its status. It never
// stops at the first failure, so a verifier sees everything that is wrong.
func Verify(in VerifyInput) Verification {
	v := Verification{Record: in.Record}
	add := func(name string, err error, okDetail string) bool {
		c := Check{Name: name, OK: err == nil, Detail: okDetail}
		if err != nil {
			c.Detail, c.Reason = ErrorMessage(err), ErrorReason(err)
		}
		v.Checks = append(v.Checks, c)
		return err == nil
	}
	d := in.Document
	if d == nil {
		d = &Document{}
	}
	_, _, structErr := d.CheckStructure(in.Registry, len(d.Hidden) == 0)
	// Issuer and type come straight from the registry: CheckStructure stops
	// at the first problem (say a bad identifier) and then returns them
	// empty, which would wrongly report a registered issuer as unknown.
	dept, _ := in.Registry.Department(d.Issuer)
	t, ok := in.Registry.Type(d.Type)
	if !ok || t.Code != d.Type {
		t = CredentialType{}
	}

	integrityOK := add(CheckIntegrity, firstErr(structErr, d.CheckIntegrity()), "every field matches the signed digest")

	sigErr := func() error {
		if dept.ID == "" {
			return Errorf(ReasonUnknownIssuer, "issuer %q is not in the registry", d.Issuer)
		}
		k, ok := dept.Key(d.Proof.KeyID)
		if !ok {
			return Errorf(ReasonUnknownKey, "key %q is not registered for %s", d.Proof.KeyID, dept.ID)
		}
		pub, err := k.Ed25519()
		if err != nil {
			return err
		}
		if err := d.CheckSignature(pub); err != nil {
			return err
		}
		return k.AcceptsSignatureAt(d.IssuedAt)
	}()
	signatureOK := add(CheckSignature, sigErr, "signed by "+dept.NameEn+" ("+dept.NameZh+") with key "+d.Proof.KeyID)

	issuerErr := func() error {
		if t.ID == "" || dept.ID == "" {
			return Errorf(ReasonUnknownIssuer, "issuer or type is not in the registry")
		}
		if !t.AuthorizesIssuer(dept.ID) {
			return Errorf(ReasonIssuerNotAuthorized, "%s is not authorized to issue %s", dept.ID, t.ID)
		}
		return nil
	}()
	issuerOK := add(CheckIssuer, issuerErr, dept.NameEn+" is authorized to issue "+t.NameEn)

	forged := !integrityOK || !signatureOK
	if !in.Online {
		v.Checks = append(v.Checks,
			Check{Name: CheckLedger, OK: false, Detail: "not checked offline: status unknown until verified online"},
			Check{Name: CheckStatus, OK: false, Detail: "unknown offline: suspension or revocation needs the ledger"})
		validityOK := addValidity(&v, d.ValidFrom, d.ValidUntil, in.Now, in.Location)
		switch {
		case forged || !issuerOK:
			v.Status = StatusForged
		case !validityOK && in.Now.Before(d.ValidFrom):
			v.Status = StatusNotYetValid
		case !validityOK:
			v.Status = StatusExpired
		default:
			v.Status = StatusUnknown
		}
		// An offline answer is never a final "valid": revocation needs the ledger.
		v.Valid = false
		return v
	}

	r := in.Record
	ledgerErr := func() error {
		if r == nil {
			return Errorf(ReasonCredentialNotFound, "no record of %s on the ledger", d.ID)
		}
		if r.Digest != d.Proof.Digest {
			return Errorf(ReasonLedgerMismatch, "the ledger records a different digest for %s", d.ID)
		}
		if r.Issuer != d.Issuer || r.Type != d.Type {
			return Errorf(ReasonLedgerMismatch, "the ledger records a different issuer or type")
		}
		if r.KeyID != "" && r.KeyID != d.Proof.KeyID {
			return Errorf(ReasonLedgerMismatch, "the ledger records a different signing key for %s", d.ID)
		}
		return nil
	}()
	ledgerDetail := ""
	if r != nil {
		ledgerDetail = "recorded in transaction " + r.IssueTxID
	}
	ledgerOK := add(CheckLedger, ledgerErr, ledgerDetail)

	switch {
	case forged || !issuerOK:
		// Same rule as offline: a department issuing a type it is not
		// authorized for is not a valid issuer, whatever the ledger holds.
		v.Status = StatusForged
	case r == nil:
		v.Status = StatusNotFound
	case !ledgerOK:
		v.Status = StatusForged
	default:
		v.Status = r.EffectiveStatus(in.Now)
	}
	statusOK := r != nil && r.Status == StatusValid && !r.Superseded()
	statusDetail := "valid"
	if r != nil && r.Status != StatusRevoked && r.Superseded() {
		// A renewal or change replaced it: the verifier needs the new one.
		statusDetail = "superseded by " + r.SupersededBy
	} else if r != nil && r.Status != StatusValid {
		statusDetail = string(r.Status)
		if r.RevocationCode != "" {
			statusDetail += " (" + string(r.RevocationCode) + ")"
		}
		if r.StatusReason != "" {
			statusDetail += ": " + r.StatusReason
		}
	} else if r == nil {
		statusDetail = "no ledger record"
	}
	v.Checks = append(v.Checks, Check{Name: CheckStatus, OK: statusOK, Detail: statusDetail})
	from, until := d.ValidFrom, d.ValidUntil
	if r != nil {
		from, until = r.ValidFrom, r.ValidUntil
	}
	validityOK := addValidity(&v, from, until, in.Now, in.Location)
	v.Valid = integrityOK && signatureOK && issuerOK && ledgerOK && statusOK && validityOK
	return v
}

func addValidity(v *Verification, from, until, now time.Time, loc *time.Location) bool {
	c := Check{Name: CheckValidity, OK: true}
	switch {
	case now.Before(from):
		c.OK, c.Detail = false, "not valid before "+FormatTime(from, loc)
	case !until.IsZero() && !now.Before(until):
		c.OK, c.Detail = false, "expired at "+FormatTime(until, loc)
	case until.IsZero():
		c.Detail = "valid from " + FormatTime(from, loc) + ", no expiry"
	default:
		c.Detail = "valid from " + FormatTime(from, loc) + " until " + FormatTime(until, loc)
	}
	v.Checks = append(v.Checks, c)
	return c.OK
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
