package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/certledger/certledger/credential"
	"golang.org/x/sync/errgroup"
)

// credentialActivity is the activity source of the ledger: every change
// in the history of each of h's credentials. The holder index lists only
// the newest version of a serial, so each listed credential's renewal
// chain (Record.Renews) is followed to the versions it replaced, as long
// as they are h's too. At most maxActivityCredentials are read in all.
func (s *Server) credentialActivity(ctx context.Context, h credential.Holder) ([]activityItem, error) {
	reg, listed, err := s.allHolderRecords(ctx, h)
	if err != nil {
		return nil, err
	}
	var (
		mu    sync.Mutex
		items []activityItem
		// seen holds every credential read or to be read, so that a
		// predecessor listed in its own right, or renewed twice, is read once.
		seen = make(map[string]bool, len(listed))
	)
	for _, rec := range listed {
		seen[rec.ID] = true
	}
	// claim reserves a predecessor for reading, within the bound.
	claim := func(id string) bool {
		mu.Lock()
		defer mu.Unlock()
		if seen[id] || len(seen) >= maxActivityCredentials {
			return false
		}
		seen[id] = true
		return true
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(activityReaders)
	for _, rec := range listed {
		g.Go(func() error {
			for {
				got, err := s.recordActivity(gctx, reg, rec)
				if err != nil {
					return err
				}
				mu.Lock()
				items = append(items, got...)
				mu.Unlock()
				if rec.Renews == "" || !claim(rec.Renews) {
					return nil
				}
				prev, err := s.ledger.Record(gctx, rec.Renews)
				if credential.ErrorReason(err) == credential.ReasonCredentialNotFound {
					return nil
				}
				if err != nil {
					return err
				}
				// A renewal under a new serial may name another holder's
				// credential: that one's history is not h's to read.
				if !s.holdsRecord(h, prev) {
					return nil
				}
				rec = prev
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return items, nil
}

// allHolderRecords pages through the holder index for h, up to
// maxActivityCredentials records.
func (s *Server) allHolderRecords(ctx context.Context, h credential.Holder) (credential.Registry, []credential.Record, error) {
	var (
		reg   credential.Registry
		all   []credential.Record
		after string
	)
	for {
		r, recs, next, err := s.holderRecords(ctx, h, after)
		if err != nil {
			return reg, nil, err
		}
		reg, all = r, append(all, recs...)
		if len(all) >= maxActivityCredentials {
			// Named without the holder: the count is what an operator needs.
			s.log.Warn("holder activity covers only the first credentials of a holder", slog.Int("limit", maxActivityCredentials))
			return reg, all[:maxActivityCredentials], nil
		}
		if next == "" {
			return reg, all, nil
		}
		after = next
	}
}

// recordActivity turns the history of rec into timeline items. The issuing
// change of a credential that renews another is its renewal (a key's
// reissue); a renewal or change says so itself. The change that
// superseded a version is left out: its successor's item tells it.
func (s *Server) recordActivity(ctx context.Context, reg credential.Registry, rec credential.Record) ([]activityItem, error) {
	changes, err := s.ledger.History(ctx, rec.ID)
	if err != nil {
		return nil, err
	}
	typ, issuer := summaries(reg, rec.Type, rec.Issuer)
	items := make([]activityItem, 0, len(changes))
	for i, ch := range changes {
		it := activityItem{At: ch.Time.UTC(), Credential: rec.ID, Type: typ, Issuer: issuer,
			key: fmt.Sprintf("credential/%s/%06d", rec.ID, i)}
		switch ch.Action {
		case credential.ActionIssue:
			it.Event = eventIssued
			if rec.Renews != "" {
				it.Event = eventRenewed
			}
		case credential.ActionRenew:
			it.Event, it.Reason = eventRenewed, ch.Reason
		case credential.ActionChange:
			it.Event, it.Reason = eventChanged, ch.Reason
		case credential.ActionSuspend:
			it.Event, it.Reason = eventSuspended, ch.Reason
		case credential.ActionReinstate:
			it.Event = eventReinstated
		case credential.ActionRevoke:
			it.Event, it.Reason = eventRevoked, ch.Reason
		case credential.ActionRotateToken:
			it.Event = eventTokenRotated
		default:
			// An action this gateway does not know yet is left out rather
			// than shown under a wrong name.
			continue
		}
		items = append(items, it)
	}
	return items, nil
}
