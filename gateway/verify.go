package gateway

import (
	"context"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// verifyBody is the JSON body of POST /api/v1/verify: exactly one of a
// credential document, a presentation (a document withholding some
// claims), or the text a QR code holds (a verification URL, a bare
// identifier, or a CL1: compact payload).
type verifyBody struct {
	Document     *credential.Document `json:"document"`
	Presentation *credential.Document `json:"presentation"`
	QR           *string              `json:"qr"`
}

// What a verification URL's access token turned out to be.
const (
	tokAbsent  = "absent"
	tokValid   = "valid"
	tokInvalid = "invalid"
)

// idVerification is everything known after verifying a credential by its
// identifier (a scanned QR code or the /v/{id} page). The API and the pages
// both start from it and decide what to show: Document is always the full
// document when it could be read, so callers must disclose it only when
// Token is tokValid.
type idVerification struct {
	ID       string
	Registry credential.Registry
	Record   *credential.Record   // nil: the ledger has no such credential
	Document *credential.Document // nil: no record, or the document could not be read
	Result   credential.Verification
	Token    string // tokAbsent, tokValid or tokInvalid
	Now      time.Time
}

// verifyAnswer is the body of POST /api/v1/verify.
type verifyAnswer struct {
	Valid       bool               `json:"valid"`
	Status      credential.Status  `json:"status"`
	Checks      []credential.Check `json:"checks"`
	ID          string             `json:"id"`
	Record      *recordView        `json:"record,omitempty"`
	TxID        string             `json:"txId,omitempty"`
	BlockNumber uint64             `json:"blockNumber,omitempty"`
	Type        *typeSummary       `json:"type,omitempty"`
	Issuer      *issuerSummary     `json:"issuer,omitempty"`
	Token       string             `json:"token,omitempty"` // for QR input: absent, valid or invalid
	// QRHost is the host a QR's verification URL sends a phone to;
	// ForeignHost marks it as not a gateway of this deployment.
	QRHost      string               `json:"qrHost,omitempty"`
	ForeignHost bool                 `json:"foreignHost,omitempty"`
	Disclosed   bool                 `json:"disclosed"` // document and fields are included
	Document    *credential.Document `json:"document,omitempty"`
	Fields      []disclosedField     `json:"fields,omitempty"`
	// Presented is true for a presentation or compact payload the caller
	// sent: Fields are then the claims it discloses and Withheld the
	// schema's fields it does not (withheld, or absent from the credential).
	Presented  bool             `json:"presented,omitempty"`
	Withheld   []disclosedField `json:"withheld,omitempty"`
	VerifiedAt time.Time        `json:"verifiedAt"`
	// SupersededBy names the newer version a renewal or change replaced
	// this one with, and SupersededByURL is its verification page.
	SupersededBy    string `json:"supersededBy,omitempty"`
	SupersededByURL string `json:"supersededByUrl,omitempty"`
	// record is the record the answer was built from, for the pages;
	// unexported, so never serialized.
	record *credential.Record
}

type typeSummary struct {
	ID     string `json:"id"`
	Code   string `json:"code"`
	NameZh string `json:"nameZh"`
	NameEn string `json:"nameEn"`
}

type issuerSummary struct {
	ID     string `json:"id"`
	USCC   string `json:"uscc"`
	NameZh string `json:"nameZh"`
	NameEn string `json:"nameEn"`
}

// disclosedField is a claim with its labels, in schema order, for display.
type disclosedField struct {
	Name    string               `json:"name"`
	LabelZh string               `json:"labelZh"`
	LabelEn string               `json:"labelEn"`
	Type    credential.FieldType `json:"type"`
	Value   string               `json:"value"`
}

func (s *Server) handleVerify(c *fiber.Ctx) error {
	var body verifyBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	given := 0
	for _, present := range []bool{body.Document != nil, body.Presentation != nil, body.QR != nil} {
		if present {
			given++
		}
	}
	switch {
	case given > 1:
		return newAPIError(kindMalformed, "send one of document, presentation or qr, not several")
	case body.Document != nil:
		ans, err := s.verifyDocument(ctx, body.Document, false)
		if err != nil {
			return err
		}
		s.metrics.verifications.WithLabelValues("document", string(ans.Status)).Inc()
		return c.JSON(ans)
	case body.Presentation != nil:
		ans, err := s.verifyDocument(ctx, body.Presentation, true)
		if err != nil {
			return err
		}
		s.metrics.verifications.WithLabelValues("presentation", string(ans.Status)).Inc()
		return c.JSON(ans)
	case body.QR != nil && credential.IsCompact(*body.QR):
		doc, err := credential.DecodeCompact(*body.QR)
		if err != nil {
			return err
		}
		ans, err := s.verifyDocument(ctx, doc, true)
		if err != nil {
			return err
		}
		s.metrics.verifications.WithLabelValues("compact", string(ans.Status)).Inc()
		return c.JSON(ans)
	case body.QR != nil:
		id, token, err := parseQRText(*body.QR)
		if err != nil {
			return err
		}
		v, err := s.verifyByID(ctx, id, token)
		if err != nil {
			return err
		}
		s.metrics.verifications.WithLabelValues("qr", string(v.Result.Status)).Inc()
		ans := s.answerFor(v, v.Token == tokValid)
		ans.QRHost, ans.ForeignHost = s.qrHost(*body.QR)
		return c.JSON(ans)
	}
	return newAPIError(kindMalformed, "send {\"document\": <credential document>}, {\"presentation\": <presentation>} or {\"qr\": \"<text of the QR code>\"}")
}

// parseQRText reads the text of a by-reference QR code: a verification URL,
// or a bare identifier (status only).
func parseQRText(text string) (id, token string, err error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", "", credential.Errorf(credential.ReasonInvalidQR, "qr is empty")
	}
	if strings.HasPrefix(text, credential.IdentifierPrefix) {
		if _, err := credential.ParseIdentifier(text); err != nil {
			return "", "", credential.Errorf(credential.ReasonInvalidQR, "qr holds no valid credential identifier: %s", credential.ErrorMessage(err))
		}
		return text, "", nil
	}
	id, token, err = credential.ParseVerifyURL(text)
	if err != nil {
		return "", "", credential.Errorf(credential.ReasonInvalidQR, "qr: %s", credential.ErrorMessage(err))
	}
	return id, token, nil
}

// verifyDocument verifies a document someone presents against the registry
// and the ledger record of its identifier. presented adds the claims the
// document discloses and the schema fields it withholds to the answer: the
// caller sent them, so echoing them back discloses nothing new.
func (s *Server) verifyDocument(ctx context.Context, doc *credential.Document, presented bool) (verifyAnswer, error) {
	reg, err := s.registry.get(ctx)
	if err != nil {
		return verifyAnswer{}, err
	}
	rec, err := s.lookupRecord(ctx, doc.ID)
	if err != nil {
		return verifyAnswer{}, err
	}
	if doc.IsPresentation() {
		// A presentation withholds claims, so its reader is not the holder.
		rec = publicRecord(rec)
	}
	now := s.now()
	v := credential.Verify(credential.VerifyInput{Document: doc, Registry: reg, Record: rec, Online: true, Now: now, Location: s.cfg.TimeZone})
	ans := verifyAnswer{Valid: v.Valid, Status: v.Status, Checks: v.Checks, ID: doc.ID, Record: viewOf(rec), VerifiedAt: now, record: rec}
	s.linkSuccessor(&ans, rec)
	typeCode, issuer := doc.Type, doc.Issuer
	if rec != nil {
		typeCode, issuer = rec.Type, rec.Issuer
		ans.TxID, ans.BlockNumber = rec.IssueTxID, rec.BlockNumber
	}
	ans.Type, ans.Issuer = summaries(reg, typeCode, issuer)
	if presented {
		ans.Presented = true
		ans.Fields = labelledFields(reg, doc)
		ans.Withheld = withheldFields(reg, doc)
	}
	return ans, nil
}

// lookupRecord reads a record, nil when the ledger has none (or the text
// is not an identifier at all, which no record can have).
func (s *Server) lookupRecord(ctx context.Context, id string) (*credential.Record, error) {
	if _, err := credential.ParseIdentifier(id); err != nil {
		return nil, nil
	}
	rec, err := s.ledger.Record(ctx, id)
	if credential.ErrorReason(err) == credential.ReasonCredentialNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// verifyByID verifies the credential an identifier names: the record from
// the ledger, the document from private data (read as the issuing
// department, the collection member that holds it), and every check of
// credential.Verify. token is the verification URL's access token, or "";
// without a matching one the record carries no status reason.
func (s *Server) verifyByID(ctx context.Context, id, token string) (idVerification, error) {
	out := idVerification{ID: id, Token: tokAbsent, Now: s.now()}
	if _, err := credential.ParseIdentifier(id); err != nil {
		return out, credential.Errorf(credential.ReasonInvalidIdentifier, "%q is not a credential identifier: %s", truncate(id, 80), credential.ErrorMessage(err))
	}
	reg, err := s.registry.get(ctx)
	if err != nil {
		return out, err
	}
	out.Registry = reg
	rec, err := s.lookupRecord(ctx, id)
	if err != nil {
		return out, err
	}
	if token != "" {
		// Only the record's current token generation opens the fields; an
		// unknown identifier is checked against generation 0.
		gen := 0
		if rec != nil {
			gen = rec.TokenGeneration
		}
		out.Token = tokInvalid
		if s.tokenValid(id, gen, token) {
			out.Token = tokValid
		}
	}
	if out.Token != tokValid {
		rec = publicRecord(rec)
	}
	if rec == nil {
		out.Result = credential.Verification{Status: credential.StatusNotFound, Checks: []credential.Check{
			{Name: credential.CheckLedger, OK: false, Detail: "no record of " + id + " on the ledger"},
		}}
		return out, nil
	}
	out.Record = rec
	if dept, ok := reg.Department(rec.Issuer); ok {
		doc, err := s.ledger.Document(ctx, dept.MSPID, id)
		switch {
		case err == nil:
			out.Document = &doc
		case credential.ErrorCode(err) != credential.CodeNotFound:
			return out, err
		}
	}
	if out.Document == nil {
		out.Result = recordOnly(*rec, out.Now)
		return out, nil
	}
	out.Result = credential.Verify(credential.VerifyInput{Document: out.Document, Registry: reg, Record: rec, Online: true, Now: out.Now, Location: s.cfg.TimeZone})
	return out, nil
}

// recordOnly is the verification of a credential whose document this
// gateway cannot read: the ledger's word on status and validity, but not
// valid, since nothing binds the content to the signature.
func recordOnly(rec credential.Record, now time.Time) credential.Verification {
	st := rec.EffectiveStatus(now)
	return credential.Verification{Status: st, Record: &rec, Checks: []credential.Check{
		{Name: credential.CheckIntegrity, OK: false, Detail: "the signed document is not available to this gateway"},
		{Name: credential.CheckLedger, OK: true, Detail: "recorded in transaction " + rec.IssueTxID},
		{Name: credential.CheckStatus, OK: rec.Status == credential.StatusValid && !rec.Superseded(), Detail: string(rec.Status)},
	}}
}

// answerFor shapes an identifier verification for the API; disclose adds
// the document and its labelled fields.
func (s *Server) answerFor(v idVerification, disclose bool) verifyAnswer {
	ans := verifyAnswer{
		Valid: v.Result.Valid, Status: v.Result.Status, Checks: v.Result.Checks, ID: v.ID,
		Record: viewOf(v.Record), VerifiedAt: v.Now, record: v.Record,
	}
	s.linkSuccessor(&ans, v.Record)
	if v.Token != tokAbsent {
		ans.Token = v.Token
	}
	if v.Record != nil {
		ans.TxID, ans.BlockNumber = v.Record.IssueTxID, v.Record.BlockNumber
		ans.Type, ans.Issuer = summaries(v.Registry, v.Record.Type, v.Record.Issuer)
	}
	if disclose && v.Document != nil {
		ans.Disclosed = true
		ans.Document = v.Document
		ans.Fields = labelledFields(v.Registry, v.Document)
	}
	return ans
}

func summaries(reg credential.Registry, typeCode, issuer string) (*typeSummary, *issuerSummary) {
	var ts *typeSummary
	var is *issuerSummary
	if t, ok := reg.Type(typeCode); ok && t.Code == typeCode {
		ts = &typeSummary{ID: t.ID, Code: t.Code, NameZh: t.NameZh, NameEn: t.NameEn}
	}
	if d, ok := reg.Department(issuer); ok {
		is = &issuerSummary{ID: d.ID, USCC: d.USCC, NameZh: d.NameZh, NameEn: d.NameEn}
	}
	return ts, is
}

// withheldFields lists the schema's fields (holder first) that a
// presentation does not disclose, with empty values.
func withheldFields(reg credential.Registry, doc *credential.Document) []disclosedField {
	t, _ := reg.Type(doc.Type)
	out := []disclosedField{}
	for _, spec := range append(credential.HolderSpecs(), t.Fields...) {
		if _, ok := doc.Claim(spec.Name); !ok {
			out = append(out, disclosedField{Name: spec.Name, LabelZh: spec.LabelZh, LabelEn: spec.LabelEn, Type: spec.Type})
		}
	}
	return out
}

// labelledFields lists a document's disclosed claims in schema order
// (holder first), with the labels of the type's schema.
func labelledFields(reg credential.Registry, doc *credential.Document) []disclosedField {
	t, _ := reg.Type(doc.Type)
	specs := append(credential.HolderSpecs(), t.Fields...)
	out := []disclosedField{}
	for _, spec := range specs {
		if c, ok := doc.Claim(spec.Name); ok {
			out = append(out, disclosedField{Name: c.Name, LabelZh: spec.LabelZh, LabelEn: spec.LabelEn, Type: c.Type, Value: c.Value})
		}
	}
	return out
}

// linkSuccessor names in ans the version that superseded rec, if any.
func (s *Server) linkSuccessor(ans *verifyAnswer, rec *credential.Record) {
	if rec != nil && rec.SupersededBy != "" {
		ans.SupersededBy, ans.SupersededByURL = rec.SupersededBy, s.supersededURL(rec)
	}
}
