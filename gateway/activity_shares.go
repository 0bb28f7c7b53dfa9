package gateway

import (
	"context"
	"fmt"

	"github.com/certledger/certledger/credential"
)

// shareActivity is the activity source of the holder's shares: each
// share's creation, every opening the ledger still lists, and its
// withdrawal. Only the departments this gateway acts as keep shares it
// can read (docs/decisions/0013-shares.md).
func (s *Server) shareActivity(ctx context.Context, h credential.Holder) ([]activityItem, error) {
	shares, reg, err := s.holderShareRecords(ctx, h)
	if err != nil {
		return nil, err
	}
	var items []activityItem
	for _, sh := range shares {
		typ, issuer := summaries(reg, sh.Type, sh.Issuer)
		item := func(n int, ev activityEvent) activityItem {
			return activityItem{Event: ev, Credential: sh.Credential, Type: typ, Issuer: issuer,
				Share: sh.ID, Purpose: sh.Purpose, key: fmt.Sprintf("share/%s/%d", sh.ID, n)}
		}
		created := item(0, eventShareCreated)
		created.At = sh.CreatedAt
		items = append(items, created)
		for i, o := range sh.Openings {
			opened := item(i+1, eventShareOpened)
			opened.At, opened.By = o.At, o.By
			items = append(items, opened)
		}
		if !sh.WithdrawnAt.IsZero() {
			w := item(len(sh.Openings)+1, eventShareWithdrawn)
			w.At = sh.WithdrawnAt
			items = append(items, w)
		}
	}
	return items, nil
}
