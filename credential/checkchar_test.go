package credential_test

import (
	"testing"

	"github.com/certledger/certledger/credential"
)

func TestMod3736(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check byte
		ok    bool
	}{
		{"ISO 7064 example", "A12425GABC1234002", 'M', true},
		{"empty input", "", '1', true}, // P stays 36: (37-36) mod 36 = 1
		{"lower case is outside the set", "a12425GABC1234002", 0, false},
		{"punctuation", "A1242-5", 0, false},
		{"Chinese", "证照", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check, ok := credential.Mod3736(tt.in)
			if ok != tt.ok || check != tt.check {
				t.Fatalf("Mod3736(%q) = %q, %v; want %q, %v", tt.in, check, ok, tt.check, tt.ok)
			}
		})
	}
}

// A check character must catch every single-character substitution.
func TestMod3736DetectsSubstitutions(t *testing.T) {
	const s = "A12425GABC1234002"
	want, _ := credential.Mod3736(s)
	const set = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(set); j++ {
			if set[j] == s[i] {
				continue
			}
			mut := s[:i] + string(set[j]) + s[i+1:]
			if got, _ := credential.Mod3736(mut); got == want {
				t.Fatalf("substitution %q -> %q keeps check %q", s, mut, got)
			}
		}
	}
}

func TestValidUSCC(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"national vector", "11100000000013338W", true},
		{"common example", "91350100M000100Y43", true},
		{"demo department", "11100000MB0300013R", true},
		{"wrong check character", "11100000000013338X", false},
		{"lower-case check character", "11100000MB0300013r", false},
		{"excluded letter I", "1110000I000013338W", false},
		{"excluded letter O", "1110000O000013338W", false},
		{"17 characters", "11100000000013338", false},
		{"19 characters", "11100000000013338W0", false},
		{"empty", "", false},
		{"Chinese", "一一一〇〇〇〇〇〇〇〇〇一三三三八W", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := credential.ValidUSCC(tt.in); got != tt.want {
				t.Fatalf("ValidUSCC(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidResidentID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"GB 11643 example with X", "11010519491231002X", true},
		{"digit check", "440524188001010014", true},
		{"lower-case x", "11010519491231002x", false},
		{"wrong check digit", "110105194912310021", false},
		{"two digits swapped", "11010591491231002X", false},
		{"15-digit old format", "110105491231002", false},
		{"letter in body", "1101051949123100AX", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := credential.ValidResidentID(tt.in); got != tt.want {
				t.Fatalf("ValidResidentID(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
