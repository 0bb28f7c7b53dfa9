package credential

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// holderRefDomain separates holder references from every other HMAC a
// gateway computes, and from the department-independent references of
// LegacyHolderRef, whose input has two length-prefixed parts instead of four.
const holderRefDomain = "certledger.holder-ref.v2"

// HolderRef returns the keyed reference to a holder that the public record
// of a credential issued by department issuerDept carries. Without the key,
// which only gateways hold, nobody can test guessed ID numbers against the
// ledger, nor tell that two departments' records name the same holder: the
// department is part of the HMAC input (docs/decisions/0010).
func HolderRef(key []byte, issuerDept, idType, idNumber string) string {
	in := appendLP(nil, holderRefDomain)
	in = appendLP(in, issuerDept)
	in = appendLP(in, idType)
	in = appendLP(in, normalizedIDNumber(idNumber))
	m := hmac.New(sha256.New, key)
	m.Write(in)
	return hex.EncodeToString(m.Sum(nil))
}

// HolderRefs returns, for each of departments, the reference its records of
// one holder carry: what a gateway holding the key looks up to find that
// holder's credentials across departments.
func HolderRefs(key []byte, departments []string, idType, idNumber string) map[string]string {
	out := make(map[string]string, len(departments))
	for _, d := range departments {
		out[d] = HolderRef(key, d, idType, idNumber)
	}
	return out
}

// LegacyHolderRef is the department-independent reference of records issued
// before references named the department. Those records keep it (the ledger
// is append-only), so a lookup of one holder's credentials also looks for it;
// nothing issues with it any more.
func LegacyHolderRef(key []byte, idType, idNumber string) string {
	m := hmac.New(sha256.New, key)
	m.Write(appendLP(appendLP(nil, idType), normalizedIDNumber(idNumber)))
	return hex.EncodeToString(m.Sum(nil))
}

// normalizedIDNumber is the ID number as references hash it, so spacing and
// the case of check characters typed on a form do not change the reference.
func normalizedIDNumber(idNumber string) string {
	return strings.ToUpper(strings.TrimSpace(idNumber))
}
