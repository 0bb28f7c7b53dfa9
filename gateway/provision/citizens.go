package provision

import (
	"crypto/rand"
	"fmt"

	"github.com/certledger/certledger/credential/demo"
)

// DemoCitizen is one entry of "citizens" in demo-keys.json: a demo holder
// and the password the demo identity provider accepts for them. The file
// is the only place the password is kept in clear; the provider keeps its
// hash.
type DemoCitizen struct {
	Name     string `json:"name"`
	IDType   string `json:"idType"`
	IDNumber string `json:"idNumber"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// passwordChars leaves out look-alikes (0/o, 1/l/i), so a password read off
// a screen is typed right; 16 of them are about 79 bits.
const passwordChars = "abcdefghjkmnpqrstuvwxyz23456789"

const passwordLen = 16

// demoCitizens returns demo.Citizens() with the passwords of the entries
// already in the file, and a new random password for each citizen without
// one; fresh names the citizens that got one.
func demoCitizens(old []DemoCitizen) (all []DemoCitizen, fresh []string, err error) {
	kept := map[string]string{}
	for _, c := range old {
		if len(c.Password) >= passwordLen {
			kept[c.Username] = c.Password
		}
	}
	for _, c := range demo.Citizens() {
		e := DemoCitizen{Name: c.Holder.Name, IDType: c.Holder.IDType, IDNumber: c.Holder.IDNumber, Username: c.Username, Password: kept[c.Username]}
		if e.Password == "" {
			if e.Password, err = randomPassword(); err != nil {
				return nil, nil, fmt.Errorf("provision: %w", err)
			}
			fresh = append(fresh, c.Username)
		}
		all = append(all, e)
	}
	return all, fresh, nil
}

func randomPassword() (string, error) {
	b := make([]byte, passwordLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		// 256 is not a multiple of 31: the first 248 values map evenly, the
		// rest are drawn again.
		for b[i] >= 248 {
			var one [1]byte
			if _, err := rand.Read(one[:]); err != nil {
				return "", err
			}
			b[i] = one[0]
		}
		b[i] = passwordChars[int(b[i])%len(passwordChars)]
	}
	return string(b), nil
}
