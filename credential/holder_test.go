package credential_test

import (
	"bytes"
	"testing"

	"github.com/certledger/certledger/credential"
)

func TestHolderRef(t *testing.T) {
	key1 := bytes.Repeat([]byte{1}, 32)
	key2 := bytes.Repeat([]byte{2}, 32)
	ref := credential.HolderRef(key1, credential.IDResidentCard, "11010519491231002X")
	if len(ref) != 64 {
		t.Fatalf("ref %q is not hex SHA-256", ref)
	}
	tests := []struct {
		name     string
		key      []byte
		idType   string
		idNumber string
		same     bool
	}{
		{"stable", key1, credential.IDResidentCard, "11010519491231002X", true},
		{"lower-case x", key1, credential.IDResidentCard, "11010519491231002x", true},
		{"surrounding white space", key1, credential.IDResidentCard, " \t11010519491231002X\u3000", true},
		{"other key", key2, credential.IDResidentCard, "11010519491231002X", false},
		{"other ID type", key1, credential.IDPassport, "11010519491231002X", false},
		{"other number", key1, credential.IDResidentCard, "440524188001010014", false},
		// Length prefixes: moving a character between type and number changes the reference.
		{"boundary shift", key1, credential.IDResidentCard + "1", "1010519491231002X", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := credential.HolderRef(tt.key, tt.idType, tt.idNumber)
			if (got == ref) != tt.same {
				t.Fatalf("HolderRef = %s, base %s, want same=%v", got, ref, tt.same)
			}
		})
	}
	// The reference must not be the plain hash of the number: without the
	// key nobody can test guesses.
	if credential.HolderRef(nil, credential.IDResidentCard, "11010519491231002X") == ref {
		t.Fatal("reference does not depend on the key")
	}
}

func TestHolderValidate(t *testing.T) {
	tests := []struct {
		name string
		h    credential.Holder
		ok   bool
	}{
		{"resident card", credential.Holder{Name: "张三", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"}, true},
		{"organization", credential.Holder{Name: "北京示例科技有限公司", IDType: credential.IDUSCC, IDNumber: "91350100M000100Y43"}, true},
		{"passport", credential.Holder{Name: "John Smith", IDType: credential.IDPassport, IDNumber: "123456789"}, true},
		{"other", credential.Holder{Name: "王五", IDType: credential.IDOther, IDNumber: "港澳通行证 C12345678"}, true},
		{"lower-case x before Normalize", credential.Holder{Name: "张三", IDType: credential.IDResidentCard, IDNumber: "11010519491231002x"}, false},
		{"bad resident check", credential.Holder{Name: "张三", IDType: credential.IDResidentCard, IDNumber: "110105194912310020"}, false},
		{"bad USCC", credential.Holder{Name: "公司", IDType: credential.IDUSCC, IDNumber: "91350100M000100Y44"}, false},
		{"no name", credential.Holder{Name: " ", IDType: credential.IDPassport, IDNumber: "1"}, false},
		{"number too long", credential.Holder{Name: "a", IDType: credential.IDOther, IDNumber: string(bytes.Repeat([]byte{'1'}, 65))}, false},
		{"unknown type", credential.Holder{Name: "a", IDType: "driver", IDNumber: "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.h.Validate()
			if tt.ok && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !tt.ok {
				wantCode(t, err, credential.CodeInvalid)
			}
		})
	}
}

func TestHolderNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   credential.Holder
		want credential.Holder
	}{
		{"resident card", credential.Holder{Name: " 张三\u3000", IDType: " resident_id", IDNumber: " 11010519491231002x "},
			credential.Holder{Name: "张三", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"}},
		{"USCC", credential.Holder{Name: "公司", IDType: credential.IDUSCC, IDNumber: "91350100m000100y43"},
			credential.Holder{Name: "公司", IDType: credential.IDUSCC, IDNumber: "91350100M000100Y43"}},
		{"other keeps case", credential.Holder{Name: "王五", IDType: credential.IDOther, IDNumber: "abc"},
			credential.Holder{Name: "王五", IDType: credential.IDOther, IDNumber: "abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Normalize(); got != tt.want {
				t.Fatalf("Normalize() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
