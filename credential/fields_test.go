package credential_test

import (
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
)

func TestNormalizeValue(t *testing.T) {
	str := credential.FieldSpec{Name: "s", Type: credential.FieldString}
	short := credential.FieldSpec{Name: "s", Type: credential.FieldString, MaxLength: 4}
	date := credential.FieldSpec{Name: "d", Type: credential.FieldDate}
	num := credential.FieldSpec{Name: "n", Type: credential.FieldNumber}
	const bad = "\x00bad"
	tests := []struct {
		name string
		spec credential.FieldSpec
		in   string
		want string // bad: an error is expected
	}{
		{"Chinese name", str, "张三", "张三"},
		{"Chinese address with full-width digits", str, "北京市海淀区中关村大街１号", "北京市海淀区中关村大街１号"},
		{"trims ASCII space", str, "  王小明 ", "王小明"},
		{"trims ideographic space", str, "\u3000李四\u3000", "李四"},
		{"keeps inner ideographic space", str, "李\u3000四", "李\u3000四"},
		{"keeps inner newline", str, "第一行\n第二行", "第一行\n第二行"},
		{"mixed scripts and emoji", str, "Zhang 张 🎓", "Zhang 张 🎓"},
		{"empty", str, "", ""},
		{"carriage return", str, "a\rb", bad},
		{"tab", str, "a\tb", bad},
		{"NUL", str, "a\x00b", bad},
		{"right-to-left override", str, "abc\u202edef", bad},
		{"invalid UTF-8", str, "a\xffb", bad},
		{"max length counts characters not bytes", short, "中华人民", "中华人民"},
		{"too long", short, "中华人民共", bad},
		{"default maximum", str, strings.Repeat("字", credential.DefaultMaxStringLength), strings.Repeat("字", credential.DefaultMaxStringLength)},
		{"over default maximum", str, strings.Repeat("字", credential.DefaultMaxStringLength+1), bad},

		{"date", date, "2024-02-29", "2024-02-29"},
		{"date trimmed", date, " 2024-02-29 ", "2024-02-29"},
		{"date not a leap day", date, "2023-02-29", bad},
		{"date month 13", date, "2024-13-01", bad},
		{"date without zero padding", date, "2024-2-9", bad},
		{"date with time", date, "2024-02-09T00:00:00Z", bad},
		{"Chinese date", date, "2024年2月9日", bad},
		{"empty date", date, "", bad},

		{"integer", num, "42", "42"},
		{"zero", num, "0", "0"},
		{"negative", num, "-7.5", "-7.5"},
		{"trailing fractional zeros", num, "100.500", "100.5"},
		{"integral with fraction zeros", num, "100.00", "100"},
		{"negative zero", num, "-0", "0"},
		{"negative zero with fraction", num, "-0.000", "0"},
		{"trimmed", num, " 3.14 ", "3.14"},
		{"18 integer digits", num, "123456789012345678", "123456789012345678"},
		{"19 integer digits", num, "1234567890123456789", bad},
		{"9 fractional digits", num, "1.123456789", bad},
		{"leading zero", num, "007", bad},
		{"plus sign", num, "+1", bad},
		{"exponent", num, "1e3", bad},
		{"comma", num, "1,000", bad},
		{"trailing dot", num, "1.", bad},
		{"leading dot", num, ".5", bad},
		{"Chinese numeral", num, "一百", bad},
		{"empty number", num, "", bad},
		{"unknown type", credential.FieldSpec{Name: "x", Type: "blob"}, "x", bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := credential.NormalizeValue(tt.spec, tt.in)
			if tt.want == bad {
				wantCode(t, err, credential.CodeInvalid)
				return
			}
			if err != nil {
				t.Fatalf("NormalizeValue(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("NormalizeValue(%q) = %q, want %q", tt.in, got, tt.want)
			}
			// Canonical text is a fixed point.
			again, err := credential.NormalizeValue(tt.spec, got)
			if err != nil || again != got {
				t.Fatalf("NormalizeValue(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}
