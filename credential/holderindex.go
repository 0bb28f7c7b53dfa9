package credential

// Bounds of one holder index query (Ledger.CredentialsByHolder). A query
// reads at most MaxHolderPage+1 index entries and MaxHolderPage records,
// and one range scan per reference, however many credentials the holder has:
// a holder with thousands of credentials is read page by page. Anchored
// batches' holder shards are read besides, up to a bound of the contract's.
const (
	// MaxHolderRefs bounds the references of one query: one per department
	// of the registry, plus the legacy reference (docs/decisions/0010).
	MaxHolderRefs = 512
	// MaxHolderPage bounds the records of one page, and is the page size
	// of a query that names none.
	MaxHolderPage = 100
)

// HolderQuery asks the ledger's holder index for the credentials whose
// public record carries one of Refs. The index names only the newest
// version of each credential (same serial, highest version).
type HolderQuery struct {
	// Refs are keyed holder references (64 hex characters each), as
	// HolderRefs and LegacyHolderRef compute them.
	Refs []string `json:"refs"`
	// After is the Next of the previous page; empty for the first page.
	After string `json:"after,omitempty"`
	// Limit is the page size, 1 to MaxHolderPage; 0 means MaxHolderPage.
	Limit int `json:"limit,omitempty"`
}

// HolderPage is one page of a HolderQuery's answer: records in the index's
// order (by reference, then by type code, issuer and serial; the credentials
// of anchored batches after the single issuances of the references sharing
// their first two hex digits), each carrying one of the query's references.
// Records have no BlockNumber.
type HolderPage struct {
	Records []Record `json:"records"`
	// Next is the cursor of the following page, <reference>/<position>;
	// empty on the last page. A page may hold fewer than Limit records, even
	// none, and still have a Next: the scan bound of anchored batches was
	// reached.
	Next string `json:"next,omitempty"`
}

// IdentityScope is implemented by ledgers that act only as some departments:
// the Fabric backend holds the identities its connection profile lists, and
// a department's own gateway lists only its own. Reads of private data are
// made as the issuing department, so such a ledger reads only the documents
// of the departments it acts as. A ledger without IdentityScope acts as
// every department of its registry (the embedded ledger).
type IdentityScope interface {
	ActsAs(mspID string) bool
}
