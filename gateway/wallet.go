package gateway

import (
	"context"
	"crypto/hmac"
	"log/slog"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
)

// The holder's view of their own credentials (docs/decisions/0012): the
// list comes from the contract's holder index, which any gateway reads; a
// document is read only as its issuing department, so only a gateway that
// holds that department's identity serves it.

// walletItem is one credential in a holder's list: public record data and
// the status derived from it, nothing from the document.
type walletItem struct {
	ID         string            `json:"id"`
	Type       *typeSummary      `json:"type"`
	Issuer     *issuerSummary    `json:"issuer"`
	Status     credential.Status `json:"status"`
	Version    int               `json:"version"`
	IssuedAt   time.Time         `json:"issuedAt"`
	ValidFrom  time.Time         `json:"validFrom"`
	ValidUntil time.Time         `json:"validUntil,omitzero"`
	// DocumentElsewhere is true when this gateway does not act as the
	// issuing department, so cannot read the document; IssuerGateway is
	// then the public URL of the gateway that does, where the holder opens
	// it (Config.DepartmentGateways), when configured.
	DocumentElsewhere bool   `json:"documentElsewhere,omitempty"`
	IssuerGateway     string `json:"issuerGateway,omitempty"`
}

// walletPage is one page of a holder's list. Next is the cursor of the
// following page, empty on the last; it names a department and a serial,
// never a holder reference.
type walletPage struct {
	Items []walletItem `json:"items"`
	Next  string       `json:"next,omitempty"`
}

// walletCredential is one of the holder's credentials in full. Document,
// Fields, VerifyURL and QRURL are set only when this gateway read the
// document: never when DocumentElsewhere.
type walletCredential struct {
	walletItem
	RevocationCode credential.RevocationCode `json:"revocationCode,omitempty"`
	// StatusReason is the issuer's reason for a suspension or revocation:
	// the holder's to read, like whoever holds the QR code's token.
	StatusReason string               `json:"statusReason,omitempty"`
	Valid        bool                 `json:"valid"`
	Checks       []credential.Check   `json:"checks,omitempty"`
	Document     *credential.Document `json:"document,omitempty"`
	Fields       []disclosedField     `json:"fields,omitempty"`
	VerifyURL    string               `json:"verifyUrl,omitempty"`
	QRURL        string               `json:"qrUrl,omitempty"`
	// record is the ledger record read for this answer, kept for the page,
	// which words the checks from it (transaction, block, dates).
	record credential.Record
}

// legacyLabel names the department-independent reference in page cursors;
// no department ID has an underscore.
const legacyLabel = "_legacy"

// holderRefSet is a holder's reference in every department of the
// registry, plus the legacy one, each with the label cursors carry.
type holderRefSet struct {
	refs    []string
	labelOf map[string]string // reference -> department ID or legacyLabel
	refOf   map[string]string // label -> reference
}

func (s *Server) holderRefSet(reg credential.Registry, h credential.Holder) holderRefSet {
	set := holderRefSet{labelOf: map[string]string{}, refOf: map[string]string{}}
	add := func(label, ref string) {
		set.refs = append(set.refs, ref)
		set.labelOf[ref], set.refOf[label] = label, ref
	}
	for _, d := range reg.Departments {
		add(d.ID, credential.HolderRef(s.secrets.HolderKey, d.ID, h.IDType, h.IDNumber))
	}
	add(legacyLabel, credential.LegacyHolderRef(s.secrets.HolderKey, h.IDType, h.IDNumber))
	return set
}

// holderCredentials returns one page of the credentials held by h, the
// signed-in holder, across every department: the newest version of each,
// with its status at this moment. after is the previous page's Next, ""
// for the first page. A page holds at most credential.MaxHolderPage items.
func (s *Server) holderCredentials(ctx context.Context, h credential.Holder, after string) (walletPage, error) {
	page := walletPage{Items: []walletItem{}}
	reg, recs, next, err := s.holderRecords(ctx, h, after)
	if err != nil {
		return page, err
	}
	now := s.now()
	page.Items = make([]walletItem, 0, len(recs))
	for _, rec := range recs {
		page.Items = append(page.Items, s.walletItemOf(reg, rec, now))
	}
	page.Next = next
	return page, nil
}

// holderRecords is holderCredentials before the view: one page of the
// records the holder index lists for h, the registry it was read with,
// and the next page's cursor (a label and a serial, never a reference).
func (s *Server) holderRecords(ctx context.Context, h credential.Holder, after string) (credential.Registry, []credential.Record, string, error) {
	reg, err := s.registry.get(ctx)
	if err != nil {
		return reg, nil, "", err
	}
	set := s.holderRefSet(reg, h)
	if len(set.refs) > credential.MaxHolderRefs {
		return reg, nil, "", credential.Errorf(credential.ReasonInternal, "the registry has %d departments; a holder query covers %d", len(reg.Departments), credential.MaxHolderRefs-1)
	}
	q := credential.HolderQuery{Refs: set.refs}
	if after != "" {
		label, serial, ok := strings.Cut(after, "/")
		ref, known := set.refOf[label]
		if !ok || !known || serial == "" {
			return reg, nil, "", credential.Errorf(credential.ReasonInvalidRequest, "the page cursor %q is not one this gateway returned", truncate(after, 80))
		}
		q.After = ref + "/" + serial
	}
	res, err := s.ledger.CredentialsByHolder(ctx, q)
	if err != nil {
		return reg, nil, "", err
	}
	next := ""
	if res.Next != "" {
		ref, serial, _ := strings.Cut(res.Next, "/")
		next = set.labelOf[ref] + "/" + serial
	}
	return reg, res.Records, next, nil
}

func (s *Server) walletItemOf(reg credential.Registry, rec credential.Record, now time.Time) walletItem {
	it := walletItem{
		ID: rec.ID, Status: credential.RecordStatus(rec, reg, now), Version: rec.Version,
		IssuedAt: rec.IssuedAt, ValidFrom: rec.ValidFrom, ValidUntil: rec.ValidUntil,
	}
	it.Type, it.Issuer = summaries(reg, rec.Type, rec.Issuer)
	if d, ok := reg.Department(rec.Issuer); ok && !s.actsAs(d.MSPID) {
		it.DocumentElsewhere, it.IssuerGateway = true, s.cfg.DepartmentGateways[d.ID]
	}
	return it
}

// actsAs reports whether this gateway's ledger can read documents as the
// department with this MSP ID.
func (s *Server) actsAs(mspID string) bool {
	scope, ok := s.ledger.(credential.IdentityScope)
	return !ok || scope.ActsAs(mspID)
}

// holderCredential returns credential id in full to h, the signed-in
// holder, only if it is theirs: its record carries h's reference for the
// issuing department (or the legacy one), and the signed document names h.
// Any other credential, and one that does not exist, is the same
// credential_not_found, so nobody learns whether someone else's exists.
// The document is read as the issuing department, on its peers; a gateway
// that does not act as it answers the record's view, DocumentElsewhere.
func (s *Server) holderCredential(ctx context.Context, h credential.Holder, id string) (walletCredential, error) {
	var out walletCredential
	if _, err := credential.ParseIdentifier(id); err != nil {
		return out, err
	}
	rec, err := s.ledger.Record(ctx, id)
	if credential.ErrorReason(err) == credential.ReasonCredentialNotFound {
		return out, notHolders(id)
	}
	if err != nil {
		return out, err
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return out, err
	}
	if !s.holdsRecord(h, rec) {
		return out, notHolders(id)
	}
	issuer, ok := reg.Department(rec.Issuer)
	if !ok {
		return out, credential.Errorf(credential.ReasonRegistryChanged, "issuer %s of %s is no longer in the registry", rec.Issuer, rec.ID)
	}
	now := s.now()
	out.walletItem = s.walletItemOf(reg, rec, now)
	out.record = rec
	out.RevocationCode, out.StatusReason = rec.RevocationCode, rec.StatusReason
	if !s.actsAs(issuer.MSPID) {
		return out, nil
	}
	doc, err := s.ledger.Document(ctx, issuer.MSPID, id)
	if credential.ErrorCode(err) == credential.CodeNotFound {
		v := recordOnly(rec, now)
		out.Checks = v.Checks
		return out, nil
	}
	if err != nil {
		return out, err
	}
	if !documentNames(doc, h, rec) {
		// The reference matched but the document names someone else: an
		// index or reference fault, never shown to anyone.
		s.log.Error("holder view: a record's holder reference matches a holder its document does not name",
			slog.String("credential", id), slog.String("issuer", rec.Issuer))
		return out, notHolders(id)
	}
	v := credential.Verify(credential.VerifyInput{Document: &doc, Registry: reg, Record: &rec, Online: true, Now: now, Location: s.cfg.TimeZone})
	out.Status, out.Valid, out.Checks = v.Status, v.Valid, v.Checks
	out.Document, out.Fields = &doc, labelledFields(reg, &doc)
	out.VerifyURL = s.verifyURL(rec, true)
	out.QRURL = s.qrURL(id) + "?t=" + s.tokenFor(id, rec.TokenGeneration)
	return out, nil
}

// holdsRecord reports whether rec carries h's reference: the one of its
// issuing department, or the legacy one of records issued before.
func (s *Server) holdsRecord(h credential.Holder, rec credential.Record) bool {
	for _, ref := range []string{
		credential.HolderRef(s.secrets.HolderKey, rec.Issuer, h.IDType, h.IDNumber),
		credential.LegacyHolderRef(s.secrets.HolderKey, h.IDType, h.IDNumber),
	} {
		if hmac.Equal([]byte(ref), []byte(rec.HolderRef)) {
			return true
		}
	}
	return false
}

// documentNames is the second check: the signed document is the record's
// and names h by ID type and number, as the reference was computed. Names
// are not compared: an identity provider may spell a name differently
// (a company renamed, a space), and the ID number is what identifies.
func documentNames(doc credential.Document, h credential.Holder, rec credential.Record) bool {
	dh, hh := doc.Holder().Normalize(), h.Normalize()
	return doc.ID == rec.ID && doc.Issuer == rec.Issuer && dh.IDType == hh.IDType &&
		strings.EqualFold(dh.IDNumber, hh.IDNumber) && dh.IDNumber != ""
}

// notHolders is the one answer for a credential that is not the holder's,
// whether or not it exists.
func notHolders(id string) error {
	return credential.Errorf(credential.ReasonCredentialNotFound, "you hold no credential %s", id)
}
