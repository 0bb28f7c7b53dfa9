package credential

import "context"

// FeedPosition is a place in a ledger's sequence of committed transactions:
// Block is a block number (the embedded ledger's log sequence), and TxID the
// last transaction of that block already taken, or empty when none of the
// block was. The zero position is the start of the ledger.
type FeedPosition struct {
	Block uint64 `json:"block"`
	TxID  string `json:"txId,omitempty"`
}

// FeedTx is one committed transaction that changed credential records: its
// position and each record as the transaction left it (LastChange is the
// change it made). Records hold no personal data.
type FeedTx struct {
	Position FeedPosition
	Records  []Record
}

// ChangeFeed is implemented by ledgers whose record changes, made by any
// client, can be read in commit order from a position, so a consumer that
// stores the position of what it took resumes after a restart without
// losing a change (the gateway's webhooks, decision 0016).
type ChangeFeed interface {
	// FeedTip is the position just before the next transaction to commit:
	// following from it yields only what commits from now on.
	FeedTip(ctx context.Context) (FeedPosition, error)
	// FollowChanges calls fn with every transaction committed after pos
	// that changed a credential record, in commit order, until ctx ends
	// (it then returns ctx.Err()) or fn fails (it returns fn's error). It
	// retries the ledger's own failures itself.
	FollowChanges(ctx context.Context, pos FeedPosition, fn func(FeedTx) error) error
}
