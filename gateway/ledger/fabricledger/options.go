package fabricledger

import (
	"log/slog"
	"time"

	"github.com/certledger/certledger/chaincode"
)

// Options tunes the backend. The zero value of a field means its default.
type Options struct {
	// Logger receives transport failures with their transaction IDs
	// (default slog.Default()).
	Logger *slog.Logger
	// EvaluateTimeout bounds one read on one peer (default 10s).
	EvaluateTimeout time.Duration
	// EndorseTimeout bounds one endorsement (default 30s).
	EndorseTimeout time.Duration
	// SubmitTimeout bounds handing one transaction to the orderers
	// (default 15s).
	SubmitTimeout time.Duration
	// CommitTimeout bounds the wait for one transaction's commit status,
	// asked again as often as needed within it (default 2m).
	CommitTimeout time.Duration
	// ResendAfter is how long a commit status is awaited before the same
	// signed transaction is handed to the orderers again, in case the
	// orderer that took it died before ordering it (default 8s).
	ResendAfter time.Duration
	// ConflictRetries is how many times a transaction invalidated by a read
	// conflict is endorsed again (default 5).
	ConflictRetries int
	// ConflictBackoff is the first pause before such a retry; it doubles
	// each time (default 20ms).
	ConflictBackoff time.Duration
	// StartupRetry is how long a call retries failures that pass once the
	// network settles, such as "no combination of peers" after a restart
	// (default 25s, within the gateway's 30 s request budget).
	StartupRetry time.Duration
	// PeerDownFor is how long a peer that did not answer is tried only after
	// its department's other peers (default 3s).
	PeerDownFor time.Duration
	// BlockCacheSize bounds the transaction ID -> block number cache
	// (default 100,000 entries, a few MB).
	BlockCacheSize int
	// IssueBatchSize is the most issuances of one department recorded in
	// one IssueBatch transaction: default and at most
	// chaincode.MaxBatchItems (64); 1 gives every issuance its own
	// transaction.
	IssueBatchSize int
	// IssueBatchesInFlight is how many IssueBatch transactions of one
	// department may be under way at once (default 2): while they are, new
	// issuances gather into the next batch.
	IssueBatchesInFlight int
	// RecordCacheSize bounds the cache of public records that answers
	// Record while the channel's event stream keeps it current (default
	// 100,000 records, about 75 MB at some 750 bytes each; negative turns
	// it off).
	RecordCacheSize int
}

// WithDefaults fills unset fields.
func (o Options) WithDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.EvaluateTimeout, 10*time.Second)
	set(&o.EndorseTimeout, 30*time.Second)
	set(&o.SubmitTimeout, 15*time.Second)
	set(&o.CommitTimeout, 2*time.Minute)
	set(&o.ResendAfter, 8*time.Second)
	set(&o.ConflictBackoff, 20*time.Millisecond)
	set(&o.StartupRetry, 25*time.Second)
	set(&o.PeerDownFor, 3*time.Second)
	if o.ConflictRetries <= 0 {
		o.ConflictRetries = 5
	}
	if o.IssueBatchSize <= 0 {
		o.IssueBatchSize = chaincode.MaxBatchItems
	}
	o.IssueBatchSize = min(o.IssueBatchSize, chaincode.MaxBatchItems)
	if o.IssueBatchesInFlight <= 0 {
		// Two keep the peers busy (one batch is endorsed while the other
		// is ordered and committed) and make batches larger, so cheaper
		// per issuance than four or eight (docs/benchmarks.md).
		o.IssueBatchesInFlight = 2
	}
	if o.RecordCacheSize == 0 {
		o.RecordCacheSize = 100_000
	}
	if o.BlockCacheSize <= 0 {
		o.BlockCacheSize = 100_000
	}
	return o
}
