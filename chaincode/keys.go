package chaincode

import "fmt"

// Ledger keys: one prefix per kind, so kinds never collide and a range scan
// sees one kind; issuances write only keys of their own, so none is hot. Plain
// keys, not composite ones, because Fabric range-scans only simple keys.
const (
	prefixDepartment  = "dept/"      // dept/<department id> -> Department
	prefixMSP         = "msp/"       // msp/<MSP ID> -> department id
	prefixType        = "type/"      // type/<type id> -> CredentialType
	prefixTypeCode    = "typecode/"  // typecode/<code> -> type id
	prefixRecord      = "cred/"      // cred/<identifier> -> Record
	prefixIdempotency = "idem/"      // idem/<department id>/<key> -> idempotencyEntry
	prefixDocument    = "doc/"       // doc/<identifier> -> Document (private data)
	prefixStatusIndex = "statusidx/" // statusidx/<department id>/<list>/<sequence> -> statusIndexEntry
	// An API key's record is written once; its revocation is a key of its
	// own, so each can carry the key-level policy of the department that
	// wrote it (the key's department or governance, either may revoke).
	prefixAPIKey           = "apikey/"        // apikey/<key id> -> credential.APIKey as created
	prefixAPIKeyRevocation = "apikeyrevoked/" // apikeyrevoked/<key id> -> apiKeyRevocation
)

// prefixEnd returns the smallest key greater than every key with prefix p:
// every prefix ends in '/', and '0' is the byte after '/'.
func prefixEnd(p string) string { return p[:len(p)-1] + "0" }

func departmentKey(id string) string { return prefixDepartment + id }
func mspKey(mspID string) string     { return prefixMSP + mspID }
func typeKey(id string) string       { return prefixType + id }
func typeCodeKey(code string) string { return prefixTypeCode + code }
func recordKey(id string) string     { return prefixRecord + id }
func documentKey(id string) string   { return prefixDocument + id }
func apiKeyKey(id string) string     { return prefixAPIKey + id }
func apiKeyRevocationKey(id string) string {
	return prefixAPIKeyRevocation + id
}
func idempotencyKey(dept, key string) string {
	return prefixIdempotency + dept + "/" + key
}

// statusListPrefix is the prefix of one list's index keys. Lists and
// sequence numbers are zero-padded to fixed widths, so byte order is
// numeric order and one range scan reads one list in sequence order.
func statusListPrefix(dept string, list uint64) string {
	return fmt.Sprintf("%s%s/%010d/", prefixStatusIndex, dept, list)
}

func statusIndexKey(dept string, seq uint64) string {
	return fmt.Sprintf("%s%020d", statusListPrefix(dept, seq/StatusListSize), seq)
}

// RecordKey returns the state key of a credential's public record, for
// backends that need to look at it (block numbers, audits).
func RecordKey(id string) string { return recordKey(id) }
