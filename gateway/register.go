package gateway

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// registerItem is one credential of a department's register: public record
// data only. The holder's name is in the department's private documents,
// one read each, and is left out (docs/decisions/0018-register.md).
type registerItem struct {
	ID             string                    `json:"id"`
	Type           string                    `json:"type"`   // type code
	TypeID         string                    `json:"typeId"` // "" when the registry no longer has the type
	Status         credential.Status         `json:"status"` // credential.RecordStatus now
	RevocationCode credential.RevocationCode `json:"revocationCode,omitempty"`
	Version        int                       `json:"version"`
	IssuedAt       time.Time                 `json:"issuedAt"`
	ValidFrom      time.Time                 `json:"validFrom"`
	ValidUntil     time.Time                 `json:"validUntil,omitzero"`
}

// registerAnswer is the body of GET /api/v1/credentials.
type registerAnswer struct {
	Items []registerItem `json:"items"`
	// Next is the cursor of the following page; a page may be short, or
	// empty, and still have one (the scan bound was reached).
	Next string `json:"next,omitempty"`
	// Behind is how many committed changes the answer may miss: always 0,
	// since the index is written in the issuing transaction itself.
	Behind int `json:"behind"`
}

// handleRegister lists the calling department's credentials, newest
// first: JSON pages, or with Accept: text/csv the whole selection as CSV.
func (s *Server) handleRegister(c *fiber.Ctx) error {
	dept, err := s.authenticate(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	reg, err := s.registry.get(ctx)
	if err != nil {
		return err
	}
	q, err := s.registerQuery(c, reg, dept)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if wantsCSV(c) {
		return s.streamRegisterCSV(c, reg, dept, q)
	}
	page, err := s.ledger.CredentialsByDepartment(ctx, dept.MSPID, q)
	if err != nil {
		return err
	}
	s.metrics.registerScanned.Add(float64(page.Scanned))
	out := registerAnswer{Items: make([]registerItem, 0, len(page.Records)), Next: page.Next}
	for _, rec := range page.Records {
		out.Items = append(out.Items, registerItemOf(reg, rec, q.Now))
	}
	return c.JSON(out)
}

func registerItemOf(reg credential.Registry, rec credential.Record, now time.Time) registerItem {
	it := registerItem{ID: rec.ID, Type: rec.Type, Status: credential.RecordStatus(rec, reg, now), RevocationCode: rec.RevocationCode,
		Version: rec.Version, IssuedAt: rec.IssuedAt, ValidFrom: rec.ValidFrom, ValidUntil: rec.ValidUntil}
	if t, ok := reg.Type(rec.Type); ok {
		it.TypeID = t.ID
	}
	return it
}

// wantsCSV reports whether the client asked for CSV rather than JSON.
func wantsCSV(c *fiber.Ctx) bool {
	return c.Accepts(fiber.MIMEApplicationJSON, "text/csv") == "text/csv"
}

// registerQuery reads the query parameters of GET /api/v1/credentials. The
// holder's ID number becomes the department's holder references here and
// goes no further: not to the ledger, not to the log.
func (s *Server) registerQuery(c *fiber.Ctx, reg credential.Registry, dept credential.Department) (credential.RegisterQuery, error) {
	q := credential.RegisterQuery{Dept: dept.ID, Now: s.now(), After: c.Query("cursor")}
	var probs []FieldProblem
	bad := func(param, detail string) {
		probs = append(probs, FieldProblem{Pointer: "#/" + param, Reason: string(credential.ReasonInvalidField), Detail: detail})
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > credential.MaxRegisterPage {
			bad("limit", "limit must be a number from 1 to "+strconv.Itoa(credential.MaxRegisterPage))
		}
		q.Limit = n
	}
	if v := c.Query("type"); v != "" {
		t, ok := reg.Type(v)
		if !ok {
			bad("type", "type "+quote(v)+" is neither the ID nor the code of a registered credential type")
		}
		q.Type = t.Code
	}
	if v := c.Query("status"); v != "" {
		q.Status = credential.Status(v)
		if !credential.ValidRegisterStatus(q.Status) {
			bad("status", "status "+quote(v)+" is not one of valid, suspended, revoked, expired, not_yet_valid, forged")
		}
	}
	for _, p := range []struct {
		name  string
		bound credential.DayBound
		dst   *time.Time
	}{{"issuedFrom", credential.DayStart, &q.IssuedFrom}, {"issuedTo", credential.DayEnd, &q.IssuedTo}} {
		if v := c.Query(p.name); v != "" {
			t, err := credential.ParseTime(v, s.cfg.TimeZone, p.bound)
			if err != nil {
				bad(p.name, p.name+" "+quote(v)+" is neither an RFC 3339 time nor a YYYY-MM-DD date")
			}
			*p.dst = t.UTC()
		}
	}
	idType, idNumber := c.Query("holderIdType"), c.Query("holderIdNumber")
	switch {
	case idType == "" && idNumber == "":
	case idType == "" || idNumber == "":
		bad("holderIdType", "holderIdType and holderIdNumber go together")
	default:
		h := credential.Holder{Name: "-", IDType: idType, IDNumber: idNumber}.Normalize()
		if err := h.Validate(); err != nil {
			param := "holderIdNumber"
			var ce *credential.Error
			if errors.As(err, &ce) && strings.HasSuffix(ce.Pointer, "idType") {
				param = "holderIdType"
			}
			bad(param, "the holder's "+strings.TrimPrefix(param, "holder")+" is not valid for its type")
			break
		}
		q.HolderRefs = []string{
			credential.HolderRef(s.secrets.HolderKey, dept.ID, h.IDType, h.IDNumber),
			credential.LegacyHolderRef(s.secrets.HolderKey, h.IDType, h.IDNumber),
		}
	}
	if len(probs) > 0 {
		return q, invalidFields(probs)
	}
	return q, nil
}

// registerExportContext bounds a whole CSV export, every page of it.
func (s *Server) registerExportContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*s.cfg.RequestTimeout)
}
