package credential_test

import (
	"bytes"
	"testing"

	"github.com/certledger/certledger/credential"
)

func TestHolderRef(t *testing.T) {
	key1 := bytes.Repeat([]byte{1}, 32)
	key2 := bytes.Repeat([]byte{2}, 32)
	const id = "11010519491231002X"
	ref := credential.HolderRef(key1, "edu", credential.IDResidentCard, id)
	tests := []struct {
		name     string
		key      []byte
		dept     string
		idType   string
		idNumber string
		same     bool
	}{
		{"stable", key1, "edu", credential.IDResidentCard, id, true},
		{"lower-case x", key1, "edu", credential.IDResidentCard, "11010519491231002x", true},
		{"surrounding white space", key1, "edu", credential.IDResidentCard, " \t11010519491231002X\u3000", true},
		{"other department", key1, "samr", credential.IDResidentCard, id, false},
		{"other key", key2, "edu", credential.IDResidentCard, id, false},
		{"other ID type", key1, "edu", credential.IDPassport, id, false},
		{"other number", key1, "edu", credential.IDResidentCard, "440524188001010014", false},
		// Length prefixes: moving characters across a boundary changes the reference.
		{"department/type boundary", key1, "edur", "esident_id", id, false},
		{"type/number boundary", key1, "edu", credential.IDResidentCard + "1", "1010519491231002X", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := credential.HolderRef(tt.key, tt.dept, tt.idType, tt.idNumber)
			if (got == ref) != tt.same {
				t.Fatalf("HolderRef = %s, base %s, want same=%v", got, ref, tt.same)
			}
		})
	}
	// Without the key nobody can test guesses, and the department-scoped
	// reference is not the legacy one of the same holder.
	if credential.HolderRef(nil, "edu", credential.IDResidentCard, id) == ref {
		t.Fatal("reference does not depend on the key")
	}
	if credential.LegacyHolderRef(key1, credential.IDResidentCard, id) == ref {
		t.Fatal("scoped reference equals the legacy reference")
	}
}

// TestHolderRefKnownAnswers pins both encodings to values computed outside
// Go (HMAC-SHA256 over the uvarint-length-prefixed parts): records on
// existing ledgers carry the legacy value, so it must never drift.
func TestHolderRefKnownAnswers(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	const id = "11010519491231002X"
	tests := []struct {
		name, got, want string
	}{
		{"legacy", credential.LegacyHolderRef(key, credential.IDResidentCard, id),
			"d19c3ecf09a5ba39a01ade7a8e325038ce36ba8961f83674a55f2dc33374f5df"},
		{"edu", credential.HolderRef(key, "edu", credential.IDResidentCard, id),
			"f8bce6ce623662f6ced13a4ea91e96ee6f29150e49e805a7a41816901415e4b7"},
		{"samr", credential.HolderRef(key, "samr", credential.IDResidentCard, id),
			"8ac70a560a2c1e8140535f9ab5fc3b053f91451239827fffc83b9b573ab2d9a0"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestHolderRefs(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	refs := credential.HolderRefs(key, []string{"samr", "edu"}, credential.IDResidentCard, "11010519491231002x")
	if len(refs) != 2 {
		t.Fatalf("refs %v, want two", refs)
	}
	for dept, ref := range refs {
		if want := credential.HolderRef(key, dept, credential.IDResidentCard, "11010519491231002X"); ref != want {
			t.Errorf("%s: %s, want %s", dept, ref, want)
		}
	}
	if refs["samr"] == refs["edu"] {
		t.Fatal("two departments share a reference")
	}
}
