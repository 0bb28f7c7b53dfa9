package gateway

import (
	"strconv"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
)

func statusListKey(dept, purpose string, list uint64) string {
	return dept + "/" + purpose + "/" + strconv.FormatUint(list, 10)
}

// forget drops the department's cached lists number list, of both purposes.
func (c *statusListCache) forget(dept string, list uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, p := range []string{vc.PurposeRevocation, vc.PurposeSuspension} {
		delete(c.entries, statusListKey(dept, p, list))
	}
}

// recordChanged is told of every record change this gateway makes and,
// through credential.ChangeNotifier, of those the ledger reports. A change
// that shows in a status list drops the cached list, so the next request
// builds it afresh; only the issuance of a valid credential shows in none.
func (s *Server) recordChanged(rec credential.Record) {
	if rec.StatusSequence == 0 || (rec.LastChange.Action.Issues() && rec.Status == credential.StatusValid) {
		return
	}
	list, _ := vc.StatusPosition(rec.StatusSequence)
	s.statusLists.forget(rec.Issuer, list)
}
