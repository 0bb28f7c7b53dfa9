package credential

import (
	"crypto/rand"
	"strconv"
	"strings"
	"time"
)

// IdentifierPrefix is the GB/T 36904 object identifier arc under which
// e-licence identifiers are allocated.
const IdentifierPrefix = "1.2.156.3005.2."

// Identifier is a GB/T 36904 e-licence identifier:
// 1.2.156.3005.2.<type code>.<issuer USCC>.<serial>.<version>.<check>.
type Identifier struct {
	TypeCode string // 18-character USCC of the defining authority + 3 digits
	Issuer   string // issuing department's USCC
	Serial   string // unique per issuer and type; 0-9A-Z
	Version  int    // 1..999
}

// Serial length bounds; generated serials use serialLen characters.
const (
	minSerialLen = 1
	maxSerialLen = 32
	serialLen    = 16
)

// ValidTypeCode reports whether code is a credential type code: a valid USCC
// followed by three digits.
func ValidTypeCode(code string) bool {
	if len(code) != 21 || !ValidUSCC(code[:18]) {
		return false
	}
	for i := 18; i < 21; i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

func validSerial(s string) bool {
	if len(s) < minSerialLen || len(s) > maxSerialLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alnum36, s[i]) < 0 {
			return false
		}
	}
	return true
}

// Validate checks every part of id.
func (id Identifier) Validate() error {
	switch {
	case !ValidTypeCode(id.TypeCode):
		return Errorf(ReasonInvalidIdentifier, "type code %q is not a USCC followed by three digits", id.TypeCode)
	case !ValidUSCC(id.Issuer):
		return Errorf(ReasonInvalidIdentifier, "issuer code %q is not a valid unified social credit code", id.Issuer)
	case !validSerial(id.Serial):
		return Errorf(ReasonInvalidIdentifier, "serial %q must be 1-%d characters of 0-9 and A-Z", id.Serial, maxSerialLen)
	case id.Version < 1 || id.Version > 999:
		return Errorf(ReasonInvalidIdentifier, "version %d is outside 1-999", id.Version)
	}
	return nil
}

// version3 formats a version as three digits (1..999; wider values keep
// their digits).
func version3(v int) string {
	s := strconv.Itoa(v)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

func (id Identifier) body() string {
	return id.TypeCode + id.Issuer + id.Serial + version3(id.Version)
}

// String formats id with its check character. It assumes id is valid.
func (id Identifier) String() string {
	v := version3(id.Version)
	p := 36
	for _, part := range [...]string{id.TypeCode, id.Issuer, id.Serial, v} {
		p, _ = mod3736(p, part)
	}
	b := make([]byte, 0, len(IdentifierPrefix)+len(id.TypeCode)+len(id.Issuer)+len(id.Serial)+len(v)+5)
	b = append(append(append(b, IdentifierPrefix...), id.TypeCode...), '.')
	b = append(append(b, id.Issuer...), '.')
	b = append(append(b, id.Serial...), '.')
	b = append(append(b, v...), '.', mod3736Check(p))
	return string(b)
}

// ParseIdentifier parses and validates an identifier, including its check
// character.
func ParseIdentifier(s string) (Identifier, error) {
	if len(s) > 128 {
		return Identifier{}, Errorf(ReasonInvalidIdentifier, "identifier is too long")
	}
	rest, ok := strings.CutPrefix(s, IdentifierPrefix)
	if !ok {
		return Identifier{}, Errorf(ReasonInvalidIdentifier, "identifier must start with %s", IdentifierPrefix)
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 5 {
		return Identifier{}, Errorf(ReasonInvalidIdentifier, "identifier must have type code, issuer, serial, version and check character")
	}
	if len(parts[3]) != 3 {
		return Identifier{}, Errorf(ReasonInvalidIdentifier, "identifier version must be three digits")
	}
	v, err := strconv.Atoi(parts[3])
	if err != nil || parts[3][0] == '+' || parts[3][0] == '-' {
		return Identifier{}, Errorf(ReasonInvalidIdentifier, "identifier version must be three digits")
	}
	id := Identifier{TypeCode: parts[0], Issuer: parts[1], Serial: parts[2], Version: v}
	if err := id.Validate(); err != nil {
		return Identifier{}, err
	}
	want, _ := Mod3736(id.body())
	if len(parts[4]) != 1 || parts[4][0] != want {
		return Identifier{}, Errorf(ReasonInvalidIdentifier, "identifier check character is wrong")
	}
	return id, nil
}

// NewSerial returns a serial that is unique without any shared counter: a
// millisecond timestamp in base 36 followed by random characters, so serials
// sort roughly by issue time and two gateways never need to coordinate. The
// ledger still rejects a duplicate identifier as a conflict.
func NewSerial(now time.Time) string {
	ts := strings.ToUpper(strconv.FormatInt(now.UnixMilli(), 36)) // 8-9 chars until the year 5188
	var b [serialLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("credential: crypto/rand failed: " + err.Error())
	}
	out := []byte(ts)
	for i := 0; len(out) < serialLen; i++ {
		out = append(out, alnum36[int(b[i])%36])
	}
	return string(out)
}
