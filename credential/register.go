package credential

import (
	"context"
	"time"
)

// Bounds of one department register query (DepartmentRegister). A query
// scans at most MaxRegisterScan index entries, and reads at most as many
// records, whatever its filters select: a filter the index key cannot serve
// (status, type) may leave a page short, or empty, with a cursor to go on
// (docs/decisions/0018-register.md).
const (
	MaxRegisterPage     = 500
	DefaultRegisterPage = 50
	MaxRegisterScan     = 5000
)

// RegisterStatuses are the statuses a register query filters by: those
// RecordStatus derives from a record and the registry.
var RegisterStatuses = []Status{StatusValid, StatusSuspended, StatusRevoked, StatusExpired, StatusNotYetValid, StatusForged}

// ValidRegisterStatus reports whether s is one of RegisterStatuses.
func ValidRegisterStatus(s Status) bool {
	for _, v := range RegisterStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// RegisterQuery asks for one page of a department's register (证照台账): the
// credentials it issued, newest first by issuance time. Only public record
// data is read.
type RegisterQuery struct {
	// Dept is the issuing department's ID; the contract answers only the
	// department itself.
	Dept string `json:"dept"`
	// Type is a type code; empty for every type.
	Type string `json:"type,omitempty"`
	// Status is the status RecordStatus derives at Now; empty for any.
	Status Status `json:"status,omitempty"`
	// HolderRefs, when given, select one holder's credentials through the
	// holder index: the department's reference for the holder and the
	// legacy one (decision 0010). The holder index names the newest version
	// of each credential only, so such a query lists only those.
	HolderRefs []string `json:"holderRefs,omitempty"`
	// IssuedFrom (inclusive) and IssuedTo (exclusive) bound IssuedAt.
	IssuedFrom time.Time `json:"issuedFrom,omitzero"`
	IssuedTo   time.Time `json:"issuedTo,omitzero"`
	// Now is the instant statuses are derived at: the gateway's clock.
	Now time.Time `json:"now"`
	// After is the Next of the previous page; empty for the first page.
	After string `json:"after,omitempty"`
	// Limit is the page size, 1 to MaxRegisterPage; 0 means DefaultRegisterPage.
	Limit int `json:"limit,omitempty"`
}

// RegisterPage is one page of a register query's answer, newest first.
type RegisterPage struct {
	Records []Record `json:"records"`
	// Next is the cursor of the following page; empty when the selection
	// has been read to its end. A page may hold fewer than Limit records,
	// even none, and still have a Next: the scan bound was reached.
	Next string `json:"next,omitempty"`
	// Scanned is the number of index entries the query read.
	Scanned int `json:"scanned"`
}

// DepartmentRegister lists a department's credentials from the contract's
// department index (docs/decisions/0018-register.md).
type DepartmentRegister interface {
	// CredentialsByDepartment returns one page of q.Dept's register, read
	// as mspID, the department's own identity.
	CredentialsByDepartment(ctx context.Context, mspID string, q RegisterQuery) (RegisterPage, error)
}
