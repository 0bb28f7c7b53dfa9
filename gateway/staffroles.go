package gateway

import (
	"github.com/certledger/certledger/credential"
	"github.com/gofiber/fiber/v2"
)

// endpointRoles is the one table of which staff role each department
// endpoint needs, keyed by method and route pattern. The gateway checks it
// for API keys and staff sessions alike (authenticate); the contract checks
// the writes it sees again (docs/decisions/0020-staff-roles.md). A
// department GET missing here is open to every role; any other method
// missing here needs admin, so a new write route is closed until listed.
var endpointRoles = map[string]credential.StaffRole{
	// Clerk: what makes or remakes a credential, and the requests and
	// presentations of the department's daily work.
	"POST /api/v1/credentials":                                    credential.StaffClerk,
	"POST /api/v1/batches":                                        credential.StaffClerk,
	"POST /api/v1/credentials/:id/renew":                          credential.StaffClerk,
	"POST /api/v1/credentials/:id/change":                         credential.StaffClerk,
	"POST /api/v1/credentials/:id/reissue":                        credential.StaffClerk,
	"POST /api/v1/credentials/:id/token/rotate":                   credential.StaffClerk,
	"POST /api/v1/credentials/:id/presentations":                  credential.StaffClerk,
	"POST /api/v1/requests":                                       credential.StaffClerk,
	"POST /api/v1/credentials/:id/suspend":                        credential.StaffApprover,
	"POST /api/v1/credentials/:id/reinstate":                      credential.StaffApprover,
	"POST /api/v1/credentials/:id/revoke":                         credential.StaffApprover,
	"GET /api/v1/departments/:dept/api-keys":                      credential.StaffAdmin,
	"POST /api/v1/departments/:dept/api-keys":                     credential.StaffAdmin,
	"DELETE /api/v1/departments/:dept/api-keys/:id":               credential.StaffAdmin,
	"POST /api/v1/departments/:dept/keys":                         credential.StaffAdmin,
	"POST /api/v1/departments/:dept/keys/:kid/retire":             credential.StaffAdmin,
	"POST /api/v1/departments/:dept/keys/:kid/compromise":         credential.StaffAdmin,
	"POST /api/v1/departments/:dept/keys/:kid/compromise/confirm": credential.StaffAdmin,
	"PUT /api/v1/departments/:dept":                               credential.StaffAdmin,
	"PUT /api/v1/types/:type":                                     credential.StaffAdmin,
	"PUT /api/v1/services/:code":                                  credential.StaffAdmin,
	// Supervision subscriptions: their targets and delivery logs too.
	"POST /api/v1/subscriptions":                                      credential.StaffAdmin,
	"GET /api/v1/subscriptions":                                       credential.StaffAdmin,
	"GET /api/v1/subscriptions/:id":                                   credential.StaffAdmin,
	"DELETE /api/v1/subscriptions/:id":                                credential.StaffAdmin,
	"GET /api/v1/subscriptions/:id/deliveries":                        credential.StaffAdmin,
	"POST /api/v1/subscriptions/:id/deliveries/:deliveryId/redeliver": credential.StaffAdmin,
}

// requiredRole is the staff role the request's route needs; "" for a
// read any role may make.
func requiredRole(c *fiber.Ctx) credential.StaffRole {
	return roleFor(c.Method(), c.Route().Path)
}

func roleFor(method, route string) credential.StaffRole {
	if r, ok := endpointRoles[method+" "+route]; ok {
		return r
	}
	if method == fiber.MethodGet || method == fiber.MethodHead {
		return ""
	}
	return credential.StaffAdmin
}

// checkRole refuses a caller whose roles lack the one the route needs.
// who names the caller in the refusal: an API key's ID or "you".
func checkRole(c *fiber.Ctx, roles []credential.StaffRole, who string) error {
	need := requiredRole(c)
	if need == "" || credential.StaffRolesAllow(roles, need) {
		return nil
	}
	return credential.Errorf(credential.ReasonRoleRequired, "%s %s needs the %s role, which %s lacks", c.Method(), c.Route().Path, need, who)
}

// actingStaff is the subject of the member of staff the request was
// signed in as, for the ledger to record; empty for an API key.
func actingStaff(c *fiber.Ctx) string {
	sub, _ := c.Locals(localStaff).(string)
	return sub
}
