package main

import (
	"flag"

	"github.com/certledger/certledger/gateway"
	"github.com/certledger/certledger/gateway/atrest"
)

// webhookOptions are serve's webhook switches (decision 0016).
type webhookOptions struct {
	// AllowPrivate lets subscriptions target loopback, link-local and
	// private addresses; AllowHTTP, plain http URLs.
	AllowPrivate, AllowHTTP bool
}

func webhookFlags(fs *flag.FlagSet, o *serveOptions) error {
	private, err := envBool("CERTLEDGER_WEBHOOK_ALLOW_PRIVATE")
	if err != nil {
		return usageError{err}
	}
	plain, err := envBool("CERTLEDGER_WEBHOOK_ALLOW_HTTP")
	if err != nil {
		return usageError{err}
	}
	fs.BoolVar(&o.Webhooks.AllowPrivate, "webhook-allow-private", private, "let webhook subscriptions target loopback, link-local and private (RFC 1918, ULA) addresses, as for receivers inside the operator's network (env CERTLEDGER_WEBHOOK_ALLOW_PRIVATE)")
	fs.BoolVar(&o.Webhooks.AllowHTTP, "webhook-allow-http", plain, "accept plain http webhook URLs (env CERTLEDGER_WEBHOOK_ALLOW_HTTP)")
	return nil
}

// webhookConfig is the gateway's: --demo also allows loopback http targets,
// for a receiver on the demo machine.
func webhookConfig(o serveOptions, kek atrest.KEK) gateway.WebhookConfig {
	return gateway.WebhookConfig{KEK: kek, AllowPrivate: o.Webhooks.AllowPrivate, AllowHTTP: o.Webhooks.AllowHTTP || o.Demo, AllowLoopback: o.Demo}
}
