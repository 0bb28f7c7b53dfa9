package gateway

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// Webhook deliveries are signed as the Standard Webhooks convention says: an
// HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>" keyed with the
// bytes of the secret after its whsec_ prefix, sent as "v1,<base64>".

// webhookSecretPrefix marks a subscription's signing secret.
const webhookSecretPrefix = "whsec_"

// newWebhookSecret returns a fresh secret: whsec_ and 32 random bytes in
// standard base64.
func newWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return webhookSecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// webhookKey is the HMAC key of a secret.
func webhookKey(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, webhookSecretPrefix)
	if !ok {
		return nil, errors.New("a webhook secret starts with " + webhookSecretPrefix)
	}
	return base64.StdEncoding.DecodeString(rest)
}

// signWebhook returns the webhook-signature header value of one delivery.
func signWebhook(key []byte, msgID string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, timestamp, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}
