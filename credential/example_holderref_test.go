package credential_test

import (
	"bytes"
	"fmt"

	"github.com/certledger/certledger/credential"
)

// Two departments' records of one person carry unrelated references, so a
// reader of the public ledger cannot link them; a gateway holding the key
// finds both by computing each department's reference.
func ExampleHolderRefs() {
	key := bytes.Repeat([]byte{1}, 32) // the gateways' holder key
	const idType, idNumber = credential.IDResidentCard, "11010519491231002X"
	ledger := []credential.Record{
		{ID: "diploma-1", Issuer: "edu", HolderRef: credential.HolderRef(key, "edu", idType, idNumber)},
		{ID: "qualification-1", Issuer: "hrss", HolderRef: credential.HolderRef(key, "hrss", idType, idNumber)},
		{ID: "licence-of-someone-else", Issuer: "samr", HolderRef: credential.HolderRef(key, "samr", idType, "440524188001010014")},
		// Issued before references named the department.
		{ID: "old-diploma", Issuer: "edu", HolderRef: credential.LegacyHolderRef(key, idType, idNumber)},
	}
	fmt.Println("same reference in edu and hrss:", ledger[0].HolderRef == ledger[1].HolderRef)

	refs := credential.HolderRefs(key, []string{"edu", "hrss", "samr"}, idType, idNumber)
	legacy := credential.LegacyHolderRef(key, idType, idNumber)
	for _, r := range ledger {
		if r.HolderRef == refs[r.Issuer] || r.HolderRef == legacy {
			fmt.Println("holds", r.ID)
		}
	}
	// Output:
	// same reference in edu and hrss: false
	// holds diploma-1
	// holds qualification-1
	// holds old-diploma
}
