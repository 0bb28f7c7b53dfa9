package provision

import (
	"fmt"

	"github.com/certledger/certledger/credential"
)

// DemoStaff is one entry of "staff" in demo-keys.json: a member of a demo
// department's staff and the password the demo identity provider accepts,
// with the department and roles its ID token claims.
type DemoStaff struct {
	Department string   `json:"department"`
	Username   string   `json:"username"`
	Password   string   `json:"password"`
	Roles      []string `json:"roles"`
}

// staffMember is the member of demo-keys.json listing the demo staff.
const staffMember = "staff"

// demoStaff returns one clerk, one approver and one administrator for each
// department ("samr-clerk"), with the passwords of the entries already in
// the file and new random ones for the rest; fresh names those.
func demoStaff(depts []credential.Department, old []DemoStaff) (all []DemoStaff, fresh []string, err error) {
	kept := map[string]string{}
	for _, s := range old {
		if len(s.Password) >= passwordLen {
			kept[s.Username] = s.Password
		}
	}
	for _, d := range depts {
		for _, r := range credential.AllStaffRoles {
			e := DemoStaff{Department: d.ID, Username: d.ID + "-" + string(r), Password: kept[d.ID+"-"+string(r)], Roles: []string{string(r)}}
			if e.Password == "" {
				if e.Password, err = randomPassword(); err != nil {
					return nil, nil, fmt.Errorf("provision: %w", err)
				}
				fresh = append(fresh, e.Username)
			}
			all = append(all, e)
		}
	}
	return all, fresh, nil
}
