package gateway

import (
	"time"

	"github.com/certledger/certledger/gateway/atrest"
)

// WebhookConfig configures supervision events by webhook (decision 0016).
// Webhooks are on when the gateway has a StateDir, a KEK here and a ledger
// with a change feed.
type WebhookConfig struct {
	// KEK seals the subscriptions' signing secrets in webhooks.db.
	KEK atrest.KEK
	// AllowHTTP accepts plain http URLs; AllowLoopback, targets on the
	// loopback interface (serve --demo); AllowPrivate, targets on
	// loopback, link-local and private addresses too.
	AllowHTTP, AllowLoopback, AllowPrivate bool
	// Timeout bounds one delivery attempt (default 10s); Concurrency, the
	// attempts in flight at once (default 8); QueueLimit, the deliveries
	// one subscription may have waiting (default 10000); LogLimit, the
	// finished ones its log keeps (default 1000); RetryFor, how long a
	// delivery is retried with exponential backoff (default 24h).
	Timeout     time.Duration
	Concurrency int
	QueueLimit  int
	LogLimit    int
	RetryFor    time.Duration
	// Clock times attempts and backoff (default Config.Now).
	Clock func() time.Time
}

// Defaults of WebhookConfig.
const (
	DefaultWebhookTimeout     = 10 * time.Second
	DefaultWebhookConcurrency = 8
	DefaultWebhookQueueLimit  = 10000
	DefaultWebhookLogLimit    = 1000
	DefaultWebhookRetryFor    = 24 * time.Hour
)

func (w WebhookConfig) withDefaults(now func() time.Time) WebhookConfig {
	if w.Timeout <= 0 {
		w.Timeout = DefaultWebhookTimeout
	}
	if w.Concurrency <= 0 {
		w.Concurrency = DefaultWebhookConcurrency
	}
	if w.QueueLimit <= 0 {
		w.QueueLimit = DefaultWebhookQueueLimit
	}
	if w.LogLimit <= 0 {
		w.LogLimit = DefaultWebhookLogLimit
	}
	if w.RetryFor <= 0 {
		w.RetryFor = DefaultWebhookRetryFor
	}
	if w.Clock == nil {
		w.Clock = now
	}
	return w
}
