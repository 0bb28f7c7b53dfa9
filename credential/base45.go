package credential

// Base45 (RFC 9285) encodes bytes with the 45 characters of the QR
// alphanumeric mode, which packs 2 characters into 11 bits. Scanner apps hand
// QR content over as text, so binary data must become text first: Base45 in
// alphanumeric mode costs 16.5 bits per 2 bytes, base64 in byte mode 21.3.

const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var base45Values = func() [256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

// Base45EncodedLen returns the length of the Base45 encoding of n bytes.
func Base45EncodedLen(n int) int { return n/2*3 + n%2*2 }

// EncodeBase45 returns the RFC 9285 encoding of b.
func EncodeBase45(b []byte) string {
	out := make([]byte, 0, Base45EncodedLen(len(b)))
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45%45], base45Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45])
	}
	return string(out)
}

// DecodeBase45 decodes RFC 9285 text. It rejects characters outside the
// alphabet, a dangling single character, and groups whose value exceeds
// what 2 bytes (or 1 byte for a final pair) can hold, so every byte string
// has exactly one accepted encoding.
func DecodeBase45(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, Errorf(ReasonInvalidQR, "base45: length %d is not a whole number of groups", len(s))
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		end := min(i+3, len(s))
		n := 0
		for j := end - 1; j >= i; j-- {
			v := base45Values[s[j]]
			if v < 0 {
				return nil, Errorf(ReasonInvalidQR, "base45: character %q at %d is not in the alphabet", s[j], j)
			}
			n = n*45 + int(v)
		}
		if end-i == 3 {
			if n > 0xFFFF {
				return nil, Errorf(ReasonInvalidQR, "base45: group at %d exceeds 2 bytes", i)
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xFF {
				return nil, Errorf(ReasonInvalidQR, "base45: final group at %d exceeds 1 byte", i)
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
