package gateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/gofiber/fiber/v2"
)

// Idempotency headers. A replayed answer is the first issuance's answer,
// marked so a client can tell it did not create anything new.
const (
	HeaderIdempotencyKey    = "Idempotency-Key"
	HeaderIdempotentReplay  = "Idempotent-Replayed"
	maxIdempotencyHeaderLen = 255
)

// issueBody is the JSON body of POST /api/v1/credentials.
type issueBody struct {
	Type   string             `json:"type"` // type ID or type code
	Holder *credential.Holder `json:"holder"`
	// Fields are strings, or JSON numbers for number fields.
	Fields     map[string]json.RawMessage `json:"fields"`
	ValidFrom  string                     `json:"validFrom,omitempty"`
	ValidUntil string                     `json:"validUntil,omitempty"`
}

// credentialAnswer is the body of a successful issuance and of GET
// /api/v1/credentials/{id}.
type credentialAnswer struct {
	ID        string               `json:"id"`
	Document  *credential.Document `json:"document"`
	VerifyURL string               `json:"verifyUrl"`
	QRURL     string               `json:"qrUrl"`
	Record    *credential.Record   `json:"record,omitempty"`
}

// issueInput is a validated issuance request.
type issueInput struct {
	Type       credential.CredentialType
	Holder     credential.Holder
	Fields     map[string]string
	ValidFrom  time.Time
	ValidUntil time.Time
}

func (s *Server) handleIssue(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	idemHeader := c.Get(HeaderIdempotencyKey)
	if err := checkIdempotencyHeader(idemHeader, c.Request().Header.Peek(HeaderIdempotencyKey) != nil); err != nil {
		return err
	}
	var body issueBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	reg, err := s.registry.get(ctx)
	if err != nil {
		return err
	}
	if _, known := reg.Type(strings.TrimSpace(body.Type)); !known && body.Type != "" {
		// Registered since the cache was filled? Only authenticated
		// departments get here, so this cannot be used to flood the ledger.
		if reg, err = s.registry.fresh(ctx); err != nil {
			return err
		}
	}
	in, err := parseIssueBody(reg, dept, body, s.cfg.TimeZone)
	if err != nil {
		return err
	}
	key, err := s.signingKey(dept)
	if err != nil {
		return err
	}
	req := credential.IssueRequest{HolderRef: credential.HolderRef(s.secrets.HolderKey, dept.ID, in.Holder.IDType, in.Holder.IDNumber)}
	req.APIKeyID, req.Staff = actingKey(c), actingStaff(c)
	if idemHeader != "" {
		req.IdempotencyKey = s.keyedHash("certledger.idempotency-key.v1", dept.ID, []byte(idemHeader))
		req.RequestHash = s.keyedHash("certledger.issue-request.v1", dept.ID, in.canonical())
	}
	doc, rec, replayed, err := s.issue(ctx, dept, key, in, req)
	if err != nil {
		return err
	}
	outcome := "issued"
	if replayed {
		outcome = "replayed"
		c.Set(HeaderIdempotentReplay, "true")
	}
	s.metrics.issuances.WithLabelValues(in.Type.ID, outcome).Inc()
	c.Location("/api/v1/credentials/" + doc.ID)
	return c.Status(fiber.StatusCreated).JSON(credentialAnswer{
		ID: doc.ID, Document: doc, VerifyURL: s.verifyURL(rec, true), QRURL: s.qrURL(doc.ID), Record: &rec,
	})
}

// issue builds, signs and records a credential, retrying with a fresh
// serial if the ledger already holds the identifier. When the ledger says
// the idempotency key was used before, it answers the first credential.
func (s *Server) issue(ctx context.Context, dept credential.Department, key keystore.SigningKey, in issueInput, req credential.IssueRequest) (*credential.Document, credential.Record, bool, error) {
	var lastErr error
	for attempt := 0; attempt < s.cfg.IssueAttempts; attempt++ {
		doc, err := credential.Issue(credential.IssueParams{
			Type: in.Type, Issuer: dept, Holder: in.Holder, Fields: in.Fields,
			ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil, IssuedAt: s.now(),
		}, key.KeyID, key.Private)
		if err != nil {
			return nil, credential.Record{}, false, err
		}
		req.Document = *doc
		res, err := s.ledgerIssue(ctx, dept, req)
		if err != nil {
			// A serial collision is drawn again; any other conflict (a
			// reused idempotency key) is the client's to see.
			if credential.ErrorReason(err) == credential.ReasonDuplicateID {
				lastErr = err
				continue
			}
			// The registry this gateway read lists the key, but the peer
			// that endorsed has not committed it yet: wait for it there.
			if credential.ErrorReason(err) == credential.ReasonUnknownKey && attempt+1 < s.cfg.IssueAttempts {
				lastErr = err
				if werr := sleepCtx(ctx, time.Duration(attempt+1)*keyLagWait); werr != nil {
					return nil, credential.Record{}, false, err
				}
				continue
			}
			return nil, credential.Record{}, false, err
		}
		if !res.Replayed {
			return doc, res.Record, false, nil
		}
		first, err := s.ledger.Document(ctx, dept.MSPID, res.Record.ID)
		if err != nil {
			return nil, credential.Record{}, false, fmt.Errorf("reading the first issuance %s of a replayed request: %w", res.Record.ID, err)
		}
		return &first, res.Record, true, nil
	}
	return nil, credential.Record{}, false, lastErr
}

// keyLagWait is the first pause before an issuance refused for a key the
// endorsing peer does not know yet is tried again; a peer of another
// department commits the key's block a moment after the one that
// confirmed it.
const keyLagWait = 200 * time.Millisecond

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// signingKey picks the key a department's new credentials are signed with:
// the registry's newest active key that this gateway holds.
func (s *Server) signingKey(dept credential.Department) (keystore.SigningKey, error) {
	k, ok := activeSigningKey(dept, s.keys, s.now())
	if !ok {
		return k, newAPIError(kindUnavailable, "this gateway holds no signing key that the registry lists as active for department %s", dept.ID)
	}
	return k, nil
}

// activeSigningKey returns the newest of dept's registered active keys
// valid at now whose private half keys holds.
func activeSigningKey(dept credential.Department, keys Secrets, now time.Time) (keystore.SigningKey, bool) {
	var best keystore.SigningKey
	var bestFrom time.Time
	for _, k := range keys.SigningKeys(dept.ID) {
		rk, ok := dept.Key(k.KeyID)
		if !ok || rk.Status != credential.KeyActive || !rk.CoversTime(now) || rk.PublicKey != k.PublicBase64() {
			continue
		}
		if best.KeyID == "" || rk.ValidFrom.After(bestFrom) {
			best, bestFrom = k, rk.ValidFrom
		}
	}
	return best, best.KeyID != ""
}

// keyedHash is an HMAC under the gateway's idempotency key, scoped to a
// purpose and a department, in base64url (what the contract accepts).
func (s *Server) keyedHash(purpose, deptID string, data []byte) string {
	m := s.idempotencyMAC()
	var n [20]byte
	for _, part := range [][]byte{[]byte(purpose), []byte(deptID), data} {
		m.Write(append(strconv.AppendInt(n[:0], int64(len(part)), 10), ':'))
		m.Write(part)
	}
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0]))
}

// idempotencyMAC is a fresh HMAC under the gateway's idempotency key,
// cloned from one keyed at start when it can be: keying hashes a block.
func (s *Server) idempotencyMAC() hash.Hash {
	if c, ok := s.idemMAC.(hash.Cloner); ok {
		if m, err := c.Clone(); err == nil {
			return m
		}
	}
	return hmac.New(sha256.New, s.secrets.IdempotencyKey)
}

// canonical encodes the validated request deterministically (json.Marshal
// sorts map keys), so a retry with the same content hashes the same
// however the client ordered or formatted its JSON. It is written without
// the reflecting encoder, byte for byte what json.Marshal writes: an
// import computes it for every row.
func (in issueInput) canonical() []byte {
	b := make([]byte, 0, 512)
	b = append(b, `{"type":`...)
	b = credential.AppendJSONString(b, in.Type.ID)
	b = append(b, `,"holder":{"name":`...)
	b = credential.AppendJSONString(b, in.Holder.Name)
	b = append(b, `,"idType":`...)
	b = credential.AppendJSONString(b, in.Holder.IDType)
	b = append(b, `,"idNumber":`...)
	b = credential.AppendJSONString(b, in.Holder.IDNumber)
	b = append(b, `},"fields":`...)
	if in.Fields == nil {
		b = append(b, "null"...)
	} else {
		names := make([]string, 0, len(in.Fields))
		for name := range in.Fields {
			names = append(names, name)
		}
		slices.Sort(names)
		b = append(b, '{')
		for i, name := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = credential.AppendJSONString(b, name)
			b = append(b, ':')
			b = credential.AppendJSONString(b, in.Fields[name])
		}
		b = append(b, '}')
	}
	b = append(b, `,"validFrom":`...)
	b = credential.AppendJSONString(b, formatOptTime(in.ValidFrom))
	b = append(b, `,"validUntil":`...)
	b = credential.AppendJSONString(b, formatOptTime(in.ValidUntil))
	return append(b, '}')
}

func formatOptTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func checkIdempotencyHeader(v string, present bool) error {
	if !present {
		return nil
	}
	if v == "" || len(v) > maxIdempotencyHeaderLen {
		return newAPIError(kindMalformed, "the %s header must be 1-%d characters", HeaderIdempotencyKey, maxIdempotencyHeaderLen)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return newAPIError(kindMalformed, "the %s header must be printable ASCII without spaces", HeaderIdempotencyKey)
		}
	}
	return nil
}

// parseIssueBody validates an issuance request against the registry and
// collects every field problem, so a form can mark all of them at once.
// The domain's credential.Issue validates again when it builds the
// document; this pass only exists to report everything, not just the first.
// Plain dates are days in loc, the deployment's time zone.
func parseIssueBody(reg credential.Registry, dept credential.Department, b issueBody, loc *time.Location) (issueInput, error) {
	var probs []FieldProblem
	add := func(pointer, format string, args ...any) {
		probs = append(probs, FieldProblem{Pointer: pointer, Detail: fmt.Sprintf(format, args...)})
	}
	var in issueInput
	t, ok := reg.Type(strings.TrimSpace(b.Type))
	switch {
	case strings.TrimSpace(b.Type) == "":
		add("#/type", "type is required (%s)", typeIDs(reg))
	case !ok:
		add("#/type", "unknown credential type %q; known types: %s", truncate(b.Type, 64), typeIDs(reg))
	case !t.AuthorizesIssuer(dept.ID):
		return in, credential.Errorf(credential.ReasonNotAuthorizedForType, "department %s is not authorized to issue %s", dept.ID, t.ID)
	}
	in.Type = t

	if b.Holder == nil {
		add("#/holder", "holder is required: an object with name, idType and idNumber")
	} else {
		in.Holder = b.Holder.Normalize()
		if err := in.Holder.Validate(); err != nil {
			add(holderPointer(err), "%s", credential.ErrorMessage(err))
		} else if err := t.CheckHolderIDType(in.Holder.IDType); ok && err != nil {
			// Its own reason, like an unauthorized type: another holder
			// is needed, not a corrected field.
			return in, holderIDTypeRefused(err)
		}
	}

	in.Fields = map[string]string{}
	names := make([]string, 0, len(b.Fields))
	for name := range b.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v, present, err := fieldText(b.Fields[name])
		switch {
		case err != nil:
			add("#/fields/"+pointerEscape(name), "field %s %s", truncate(name, 64), err.Error())
		case ok && !hasField(t, name):
			add("#/fields/"+pointerEscape(name), "field %s is not part of type %s", truncate(name, 64), t.ID)
		case present:
			in.Fields[name] = v
		}
	}
	if ok {
		for _, f := range t.Fields {
			v, present := in.Fields[f.Name]
			if !present || strings.TrimSpace(v) == "" {
				if f.Required {
					add("#/fields/"+f.Name, "required field %s is missing", f.Name)
				}
				continue
			}
			if _, err := credential.NormalizeValue(f, v); err != nil {
				add("#/fields/"+f.Name, "%s", credential.ErrorMessage(err))
			}
		}
	}

	var err error
	if in.ValidFrom, err = parseTime(b.ValidFrom, loc, credential.DayStart); err != nil {
		add("#/validFrom", "validFrom %s", err.Error())
	}
	if in.ValidUntil, err = parseTime(b.ValidUntil, loc, credential.DayEnd); err != nil {
		add("#/validUntil", "validUntil %s", err.Error())
	}
	if !in.ValidFrom.IsZero() && !in.ValidUntil.IsZero() && !in.ValidUntil.After(in.ValidFrom) {
		add("#/validUntil", "validUntil must be after validFrom")
	}
	if len(probs) > 0 {
		return in, invalidFields(probs)
	}
	return in, nil
}

func hasField(t credential.CredentialType, name string) bool {
	_, ok := t.Field(name)
	return ok
}

// fieldText accepts a JSON string, or a JSON number as its literal text;
// null means absent.
func fieldText(raw json.RawMessage) (string, bool, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", false, nil
	case raw[0] == '"':
		if s, ok := plainJSONString(raw); ok {
			return s, true, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, fmt.Errorf("is not a valid JSON string")
		}
		return s, true, nil
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", false, fmt.Errorf("is not a valid JSON number")
		}
		return n.String(), true, nil
	}
	return "", false, fmt.Errorf("must be a string or a number")
}

// plainJSONString reads a JSON string without escapes, as every cell of a
// CSV or XLSX import is, without the decoder: the same string it would
// give, or false to leave the string to it.
func plainJSONString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(body) {
		return "", false // the decoder replaces invalid bytes
	}
	return string(body), true
}

// parseTime accepts an RFC 3339 time, the instant it names, or a
// YYYY-MM-DD date, a day in loc bounded as bound says (credential.ParseTime).
func parseTime(s string, loc *time.Location, bound credential.DayBound) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	t, err := credential.ParseTime(s, loc, bound)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be an RFC 3339 time (2026-01-02T15:04:05+08:00) or a date (2026-01-02), got %q", truncate(s, 40))
	}
	return t.UTC(), nil
}

// holderIDTypeRefused is the 400 of a holder whose ID type the credential
// type does not accept, pointing at holder.idType.
func holderIDTypeRefused(err error) *apiError {
	msg := credential.ErrorMessage(err)
	return &apiError{kind: codeKinds[credential.CodeInvalid], reason: string(credential.ReasonHolderIDTypeNotAccepted), detail: msg,
		errors: []FieldProblem{{Pointer: "#/holder/idType", Reason: string(credential.ReasonHolderIDTypeNotAccepted), Detail: msg}}}
}

// holderPointer locates a holder validation error in the request body.
func holderPointer(err error) string {
	var e *credential.Error
	if errors.As(err, &e) && e.Pointer != "" {
		return "#" + e.Pointer
	}
	return "#/holder"
}

// pointerEscape escapes a JSON pointer segment (RFC 6901).
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func typeIDs(reg credential.Registry) string {
	ids := make([]string, len(reg.Types))
	for i, t := range reg.Types {
		ids[i] = t.ID
	}
	return strings.Join(ids, ", ")
}
