package gateway

import (
	"context"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// Supervision of consent: the governance department reads the receipts of
// every decision, filtered by service, department and time, with counts.
// Receipts hold no personal data (docs/decisions/0015-consent-requests.md).

// maxReceiptScan bounds the receipts one supervision call reads.
const maxReceiptScan = 1000

// receiptCounts counts the decisions among the receipts that matched.
type receiptCounts struct {
	Total     int `json:"total"`
	Approved  int `json:"approved"`
	Refused   int `json:"refused"`
	Withdrawn int `json:"withdrawn"`
}

// receiptsAnswer is GET /api/v1/receipts: the matching receipts among at
// most limit read in decision order, their counts, and the cursor to read
// on from (empty when everything in the range was read).
type receiptsAnswer struct {
	Counts   receiptCounts        `json:"counts"`
	Receipts []credential.Receipt `json:"receipts"`
	Scanned  int                  `json:"scanned"`
	Next     string               `json:"next,omitempty"`
}

// receiptFilter is what a supervision call asks for.
type receiptFilter struct {
	Service, Department string
	From, To            time.Time
	After               string
	Limit               int
}

// supervisedReceipts reads up to f.Limit receipts of [f.From, f.To) after
// f.After and keeps those of f.Service and f.Department (when given).
func (s *Server) supervisedReceipts(ctx context.Context, f receiptFilter) (receiptsAnswer, error) {
	ans := receiptsAnswer{Receipts: []credential.Receipt{}}
	after := f.After
	for ans.Scanned < f.Limit {
		page, err := s.ledger.Receipts(ctx, credential.ReceiptQuery{From: f.From, To: f.To, After: after,
			Limit: min(credential.MaxRequestPage, f.Limit-ans.Scanned)})
		if err != nil {
			return ans, err
		}
		ans.Scanned += len(page.Receipts)
		for _, r := range page.Receipts {
			if (f.Service != "" && r.Service != f.Service) || (f.Department != "" && r.Requester != f.Department) {
				continue
			}
			ans.Receipts = append(ans.Receipts, r)
			ans.Counts.Total++
			switch r.Decision {
			case credential.RequestApproved:
				ans.Counts.Approved++
			case credential.RequestRefused:
				ans.Counts.Refused++
			case credential.RequestWithdrawn:
				ans.Counts.Withdrawn++
			}
		}
		ans.Next, after = page.Next, page.Next
		if page.Next == "" {
			break
		}
	}
	return ans, nil
}

// queryTime reads an RFC 3339 time parameter; zero when absent.
func queryTime(c *fiber.Ctx, name string) (time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, credential.Errorf(credential.ReasonInvalidRequest, "%s must be an RFC 3339 time such as 2026-03-01T00:00:00Z", name)
	}
	return t.UTC(), nil
}

func (s *Server) handleReceipts(c *fiber.Ctx) error {
	if _, err := s.governanceCaller(c, "supervise consent receipts"); err != nil {
		return err
	}
	f := receiptFilter{Service: c.Query("service"), Department: c.Query("department"), After: c.Query("after")}
	var err error
	if f.From, err = queryTime(c, "from"); err != nil {
		return err
	}
	if f.To, err = queryTime(c, "to"); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(c, maxReceiptScan, maxReceiptScan); err != nil {
		return err
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	ans, err := s.supervisedReceipts(ctx, f)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(ans)
}
