package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
)

// A holder's shares (docs/decisions/0013-shares.md): a link to the fields of
// one credential a service needs, kept in the issuing department's private
// data collection. Only a gateway acting as that department creates, lists,
// withdraws or serves them, as it alone reads the document.

// shareRequest is the body of POST /api/v1/me/shares.
type shareRequest struct {
	Credential string   `json:"credential"`
	Fields     []string `json:"fields"`
	Purpose    string   `json:"purpose"`
	ExpiresIn  int64    `json:"expiresIn"`
}

// shareView is a share as its holder sees it: never a field's value.
type shareView struct {
	ID          string                    `json:"id"`
	URL         string                    `json:"url"`
	QRURL       string                    `json:"qrUrl"`
	Credential  string                    `json:"credential"`
	Type        *typeSummary              `json:"type"`
	Issuer      *issuerSummary            `json:"issuer"`
	Fields      []string                  `json:"fields"`
	Purpose     string                    `json:"purpose"`
	CreatedAt   time.Time                 `json:"createdAt"`
	ExpiresAt   time.Time                 `json:"expiresAt"`
	WithdrawnAt time.Time                 `json:"withdrawnAt,omitzero"`
	State       credential.ShareState     `json:"state"`
	OpenCount   int                       `json:"openCount"`
	Openings    []credential.ShareOpening `json:"openings"`
}

// shareURL is the public link of a share: its ID only, no personal data.
func (s *Server) shareURL(id string) string { return s.cfg.PublicURL + "/s/" + id }

func (s *Server) shareViewOf(reg credential.Registry, sh credential.Share, now time.Time) shareView {
	v := shareView{
		ID: sh.ID, URL: s.shareURL(sh.ID), QRURL: s.shareURL(sh.ID) + "/qr.png", Credential: sh.Credential,
		Fields: nonNil(sh.Fields), Purpose: sh.Purpose, CreatedAt: sh.CreatedAt, ExpiresAt: sh.ExpiresAt,
		WithdrawnAt: sh.WithdrawnAt, State: sh.State(now), OpenCount: sh.OpenCount, Openings: nonNil(sh.Openings),
	}
	v.Type, v.Issuer = summaries(reg, sh.Type, sh.Issuer)
	return v
}

// createShare records a share of one of h's credentials, as its issuing
// department. The credential must be h's (404 credential_not_found
// otherwise, as in holderCredential), its document readable here
// (409 document_elsewhere otherwise), the fields claims it discloses.
func (s *Server) createShare(ctx context.Context, h credential.Holder, r shareRequest) (shareView, error) {
	var out shareView
	if _, err := credential.ParseIdentifier(r.Credential); err != nil {
		return out, err
	}
	life, err := credential.ShareExpiry(r.ExpiresIn)
	if err != nil {
		return out, err
	}
	if err := credential.CheckSharePurpose(r.Purpose); err != nil {
		return out, err
	}
	rec, err := s.ledger.Record(ctx, r.Credential)
	if credential.ErrorReason(err) == credential.ReasonCredentialNotFound {
		return out, notHolders(r.Credential)
	}
	if err != nil {
		return out, err
	}
	if !s.holdsRecord(h, rec) {
		return out, notHolders(r.Credential)
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return out, err
	}
	issuer, ok := reg.Department(rec.Issuer)
	if !ok {
		return out, credential.Errorf(credential.ReasonRegistryChanged, "issuer %s of %s is no longer in the registry", rec.Issuer, rec.ID)
	}
	if !s.actsAs(issuer.MSPID) {
		return out, s.documentElsewhere(issuer)
	}
	doc, err := s.ledger.Document(ctx, issuer.MSPID, rec.ID)
	if err != nil {
		return out, err
	}
	if !documentNames(doc, h, rec) {
		return out, notHolders(r.Credential)
	}
	if err := credential.CheckShareFields(&doc, r.Fields); err != nil {
		return out, err
	}
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return out, err
	}
	req := credential.NewShare{ID: credential.ShareID(issuer.ID, random), Credential: rec.ID, HolderRef: rec.HolderRef,
		Fields: r.Fields, Purpose: r.Purpose, ExpiresIn: int64(life / time.Second)}
	rc, err := s.ledger.CreateShare(ctx, issuer.MSPID, req)
	if err != nil {
		return out, err
	}
	sh := credential.Share{ID: req.ID, Credential: rec.ID, Type: rec.Type, Issuer: rec.Issuer, HolderRef: rec.HolderRef,
		Fields: r.Fields, Purpose: r.Purpose, CreatedAt: rc.CreatedAt, ExpiresAt: rc.ExpiresAt}
	return s.shareViewOf(reg, sh, s.now()), nil
}

// holderShares lists h's shares, newest first, from the collection of every
// department this gateway acts as (at most credential.MaxShareList in all).
// Shares kept by departments it does not act as are not listed: only
// their gateways can read them.
func (s *Server) holderShares(ctx context.Context, h credential.Holder) ([]shareView, error) {
	out := []shareView{}
	shares, reg, err := s.holderShareRecords(ctx, h)
	if err != nil {
		return out, err
	}
	now := s.now()
	for _, sh := range shares {
		out = append(out, s.shareViewOf(reg, sh, now))
	}
	return out, nil
}

// holderShareRecords reads h's shares as the ledger keeps them, newest
// first, with the registry they were read against. The activity feed reads
// its share_created, share_opened and share_withdrawn events from these:
// CreatedAt, each of Openings (the most recent credential.MaxShareOpenings;
// OpenCount counts all) and WithdrawnAt.
func (s *Server) holderShareRecords(ctx context.Context, h credential.Holder) ([]credential.Share, credential.Registry, error) {
	reg, err := s.registry.get(ctx)
	if err != nil {
		return nil, reg, err
	}
	legacy := credential.LegacyHolderRef(s.secrets.HolderKey, h.IDType, h.IDNumber)
	var all []credential.Share
	for _, d := range reg.Departments {
		if !s.actsAs(d.MSPID) || !d.HasRole(credential.RoleIssuer) {
			continue
		}
		ref := credential.HolderRef(s.secrets.HolderKey, d.ID, h.IDType, h.IDNumber)
		got, err := s.ledger.SharesByHolder(ctx, d.MSPID, credential.ShareQuery{Refs: []string{ref, legacy}})
		if err != nil {
			return nil, reg, err
		}
		all = append(all, got...)
	}
	slices.SortFunc(all, func(a, b credential.Share) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return all[:min(len(all), credential.MaxShareList)], reg, nil
}

// withdrawShare withdraws one of h's shares; anyone else's, like one that
// does not exist, is share_not_found. Withdrawing twice is no error.
func (s *Server) withdrawShare(ctx context.Context, h credential.Holder, id string) (shareView, error) {
	var out shareView
	sh, reg, issuer, err := s.holdersShare(ctx, h, id)
	if err != nil {
		return out, err
	}
	rc, err := s.ledger.WithdrawShare(ctx, issuer.MSPID, credential.ShareWithdrawal{ID: id, HolderRef: sh.HolderRef})
	if err != nil {
		return out, err
	}
	sh.WithdrawnAt = rc.WithdrawnAt
	return s.shareViewOf(reg, sh, s.now()), nil
}

// holdersShare reads share id for h: only a share whose reference is h's
// for its department (or the legacy one), read as that department.
func (s *Server) holdersShare(ctx context.Context, h credential.Holder, id string) (credential.Share, credential.Registry, credential.Department, error) {
	sh, reg, issuer, err := s.readShare(ctx, id)
	if err != nil {
		return sh, reg, issuer, err
	}
	for _, ref := range []string{
		credential.HolderRef(s.secrets.HolderKey, sh.Issuer, h.IDType, h.IDNumber),
		credential.LegacyHolderRef(s.secrets.HolderKey, h.IDType, h.IDNumber),
	} {
		if hmac.Equal([]byte(ref), []byte(sh.HolderRef)) {
			return sh, reg, issuer, nil
		}
	}
	return credential.Share{}, reg, issuer, notShare(id)
}

// readShare reads share id from the collection of the department its ID
// names. A gateway that does not act as that department cannot, and says
// where the share lives (document_elsewhere).
func (s *Server) readShare(ctx context.Context, id string) (credential.Share, credential.Registry, credential.Department, error) {
	var (
		sh     credential.Share
		issuer credential.Department
	)
	deptID, err := credential.ShareIssuer(id)
	if err != nil {
		return sh, credential.Registry{}, issuer, err
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return sh, reg, issuer, err
	}
	issuer, ok := reg.Department(deptID)
	if !ok {
		return sh, reg, issuer, notShare(id)
	}
	if !s.actsAs(issuer.MSPID) {
		return sh, reg, issuer, s.documentElsewhere(issuer)
	}
	sh, err = s.ledger.Share(ctx, issuer.MSPID, id)
	if err != nil {
		return sh, reg, issuer, err
	}
	if sh.ID != id || sh.Issuer != issuer.ID {
		return credential.Share{}, reg, issuer, notShare(id)
	}
	return sh, reg, issuer, nil
}

func notShare(id string) error {
	return credential.Errorf(credential.ReasonShareNotFound, "no share %s", truncate(id, 80))
}

// documentElsewhere is the answer of a gateway that does not act as the
// issuing department, naming the gateway that does when configured.
func (s *Server) documentElsewhere(d credential.Department) error {
	if u := s.cfg.DepartmentGateways[d.ID]; u != "" {
		return credential.Errorf(credential.ReasonDocumentElsewhere, "only the gateway of %s reads its documents: %s", d.ID, u)
	}
	return credential.Errorf(credential.ReasonDocumentElsewhere, "only the gateway of %s reads its documents", d.ID)
}

// sharePathPrefixes are the paths that carry a share ID. Whoever holds the
// ID opens the share, so logs keep only its department part.
var sharePathPrefixes = []string{"/s/", "/api/v1/me/shares/"}

// redactSharePath replaces the random part of a share ID in a logged path.
func redactSharePath(path string) string {
	for _, p := range sharePathPrefixes {
		if len(path) > len(p) && strings.EqualFold(path[:len(p)], p) {
			rest := path[len(p):]
			seg, tail, _ := strings.Cut(rest, "/")
			if tail != "" || strings.HasSuffix(rest, "/") {
				tail = "/" + tail
			}
			dept, _, _ := strings.Cut(seg, ".")
			return path[:len(p)] + truncate(dept, 32) + ".…" + tail
		}
	}
	return path
}

// openedShare is a share opened for a reader: the opening recorded, its
// fields presented and verified.
type openedShare struct {
	share        credential.Share
	reg          credential.Registry
	presentation *credential.Document
	answer       verifyAnswer
	info         sharedInfo
}

// openShare opens share id for whoever holds its link: refused once expired
// or withdrawn (410), and shown only after the ledger recorded the opening.
// An opening that cannot be recorded shows nothing (503): the holder is
// told of every reading. by is the department that identified itself, if
// any.
func (s *Server) openShare(ctx context.Context, id, by string) (openedShare, error) {
	var o openedShare
	sh, reg, issuer, err := s.readShare(ctx, id)
	if err != nil {
		return o, err
	}
	if err := sh.CheckOpen(s.now()); err != nil {
		return o, err
	}
	if _, err := s.ledger.OpenShare(ctx, issuer.MSPID, credential.ShareOpen{ID: id, By: by}); err != nil {
		switch credential.ErrorCode(err) {
		case credential.CodeGone, credential.CodeNotFound:
			return o, err
		}
		s.log.Error("share not shown: "+errOpenUnrecorded.Error(), slog.String("issuer", issuer.ID), slog.String("error", err.Error()))
		return o, newAPIError(kindLedgerTimeout, "%s; try again later", errOpenUnrecorded)
	}
	doc, err := s.ledger.Document(ctx, issuer.MSPID, sh.Credential)
	if err != nil {
		return o, err
	}
	p, err := doc.Present(sh.Fields)
	if err != nil {
		return o, err
	}
	ans, err := s.verifyDocument(ctx, p, true)
	if err != nil {
		return o, err
	}
	sh.OpenCount++
	o = openedShare{share: sh, reg: reg, presentation: p, answer: ans,
		info: sharedInfo{ID: sh.ID, Purpose: sh.Purpose, ExpiresAt: sh.ExpiresAt.UTC().Format(time.RFC3339), Fields: nonNil(sh.Fields)}}
	return o, nil
}
