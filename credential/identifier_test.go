package credential_test

import (
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

var sampleID = credential.Identifier{TypeCode: licenceCode, Issuer: samrUSCC, Serial: "MABCDEF0123456Z9", Version: 1}

func TestIdentifierString(t *testing.T) {
	got := sampleID.String()
	body := licenceCode + samrUSCC + "MABCDEF0123456Z9" + "001"
	check, _ := credential.Mod3736(body)
	want := "1.2.156.3005.2." + licenceCode + "." + samrUSCC + ".MABCDEF0123456Z9.001." + string(check)
	if got != want {
		t.Fatalf("String() = %s, want %s", got, want)
	}
}

func TestParseIdentifier(t *testing.T) {
	valid := sampleID.String()
	check := valid[len(valid)-1]
	wrongCheck := byte('0')
	if check == '0' {
		wrongCheck = '1'
	}
	v12 := sampleID
	v12.Version = 12
	tests := []struct {
		name string
		in   string
		want *credential.Identifier
	}{
		{"valid", valid, &sampleID},
		{"valid version 12", v12.String(), &v12},
		{"one-character serial", credential.Identifier{TypeCode: diplomaCode, Issuer: eduUSCC, Serial: "7", Version: 999}.String(),
			&credential.Identifier{TypeCode: diplomaCode, Issuer: eduUSCC, Serial: "7", Version: 999}},
		{"wrong check character", valid[:len(valid)-1] + string(wrongCheck), nil},
		{"missing check character", valid[:len(valid)-2], nil},
		{"two check characters", valid + "0", nil},
		{"lower-case check character", strings.ToLower(valid[:len(valid)-1]) + strings.ToLower(string(check)), nil},
		{"lower-case serial", strings.Replace(valid, "MABCDEF", "mabcdef", 1), nil},
		{"wrong prefix", strings.Replace(valid, "1.2.156.3005.2.", "1.2.156.3005.3.", 1), nil},
		{"no prefix", strings.TrimPrefix(valid, "1.2.156.3005.2."), nil},
		{"type code without number", strings.Replace(valid, licenceCode, samrUSCC, 1), nil},
		{"type code 22 characters", strings.Replace(valid, licenceCode, licenceCode+"1", 1), nil},
		{"issuer with bad USCC check", strings.Replace(valid, "."+samrUSCC+".", ".11100000MB02000125.", 1), nil},
		{"issuer 17 characters", strings.Replace(valid, "."+samrUSCC+".", ".11100000MB0200012.", 1), nil},
		{"version two digits", strings.Replace(valid, ".001.", ".01.", 1), nil},
		{"version four digits", strings.Replace(valid, ".001.", ".0001.", 1), nil},
		{"version zero", strings.Replace(valid, ".001.", ".000.", 1), nil},
		{"version signed", strings.Replace(valid, ".001.", ".+01.", 1), nil},
		{"empty serial", strings.Replace(valid, ".MABCDEF0123456Z9.", "..", 1), nil},
		{"serial 33 characters", strings.Replace(valid, "MABCDEF0123456Z9", strings.Repeat("A", 33), 1), nil},
		{"serial with dash", strings.Replace(valid, "MABCDEF0123456Z9", "MABC-EF", 1), nil},
		{"extra part", strings.Replace(valid, ".001.", ".X.001.", 1), nil},
		{"surrounding space", " " + valid + " ", nil},
		{"empty", "", nil},
		{"junk", "证照标识", nil},
		{"only dots", "1.2.156.3005.2.....", nil},
		{"too long", valid + strings.Repeat("A", 200), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := credential.ParseIdentifier(tt.in)
			if tt.want == nil {
				wantCode(t, err, credential.CodeInvalid)
				return
			}
			if err != nil {
				t.Fatalf("ParseIdentifier(%q): %v", tt.in, err)
			}
			if got != *tt.want {
				t.Fatalf("ParseIdentifier(%q) = %+v, want %+v", tt.in, got, *tt.want)
			}
			if got.String() != tt.in {
				t.Fatalf("String() = %s, want the parsed text %s", got.String(), tt.in)
			}
		})
	}
}

func TestIdentifierValidate(t *testing.T) {
	tests := []struct {
		name string
		id   credential.Identifier
		ok   bool
	}{
		{"valid", sampleID, true},
		{"version 1000", credential.Identifier{TypeCode: licenceCode, Issuer: samrUSCC, Serial: "A", Version: 1000}, false},
		{"version 0", credential.Identifier{TypeCode: licenceCode, Issuer: samrUSCC, Serial: "A", Version: 0}, false},
		{"bad type code", credential.Identifier{TypeCode: "11100000MB02000124ABC", Issuer: samrUSCC, Serial: "A", Version: 1}, false},
		{"bad issuer", credential.Identifier{TypeCode: licenceCode, Issuer: "X", Serial: "A", Version: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.id.Validate()
			if tt.ok && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !tt.ok {
				wantCode(t, err, credential.CodeInvalid)
			}
		})
	}
}

func TestNewSerial(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 1000; i++ {
		ts := now.Add(time.Duration(i) * time.Millisecond)
		s := credential.NewSerial(ts)
		if len(s) != 16 {
			t.Fatalf("serial %q has %d characters, want 16", s, len(s))
		}
		id := credential.Identifier{TypeCode: licenceCode, Issuer: samrUSCC, Serial: s, Version: 1}
		if err := id.Validate(); err != nil {
			t.Fatalf("serial %q: %v", s, err)
		}
		if seen[s] {
			t.Fatalf("duplicate serial %q", s)
		}
		seen[s] = true
		// The time prefix makes serials of later milliseconds sort later.
		if s[:8] < prev {
			t.Fatalf("serial %q sorts before the previous prefix %q", s, prev)
		}
		prev = s[:8]
	}
	// Same millisecond: the random part still differs.
	if a, b := credential.NewSerial(now), credential.NewSerial(now); a == b {
		t.Fatal("two serials of the same millisecond are equal")
	}
}

func TestValidTypeCode(t *testing.T) {
	for in, want := range map[string]bool{
		licenceCode:              true,
		"11100000000013338W032":  true,
		"11100000000013338X032":  false,
		"11100000000013338W03":   false,
		"11100000000013338W03A":  false,
		"11100000000013338W0321": false,
		"":                       false,
	} {
		if got := credential.ValidTypeCode(in); got != want {
			t.Errorf("ValidTypeCode(%q) = %v, want %v", in, got, want)
		}
	}
}
