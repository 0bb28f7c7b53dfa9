package fabricledger

import (
	"sync/atomic"

	"github.com/certledger/certledger/credential"
)

// changeHook holds the function NotifyChanges registered, if any.
type changeHook struct {
	fn atomic.Pointer[func(credential.Record)]
}

func (h *changeHook) call(rec credential.Record) {
	if h == nil {
		return
	}
	if fn := h.fn.Load(); fn != nil {
		(*fn)(rec)
	}
}

// NotifyChanges makes the event listener call fn with every record a
// chaincode event reports changed, by any client (credential.ChangeNotifier).
// It reports nothing while the record cache is off or its stream is down:
// callers keep their own time limits on what they derive from records. Nor
// does it report an anchored batch's issuances (ChangeNotifier says why).
func (l *Ledger) NotifyChanges(fn func(credential.Record)) {
	l.hook.fn.Store(&fn)
}
