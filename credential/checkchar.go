package credential

import "strings"

// alnum36 is the character set of ISO/IEC 7064 MOD 37,36 (digits then
// upper-case letters).
const alnum36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// Mod3736 computes the ISO/IEC 7064 MOD 37,36 hybrid-system check character
// over s, which must consist of 0-9 and A-Z. ok is false otherwise.
func Mod3736(s string) (check byte, ok bool) {
	p, ok := mod3736(36, s)
	if !ok {
		return 0, false
	}
	return mod3736Check(p), true
}

// mod3736 runs the check character's computation over s from the
// intermediate value p (36 at the start), so a string given in parts needs
// no concatenation.
func mod3736(p int, s string) (int, bool) {
	const m = 36
	for i := 0; i < len(s); i++ {
		var v int
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		default:
			return p, false
		}
		// (p+v) mod m, with m for 0: p is 1..m and v 0..m-1.
		t := p + v
		if t > m {
			t -= m
		}
		if p = 2 * t; p > m {
			p -= m + 1
		}
	}
	return p, true
}

func mod3736Check(p int) byte { return alnum36[(37-p)%36] }

// usccChars is the GB 32100 character set: digits and upper-case letters
// without I, O, Z, S and V.
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ValidUSCC reports whether s is a well-formed unified social credit code
// (GB 32100): 18 characters from the code's character set whose last one is
// the check character of the first 17.
func ValidUSCC(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccChars, s[i])
		if v < 0 {
			return false
		}
		sum += v * usccWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return s[17] == usccChars[c]
}

// ValidResidentID reports whether s is a well-formed 18-character resident
// identity card number (GB 11643): 17 digits and an ISO 7064 MOD 11-2 check
// character (0-9 or X).
func ValidResidentID(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		// Weight of position i is 2^(17-i) mod 11.
		w := 1
		for j := 0; j < 17-i; j++ {
			w = w * 2 % 11
		}
		sum += int(s[i]-'0') * w
	}
	return s[17] == "10X98765432"[sum%11]
}
