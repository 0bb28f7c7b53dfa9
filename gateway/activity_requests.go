package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/certledger/certledger/credential"
)

// Activity events of consent requests: the holder's own decisions and each
// time the requesting department read what they approved.
const (
	eventRequestReceived  activityEvent = "request_received"
	eventRequestApproved  activityEvent = "request_approved"
	eventRequestRefused   activityEvent = "request_refused"
	eventRequestWithdrawn activityEvent = "request_withdrawn"
	eventRequestRead      activityEvent = "request_read"
)

// maxActivityRequests bounds the requests one timeline reads.
const maxActivityRequests = 500

// requestActivity is the activity source of consent requests addressed to
// h: received (when addressed at creation), decided, withdrawn, and the
// proof reads the ledger keeps (the latest credential.MaxRecentReads of
// each request), with the requesting department as By.
func (s *Server) requestActivity(ctx context.Context, h credential.Holder) ([]activityItem, error) {
	set, err := s.requestRefs(ctx, h)
	if err != nil || len(set.refs) == 0 {
		return nil, err
	}
	var items []activityItem
	q := credential.RequestHolderQuery{Refs: set.refs}
	for n := 0; ; {
		page, err := s.ledger.RequestsByHolder(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Requests {
			items = append(items, requestItems(r)...)
		}
		n += len(page.Requests)
		if page.Next == "" {
			return items, nil
		}
		if n >= maxActivityRequests {
			s.log.Warn("holder activity covers only the first consent requests of a holder", slog.Int("limit", maxActivityRequests))
			return items, nil
		}
		q.After = page.Next
	}
}

// requestItems are the timeline items of one request. A counter request
// is listed for its holder once they decided it; its "received" is still
// the time the department made it.
func requestItems(r credential.ConsentRequest) []activityItem {
	var out []activityItem
	add := func(ev activityEvent, at time.Time, n int) {
		out = append(out, activityItem{At: at.UTC(), Event: ev, Request: r.ID, Service: r.Service, Purpose: r.Purpose, By: r.Requester,
			key: fmt.Sprintf("request/%s/%s/%03d", r.ID, ev, n)})
	}
	add(eventRequestReceived, r.CreatedAt, 0)
	switch r.Status {
	case credential.RequestRefused:
		add(eventRequestRefused, r.DecidedAt, 0)
	case credential.RequestApproved, credential.RequestWithdrawn:
		add(eventRequestApproved, r.DecidedAt, 0)
	}
	if r.Status == credential.RequestWithdrawn {
		add(eventRequestWithdrawn, r.WithdrawnAt, 0)
	}
	for i, t := range r.RecentReads {
		add(eventRequestRead, t, i)
	}
	return out
}
