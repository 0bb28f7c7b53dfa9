package main

import (
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway"
)

func TestServeFlagsFromEnvAndFlags(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want serveOptions
	}{
		{"defaults", nil, nil,
			serveOptions{Addr: "127.0.0.1:8080", Data: "./certledger-data", Ledger: "embedded", LogFormat: "text", CompromiseWindow: gateway.DefaultCompromiseWindow,
				MemoryLimit: 1 << 30, MaxConns: 1024, MaxConnsPerIP: 256, ImportAnchorSize: gateway.DefaultImportAnchorSize,
				PublicLimit: gateway.DefaultPublicLimit, APIKeyLimit: gateway.DefaultAPIKeyLimit, AuthFailureLimit: gateway.DefaultAuthFailureLimit}},
		{"environment", map[string]string{"CERTLEDGER_ADDR": ":9000", "CERTLEDGER_DATA": "/srv/cl", "CERTLEDGER_LEDGER": "fabric",
			"CERTLEDGER_DEMO": "true", "CERTLEDGER_PUBLIC_URL": "https://v.example", "CERTLEDGER_LOG_FORMAT": "json",
			"CERTLEDGER_COMPROMISE_WINDOW": "72h", "CERTLEDGER_GATEWAY_URLS": "https://a.example,https://b.example",
			"CERTLEDGER_MEMORY_LIMIT": "512MiB", "CERTLEDGER_BODY_MEMORY": "64MiB", "CERTLEDGER_MAX_CONNS": "100", "CERTLEDGER_MAX_CONNS_PER_IP": "-1",
			"CERTLEDGER_IMPORT_ANCHOR_SIZE": "1024", "CERTLEDGER_IMPORT_ANCHORINGS": "4",
			"CERTLEDGER_RATE_PUBLIC": "5,10", "CERTLEDGER_RATE_API_KEY": "off", "CERTLEDGER_RATE_AUTH_FAILURE": "0.5,3", "CERTLEDGER_TRUSTED_PROXIES": "10.0.0.0/8",
			"CERTLEDGER_TLS_CERT": "/etc/cl/cert.pem", "CERTLEDGER_TLS_KEY": "/etc/cl/key.pem",
			"CERTLEDGER_KEK_FILE": "/etc/cl/kek.b64", "CERTLEDGER_KEK": "text"}, nil,
			serveOptions{Addr: ":9000", Data: "/srv/cl", Ledger: "fabric", Demo: true, KEK: kekSource{File: "/etc/cl/kek.b64", Text: "text"},
				PublicURL: "https://v.example", LogFormat: "json",
				GatewayURLs: "https://a.example,https://b.example", CompromiseWindow: 72 * time.Hour,
				MemoryLimit: 512 << 20, BodyMemory: 64 << 20, MaxConns: 100, MaxConnsPerIP: -1, ImportAnchorSize: 1024, ImportAnchorings: 4,
				PublicLimit: gateway.RateLimit{Rate: 5, Burst: 10}, APIKeyLimit: gateway.Off, AuthFailureLimit: gateway.RateLimit{Rate: 0.5, Burst: 3}, TrustedProxies: "10.0.0.0/8",
				TLSCert: "/etc/cl/cert.pem", TLSKey: "/etc/cl/key.pem"}},
		{"flags win over environment", map[string]string{"CERTLEDGER_ADDR": ":9000", "CERTLEDGER_DEMO": "1", "CERTLEDGER_COMPROMISE_WINDOW": "72h", "CERTLEDGER_KEK_FILE": "/etc/cl/kek.b64"},
			[]string{"--addr", "127.0.0.1:1", "--demo=false", "--data", "d", "--kek-file", "k.b64", "--public-url", "http://x", "--compromise-window", "36h",
				"--memory-limit", "0", "--body-memory", "128MiB", "--import-limit", "100MiB", "--max-conns", "10", "--max-conns-per-ip", "5",
				"--import-anchor-size", "8192", "--import-anchorings", "1",
				"--rate-public", "off", "--rate-api-key", "1,2", "--rate-auth-failure", "off", "--trusted-proxies", "127.0.0.1", "--tls-cert", "c.pem", "--tls-key", "k.pem"},
			serveOptions{Addr: "127.0.0.1:1", Data: "d", Ledger: "embedded", KEK: kekSource{File: "k.b64"}, PublicURL: "http://x", LogFormat: "text", CompromiseWindow: 36 * time.Hour,
				BodyMemory: 128 << 20, ImportLimit: 100 << 20, MaxConns: 10, MaxConnsPerIP: 5, ImportAnchorSize: 8192, ImportAnchorings: 1,
				PublicLimit: gateway.Off, APIKeyLimit: gateway.RateLimit{Rate: 1, Burst: 2}, AuthFailureLimit: gateway.Off, TrustedProxies: "127.0.0.1", TLSCert: "c.pem", TLSKey: "k.pem"}},
	}
	cases = append(cases, struct {
		name string
		env  map[string]string
		args []string
		want serveOptions
	}{"citizen sign-in", map[string]string{"CERTLEDGER_OIDC_ISSUER": "https://id.example.gov.cn", "CERTLEDGER_OIDC_CLIENT_ID": "gw",
		"CERTLEDGER_OIDC_CLIENT_SECRET": "s3cret", "CERTLEDGER_OIDC_CLAIM_ID_NUMBER": "cert_no", "CERTLEDGER_SESSION_IDLE": "10m"},
		[]string{"--oidc-redirect-url", "https://v.example/me/callback", "--oidc-scopes", "profile,idcard", "--oidc-claim-id-type", "cert_type",
			"--oidc-claim-name", "full_name", "--session-lifetime", "8h"},
		serveOptions{OIDCIssuer: "https://id.example.gov.cn", OIDCClientID: "gw", OIDCClientSecret: "s3cret", OIDCRedirectURL: "https://v.example/me/callback",
			OIDCScopes: "profile,idcard", OIDCClaimIDType: "cert_type", OIDCClaimIDNumber: "cert_no", OIDCClaimName: "full_name",
			SessionIdle: 10 * time.Minute, SessionLifetime: 8 * time.Hour}})
	cases[len(cases)-1].want = withServeDefaults(cases[len(cases)-1].want)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"CERTLEDGER_ADDR", "CERTLEDGER_DATA", "CERTLEDGER_LEDGER", "CERTLEDGER_DEMO", "CERTLEDGER_PUBLIC_URL", "CERTLEDGER_LOG_FORMAT",
				"CERTLEDGER_COMPROMISE_WINDOW", "CERTLEDGER_GATEWAY_URLS",
				"CERTLEDGER_MEMORY_LIMIT", "CERTLEDGER_BODY_MEMORY", "CERTLEDGER_IMPORT_LIMIT", "CERTLEDGER_MAX_CONNS", "CERTLEDGER_MAX_CONNS_PER_IP",
				"CERTLEDGER_IMPORT_ANCHOR_SIZE", "CERTLEDGER_IMPORT_ANCHORINGS",
				"CERTLEDGER_RATE_PUBLIC", "CERTLEDGER_RATE_API_KEY", "CERTLEDGER_RATE_AUTH_FAILURE", "CERTLEDGER_TRUSTED_PROXIES",
				"CERTLEDGER_TLS_CERT", "CERTLEDGER_TLS_KEY", "CERTLEDGER_TIME_ZONE", "CERTLEDGER_KEK_FILE", "CERTLEDGER_KEK"} {
				t.Setenv(k, tc.env[k])
			}
			for _, k := range citizenEnv {
				t.Setenv(k, tc.env[k])
			}
			got, err := parseServeFlags(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if got.TimeZone == nil || got.TimeZone.String() != gateway.DefaultTimeZone {
				t.Fatalf("time zone %v, want %s", got.TimeZone, gateway.DefaultTimeZone)
			}
			got.TimeZone = nil
			tc.want = withCitizenDefaults(tc.want)
			if got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// The deployment's time zone: Asia/Shanghai unless CERTLEDGER_TIME_ZONE or
// --time-zone names another; the flag wins.
func TestServeTimeZone(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{"", nil, "Asia/Shanghai"},
		{"UTC", nil, "UTC"},
		{"Europe/Berlin", []string{"--time-zone", "America/New_York"}, "America/New_York"},
	} {
		t.Setenv("CERTLEDGER_TIME_ZONE", tc.env)
		o, err := parseServeFlags(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if o.TimeZone.String() != tc.want {
			t.Errorf("env %q, args %q: time zone %s, want %s", tc.env, tc.args, o.TimeZone, tc.want)
		}
	}
	// The host's zone is no deployment's: it would change with the machine.
	t.Setenv("CERTLEDGER_TIME_ZONE", "")
	if _, err := parseServeFlags([]string{"--time-zone", "Local"}); err == nil || !strings.Contains(err.Error(), "IANA zone") {
		t.Fatalf("--time-zone Local: %v", err)
	}
}

// citizenEnv are the sign-in variables, cleared around each case.
var citizenEnv = []string{"CERTLEDGER_OIDC_ISSUER", "CERTLEDGER_OIDC_CLIENT_ID", "CERTLEDGER_OIDC_CLIENT_SECRET", "CERTLEDGER_OIDC_CLIENT_SECRET_FILE",
	"CERTLEDGER_OIDC_REDIRECT_URL", "CERTLEDGER_OIDC_SCOPES", "CERTLEDGER_OIDC_CLAIM_ID_TYPE", "CERTLEDGER_OIDC_CLAIM_ID_NUMBER",
	"CERTLEDGER_OIDC_CLAIM_NAME", "CERTLEDGER_SESSION_IDLE", "CERTLEDGER_SESSION_LIFETIME"}

// withCitizenDefaults fills the sign-in options a case leaves unset.
func withCitizenDefaults(o serveOptions) serveOptions {
	if o.OIDCScopes == "" {
		o.OIDCScopes = "profile"
	}
	if o.OIDCClaimIDType == "" {
		o.OIDCClaimIDType = gateway.DefaultClaimIDType
	}
	if o.OIDCClaimIDNumber == "" {
		o.OIDCClaimIDNumber = gateway.DefaultClaimIDNumber
	}
	if o.OIDCClaimName == "" {
		o.OIDCClaimName = gateway.DefaultClaimName
	}
	if o.OIDCClaimDept == "" {
		o.OIDCClaimDept = gateway.DefaultClaimDept
	}
	if o.OIDCClaimRoles == "" {
		o.OIDCClaimRoles = gateway.DefaultClaimRoles
	}
	if o.SessionIdle == 0 {
		o.SessionIdle = gateway.DefaultSessionIdle
	}
	if o.SessionLifetime == 0 {
		o.SessionLifetime = gateway.DefaultSessionLifetime
	}
	return o
}

// withServeDefaults fills the general options of the "defaults" case.
func withServeDefaults(o serveOptions) serveOptions {
	o.Addr, o.Data, o.Ledger, o.LogFormat, o.CompromiseWindow = "127.0.0.1:8080", "./certledger-data", "embedded", "text", gateway.DefaultCompromiseWindow
	o.MemoryLimit, o.MaxConns, o.MaxConnsPerIP, o.ImportAnchorSize = 1<<30, 1024, 256, gateway.DefaultImportAnchorSize
	o.PublicLimit, o.APIKeyLimit, o.AuthFailureLimit = gateway.DefaultPublicLimit, gateway.DefaultAPIKeyLimit, gateway.DefaultAuthFailureLimit
	return o
}

func TestServeRejectsBadInput(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad boolean in env", map[string]string{"CERTLEDGER_DEMO": "yes please"}, nil, "CERTLEDGER_DEMO"},
		{"bad duration in env", map[string]string{"CERTLEDGER_COMPROMISE_WINDOW": "a week"}, nil, "CERTLEDGER_COMPROMISE_WINDOW"},
		{"window not positive", nil, []string{"--compromise-window", "0s", "--data", "DATA"}, "compromise window"},
		{"unknown ledger", nil, []string{"--ledger", "paper", "--data", "DATA"}, "unknown ledger"},
		{"bad log format", nil, []string{"--log-format", "xml", "--data", "DATA"}, "log format"},
		{"stray argument", nil, []string{"now"}, "unexpected"},
		{"bad gateway URL", nil, []string{"--gateway-urls", "https://a.example,ftp://b", "--data", "DATA"}, "gateway URL"},
		{"department gateway without URL", nil, []string{"--department-gateways", "samr=https://a.example,edu", "--data", "DATA"}, "not key=value"},
		{"department gateway twice", nil, []string{"--department-gateways", "edu=https://a.example,edu=https://b.example", "--data", "DATA"}, "twice"},
		{"bad department gateway URL", nil, []string{"--department-gateways", "edu=ftp://b", "--data", "DATA"}, "of department edu"},
		{"bad department ID", nil, []string{"--department-gateways", "Edu Bureau=https://b.example", "--data", "DATA"}, "not a department ID"},
		{"bad memory limit in env", map[string]string{"CERTLEDGER_MEMORY_LIMIT": "lots"}, nil, "CERTLEDGER_MEMORY_LIMIT"},
		{"bad body memory in env", map[string]string{"CERTLEDGER_BODY_MEMORY": "much"}, nil, "CERTLEDGER_BODY_MEMORY"},
		{"bad import limit in env", map[string]string{"CERTLEDGER_IMPORT_LIMIT": "-1"}, nil, "CERTLEDGER_IMPORT_LIMIT"},
		{"bad rate limit in env", map[string]string{"CERTLEDGER_RATE_PUBLIC": "fast"}, nil, "CERTLEDGER_RATE_PUBLIC"},
		{"anchored batch too large", nil, []string{"--import-anchor-size", "8193", "--data", "DATA"}, "import anchor size"},
		{"unknown time zone in env", map[string]string{"CERTLEDGER_TIME_ZONE": "Mars/Olympus"}, nil, "CERTLEDGER_TIME_ZONE"},
		{"no key-encryption key", nil, []string{"--data", "DATA"}, "kek generate"},
		{"key-encryption key twice", map[string]string{"CERTLEDGER_KEK": "x"}, []string{"--data", "DATA", "--kek-file", "k"}, "not both"},
		{"key-encryption key that is not one", map[string]string{"CERTLEDGER_KEK": "c2hvcnQ="}, []string{"--data", "DATA"}, "CERTLEDGER_KEK"},
		{"missing key-encryption key file", nil, []string{"--data", "DATA", "--kek-file", "DATA/none"}, "no such file"},
		{"demo with another provider", nil, []string{"--demo", "--oidc-issuer", "https://id.example.gov.cn", "--data", "DATA"}, "--demo runs its own"},
		{"session idle not positive", nil, []string{"--session-idle", "0s", "--data", "DATA"}, "session durations"},
		{"bad session lifetime in env", map[string]string{"CERTLEDGER_SESSION_LIFETIME": "a day"}, nil, "CERTLEDGER_SESSION_LIFETIME"},
		{"secret twice", map[string]string{"CERTLEDGER_OIDC_CLIENT_SECRET": "x"}, []string{"--oidc-client-secret-file", "f", "--data", "DATA"}, "client secret once"},
		{"http issuer elsewhere", nil, []string{"--oidc-issuer", "http://id.example.gov.cn", "--oidc-client-id", "gw", "--data", "DATA"}, "must use https"},
		{"issuer without client ID", nil, []string{"--oidc-issuer", "https://id.example.gov.cn", "--data", "DATA"}, "client ID"},
		{"idle longer than lifetime", nil, []string{"--session-idle", "2h", "--session-lifetime", "1h", "--oidc-issuer", "https://id.example.gov.cn", "--oidc-client-id", "gw", "--data", "DATA"}, "idle timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range append([]string{"CERTLEDGER_DEMO", "CERTLEDGER_COMPROMISE_WINDOW", "CERTLEDGER_MEMORY_LIMIT", "CERTLEDGER_BODY_MEMORY", "CERTLEDGER_IMPORT_LIMIT", "CERTLEDGER_RATE_PUBLIC", "CERTLEDGER_TIME_ZONE", "CERTLEDGER_KEK", "CERTLEDGER_KEK_FILE"}, citizenEnv...) {
				t.Setenv(k, tc.env[k])
			}
			args := append([]string(nil), tc.args...)
			data := t.TempDir()
			for i, a := range args {
				args[i] = strings.Replace(a, "DATA", data, 1)
			}
			err := runServe(args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("runServe(%v) = %v, want an error mentioning %q", args, err, tc.want)
			}
			if code := exitCode(err); code != 2 {
				t.Fatalf("exit code %d, want 2", code)
			}
		})
	}
}
