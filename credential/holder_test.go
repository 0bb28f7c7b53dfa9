package credential_test

import (
	"bytes"
	"testing"

	"github.com/certledger/certledger/credential"
)

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
