package gateway

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// refuseContentEncoding answers 415 to a request body in any content coding
// but identity. Fiber's Body() inflates a compressed body with no limit, so
// a few hundred bytes of nested gzip would grow to gigabytes past the body
// limit; the API never needs compressed requests, so none is accepted.
// Handlers read the body with BodyRaw, which does not inflate, as a second
// line of defence.
func refuseContentEncoding(c *fiber.Ctx) error {
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderContentEncoding) {
		for coding := range strings.SplitSeq(string(v), ",") {
			if coding = strings.TrimSpace(coding); coding != "" && !strings.EqualFold(coding, "identity") {
				return newAPIError(kindEncoding, "the request body must not be compressed; content coding %q is not accepted, send it as identity", truncate(coding, 32))
			}
		}
	}
	return c.Next()
}
