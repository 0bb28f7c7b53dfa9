package gateway

import (
	"cmp"
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/certledger/certledger/credential"
	"golang.org/x/sync/errgroup"
)

// The holder's activity (用证记录): what happened to their credentials,
// newest first. It is derived on each request from sources that already
// record it (the ledger's history of each credential); nothing is written
// per holder, and anonymous verification is never recorded at all.

// activityEvent names what happened.
type activityEvent string

// Activity events. The share ones come from the holder's shares.
const (
	eventIssued         activityEvent = "issued"
	eventSuspended      activityEvent = "suspended"
	eventReinstated     activityEvent = "reinstated"
	eventRevoked        activityEvent = "revoked"
	eventRenewed        activityEvent = "renewed"
	eventChanged        activityEvent = "changed"
	eventTokenRotated   activityEvent = "token_rotated"
	eventShareCreated   activityEvent = "share_created"
	eventShareOpened    activityEvent = "share_opened"
	eventShareWithdrawn activityEvent = "share_withdrawn"
)

// Bounds of the activity list.
const (
	defaultActivityLimit = 50
	maxActivityLimit     = 200
	// maxActivityCredentials bounds the credentials whose history one
	// request reads, predecessors of renewals included.
	maxActivityCredentials = 500
	// activityReaders bounds the history reads in flight for one request.
	activityReaders = 4
	// maxActivityCursor bounds a cursor's length before it is decoded.
	maxActivityCursor = 512
)

// activityItem is one event on the holder's timeline. It never carries a
// field value, nor the holder's name or ID.
type activityItem struct {
	At         time.Time      `json:"at"`
	Event      activityEvent  `json:"event"`
	Credential string         `json:"credential,omitempty"`
	Type       *typeSummary   `json:"type,omitempty"`
	Issuer     *issuerSummary `json:"issuer,omitempty"`
	// Reason is the issuer's reason for a suspension or revocation, which
	// the holder's view of the credential shows too (StatusReason).
	Reason  string `json:"reason,omitempty"`
	Share   string `json:"share,omitempty"`
	Purpose string `json:"purpose,omitempty"`
	By      string `json:"by,omitempty"`
	// Request and Service name a consent request and its service item.
	Request string `json:"request,omitempty"`
	Service string `json:"service,omitempty"`
	// key is unique across every source and orders events of one instant;
	// a cursor carries it. Its source's prefix keeps sources apart.
	key string
}

// activityPage is one page of the timeline; Next is the cursor of the
// following page (the "before" parameter), empty on the last.
type activityPage struct {
	Items []activityItem `json:"items"`
	Next  string         `json:"next,omitempty"`
}

// activitySource returns every event of one kind for holder h, in any
// order. Each item's key starts with a prefix of its own source.
type activitySource func(ctx context.Context, h credential.Holder) ([]activityItem, error)

// activitySources are the sources the timeline merges: another kind of
// event is one more entry here.
func (s *Server) activitySources() []activitySource {
	return []activitySource{s.credentialActivity, s.shareActivity, s.requestActivity}
}

// holderActivity returns the page of h's timeline that comes after the
// cursor before ("" for the newest), at most limit items.
func (s *Server) holderActivity(ctx context.Context, h credential.Holder, before string, limit int) (activityPage, error) {
	page := activityPage{Items: []activityItem{}}
	if limit < 1 || limit > maxActivityLimit {
		return page, credential.Errorf(credential.ReasonInvalidRequest, "limit must be a whole number from 1 to %d", maxActivityLimit)
	}
	var after *activityCursor
	if before != "" {
		c, err := parseActivityCursor(before)
		if err != nil {
			return page, err
		}
		after = &c
	}
	sources := s.activitySources()
	found := make([][]activityItem, len(sources))
	g, gctx := errgroup.WithContext(ctx)
	for i, src := range sources {
		g.Go(func() (err error) {
			found[i], err = src(gctx, h)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return page, err
	}
	return pageOfActivity(slices.Concat(found...), after, limit), nil
}

// pageOfActivity sorts items newest first (by key at one instant) and
// returns the limit items that follow after (nil: from the newest).
func pageOfActivity(items []activityItem, after *activityCursor, limit int) activityPage {
	slices.SortFunc(items, func(a, b activityItem) int {
		return cmp.Or(b.At.Compare(a.At), strings.Compare(b.key, a.key))
	})
	start := 0
	if after != nil {
		start, _ = slices.BinarySearchFunc(items, *after, func(it activityItem, c activityCursor) int {
			// Items sort before the cursor while they are newer than it.
			return cmp.Or(c.at.Compare(it.At), strings.Compare(c.key, it.key), -1)
		})
	}
	page := activityPage{Items: items[start:min(start+limit, len(items))]}
	if end := start + limit; end < len(items) {
		page.Next = activityCursorOf(items[end-1]).String()
	}
	if page.Items == nil {
		page.Items = []activityItem{}
	}
	return page
}

// activityCursor is the position of an item: its time and key. The wire
// form is opaque to clients (base64url of "<unix nanoseconds> <key>").
type activityCursor struct {
	at  time.Time
	key string
}

func activityCursorOf(it activityItem) activityCursor { return activityCursor{at: it.At, key: it.key} }

func (c activityCursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.at.UnixNano(), 10) + " " + c.key))
}

func parseActivityCursor(s string) (activityCursor, error) {
	bad := credential.Errorf(credential.ReasonInvalidRequest, "the cursor %q is not one this gateway returned", truncate(s, 80))
	if len(s) > maxActivityCursor {
		return activityCursor{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !utf8.Valid(raw) {
		return activityCursor{}, bad
	}
	ns, key, ok := strings.Cut(string(raw), " ")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || key == "" {
		return activityCursor{}, bad
	}
	return activityCursor{at: time.Unix(0, n).UTC(), key: key}, nil
}
