package gateway

import (
	"bufio"
	"encoding/csv"
	"strconv"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// MaxRegisterExport bounds the rows of one CSV export of the register; a
// larger selection is narrowed by its filters (the issuance period).
const MaxRegisterExport = 100_000

// registerCSVHeader names the columns of the register's CSV export.
var registerCSVHeader = []string{"id", "type", "typeId", "status", "revocationCode", "version", "issuedAt", "validFrom", "validUntil"}

// streamRegisterCSV answers the whole selection of q as CSV, page after
// page, up to MaxRegisterExport rows. The first page is read before the
// answer starts, so a refused query is still a problem+json; a ledger
// failure later cuts the export short, and the log says so. Times are RFC
// 3339 in the deployment's time zone. The file starts with a UTF-8 byte
// order mark, which spreadsheet programs need to read Chinese text.
func (s *Server) streamRegisterCSV(c *fiber.Ctx, reg credential.Registry, dept credential.Department, q credential.RegisterQuery) error {
	q.Limit = credential.MaxRegisterPage
	ctx, cancel := s.requestContext(c)
	first, err := s.ledger.CredentialsByDepartment(ctx, dept.MSPID, q)
	cancel()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="register-`+dept.ID+`-`+q.Now.In(s.cfg.TimeZone).Format("20060102-150405")+`.csv"`)
	c.Set("X-Register-Export-Limit", strconv.Itoa(MaxRegisterExport))
	zone := s.cfg.TimeZone
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		ctx, cancel := s.registerExportContext()
		defer cancel()
		bw.WriteString("\ufeff")
		w := csv.NewWriter(bw)
		w.Write(registerCSVHeader)
		page, rows := first, 0
		for {
			s.metrics.registerScanned.Add(float64(page.Scanned))
			for _, rec := range page.Records {
				if rows == MaxRegisterExport {
					w.Flush()
					return
				}
				w.Write(registerCSVRow(registerItemOf(reg, rec, q.Now), zone))
				rows++
			}
			w.Flush()
			if w.Error() != nil || page.Next == "" {
				return
			}
			q.After = page.Next
			if page, err = s.ledger.CredentialsByDepartment(ctx, dept.MSPID, q); err != nil {
				s.log.Error("register export cut short", "dept", dept.ID, "rows", rows, "err", err)
				return
			}
		}
	})
	return nil
}

func registerCSVRow(it registerItem, zone *time.Location) []string {
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(zone).Format(time.RFC3339)
	}
	row := []string{it.ID, it.Type, it.TypeID, string(it.Status), string(it.RevocationCode), strconv.Itoa(it.Version),
		at(it.IssuedAt), at(it.ValidFrom), at(it.ValidUntil)}
	for i, v := range row {
		row[i] = csvSafe(v)
	}
	return row
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet: a
// cell starting with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe. The register's cells are the ledger's own values, but a type
// ID or a reason is text a department wrote.
func csvSafe(v string) string {
	if v != "" {
		switch v[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + v
		}
	}
	return v
}
