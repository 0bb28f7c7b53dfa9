package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/certledger/certledger/credential"
)

// webhooks follows the ledger's change feed into the subscriptions' queues
// and delivers each queue in order, one attempt in flight per subscription:
// a delivery that fails holds back the ones after it, so a receiver sees
// each credential's changes in the order they were committed.
type webhooks struct {
	store   *webhookStore
	feed    credential.ChangeFeed
	cfg     WebhookConfig
	targets webhookTargets
	resolve func(context.Context, string) ([]netip.Addr, error)
	client  *http.Client
	log     *slog.Logger

	kickc chan struct{}
	sem   chan struct{}
	// subc wakes the feed follower when a subscription is created;
	// feedMu orders the follower's "no subscription, forget the position"
	// against a creation's "take the tip, then subscribe".
	subc     chan struct{}
	feedMu   sync.Mutex
	mu       sync.Mutex
	inflight map[string]bool

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// webhookResponseCap bounds what is read of a receiver's answer.
const webhookResponseCap = 64 << 10

// feedRetry is the first pause after the feed failed; it doubles to a minute.
const feedRetry = time.Second

func newWebhooks(cfg Config, ledger credential.Ledger) (*webhooks, error) {
	feed, ok := ledger.(credential.ChangeFeed)
	if !ok || cfg.StateDir == "" || !cfg.Webhooks.KEK.Valid() {
		return nil, nil
	}
	wc := cfg.Webhooks.withDefaults(cfg.Now)
	store, err := openWebhookStore(cfg.StateDir, wc.KEK)
	if err != nil {
		return nil, err
	}
	w := &webhooks{store: store, feed: feed, cfg: wc, log: cfg.Logger,
		targets:  webhookTargets{allowHTTP: wc.AllowHTTP, allowLoopback: wc.AllowLoopback, allowPrivate: wc.AllowPrivate},
		kickc:    make(chan struct{}, 1),
		subc:     make(chan struct{}, 1),
		sem:      make(chan struct{}, wc.Concurrency),
		inflight: map[string]bool{}, resolve: resolveHost}
	dialer := &net.Dialer{Timeout: wc.Timeout, Control: w.targets.dialControl}
	w.client = &http.Client{
		Timeout: wc.Timeout,
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would be the only address the dial check sees
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   wc.Timeout,
			ResponseHeaderTimeout: wc.Timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
		},
		// A redirect is an answer, not a new target: following it would
		// reach URLs never checked at subscribe time.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.wg.Add(2)
	go func() { defer w.wg.Done(); w.followFeed(ctx) }()
	go func() { defer w.wg.Done(); w.deliverLoop(ctx) }()
	return w, nil
}

// stop ends both loops, waits for attempts in flight, and closes the file.
func (w *webhooks) stop() error {
	if w == nil {
		return nil
	}
	w.cancel()
	w.wg.Wait()
	return w.store.close()
}

func (w *webhooks) kick() {
	select {
	case w.kickc <- struct{}{}:
	default:
	}
}

// followFeed takes the feed from the stored position; the first time, from
// the ledger's tip, stored before anything is taken.
func (w *webhooks) followFeed(ctx context.Context) {
	pause := feedRetry
	for {
		if !w.awaitSubscription(ctx) {
			return
		}
		err := w.followOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		w.log.Warn("webhooks: the ledger's change feed stopped; resuming from the stored position", slog.String("error", err.Error()))
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Minute)
	}
}

// awaitSubscription returns once a subscription exists (false when ctx
// ended first). A gateway without one does not follow the feed at all, which
// on Fabric would read every anchored batch's leaves for nothing; it forgets
// its position instead, so the first subscription starts from the tip it
// took when created (subscribed), not from events that came before it.
func (w *webhooks) awaitSubscription(ctx context.Context) bool {
	for {
		w.feedMu.Lock()
		subs, err := w.store.subs()
		if err == nil && len(subs) == 0 {
			err = w.store.clearPosition()
		}
		w.feedMu.Unlock()
		wait := feedRetry
		switch {
		case err != nil:
			w.log.Warn("webhooks: cannot read the subscriptions", slog.String("error", err.Error()))
		case len(subs) > 0:
			return true
		default:
			wait = time.Hour
		}
		select {
		case <-ctx.Done():
			return false
		case <-w.subc:
		case <-time.After(wait):
		}
	}
}

// subscribed stores a new subscription, first setting the feed position to
// the ledger's tip when there is none, so the follower, woken after, takes
// every change committed from the subscription's creation on.
func (w *webhooks) subscribed(ctx context.Context, sub webhookSub, secret string) error {
	w.feedMu.Lock()
	defer w.feedMu.Unlock()
	if _, ok, err := w.store.position(); err != nil {
		return err
	} else if !ok {
		pos, err := w.feed.FeedTip(ctx)
		if err != nil {
			return err
		}
		if err := w.store.setPosition(pos); err != nil {
			return err
		}
	}
	if err := w.store.create(sub, secret); err != nil {
		return err
	}
	select {
	case w.subc <- struct{}{}:
	default:
	}
	return nil
}

func (w *webhooks) followOnce(ctx context.Context) error {
	pos, ok, err := w.store.position()
	if err != nil {
		return err
	}
	if !ok {
		if pos, err = w.feed.FeedTip(ctx); err != nil {
			return err
		}
		if err := w.store.setPosition(pos); err != nil {
			return err
		}
	}
	return w.feed.FollowChanges(ctx, pos, w.take)
}

// take queues one transaction's changes for every subscription they match.
func (w *webhooks) take(tx credential.FeedTx) error {
	subs, err := w.store.subs()
	if err != nil {
		return err
	}
	now := w.cfg.Clock()
	var items []queued
	for _, rec := range tx.Records {
		for _, s := range subs {
			if ev, ok := webhookMatch(s, rec); ok {
				items = append(items, queued{sub: s.ID, d: newWebhookDelivery(s, ev, rec, tx.Position, now)})
			}
		}
	}
	if err := w.store.enqueue(tx.Position, items, w.cfg.QueueLimit); err != nil {
		return err
	}
	if len(items) > 0 {
		w.kick()
	}
	return nil
}

// deliverLoop starts the due attempts, then waits for a kick, the next due
// time, or at most a second.
func (w *webhooks) deliverLoop(ctx context.Context) {
	for {
		next := w.dispatch(ctx)
		wait := time.Second
		if !next.IsZero() {
			wait = min(max(next.Sub(w.cfg.Clock()), 0), time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.kickc:
		case <-t.C:
		}
		t.Stop()
	}
}

// dispatch starts an attempt for each subscription whose oldest pending
// delivery is due, as far as the concurrency allows, and returns the
// earliest time a waiting one is due (zero: none waits).
func (w *webhooks) dispatch(ctx context.Context) time.Time {
	subs, err := w.store.subs()
	if err != nil {
		w.log.Error("webhooks: reading subscriptions failed", slog.String("error", err.Error()))
		return time.Time{}
	}
	now := w.cfg.Clock()
	var next time.Time
	for _, s := range subs {
		if s.Pending == 0 {
			continue
		}
		w.mu.Lock()
		busy := w.inflight[s.ID]
		w.mu.Unlock()
		if busy {
			continue
		}
		d, ok, err := w.store.head(s.ID)
		if err != nil || !ok {
			continue
		}
		if d.NextAttempt.After(now) {
			if next.IsZero() || d.NextAttempt.Before(next) {
				next = d.NextAttempt
			}
			continue
		}
		select {
		case w.sem <- struct{}{}:
		default:
			return next // the next attempt to finish kicks the loop
		}
		w.mu.Lock()
		w.inflight[s.ID] = true
		w.mu.Unlock()
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.attempt(ctx, s, d)
			w.mu.Lock()
			delete(w.inflight, s.ID)
			w.mu.Unlock()
			<-w.sem
			w.kick()
		}()
	}
	return next
}

// attempt sends one delivery and records the outcome.
func (w *webhooks) attempt(ctx context.Context, s webhookSub, d webhookDelivery) {
	status, err := w.send(ctx, s, d)
	if ctx.Err() != nil {
		return // shutting down: the delivery stays pending as it was
	}
	now := w.cfg.Clock()
	d.Attempts++
	d.LastAttempt, d.LastStatus, d.LastError = now, status, ""
	switch {
	case err == nil && status >= 200 && status < 300:
		d.State, d.NextAttempt = deliveryDelivered, time.Time{}
	default:
		if err != nil {
			d.LastError = truncate(err.Error(), 300)
		} else {
			d.LastError = "HTTP " + strconv.Itoa(status)
		}
		if now.Sub(d.Created) >= w.cfg.RetryFor {
			d.State, d.NextAttempt = deliveryFailed, time.Time{}
		} else {
			d.NextAttempt = now.Add(webhookBackoff(d.Attempts))
		}
	}
	if err := w.store.finishAttempt(s.ID, d, w.cfg.LogLimit); err != nil && !errors.Is(err, errSubNotFound) {
		w.log.Error("webhooks: recording a delivery failed", slog.String("subscription", s.ID), slog.String("error", err.Error()))
	}
}

// webhookBackoff is the pause after the n-th failed attempt: 5 s, doubling,
// at most an hour; about 30 attempts fit in a day.
func webhookBackoff(n int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

func (w *webhooks) send(ctx context.Context, s webhookSub, d webhookDelivery) (int, error) {
	secret, err := w.store.secret(s)
	if err != nil {
		return 0, fmt.Errorf("the subscription's secret cannot be opened: %w", err)
	}
	key, err := webhookKey(secret)
	if err != nil {
		return 0, err
	}
	ts := w.cfg.Clock().Unix()
	rctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, s.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "certledger-webhooks")
	req.Header.Set("webhook-id", d.MessageID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", signWebhook(key, d.MessageID, ts, d.Body))
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, webhookResponseCap))
	return resp.StatusCode, nil
}
