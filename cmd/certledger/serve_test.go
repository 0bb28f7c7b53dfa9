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
			serveOptions{Addr: "127.0.0.1:8080", Data: "./certledger-data", Ledger: "embedded", LogFormat: "text", CompromiseWindow: gateway.DefaultCompromiseWindow}},
		{"environment", map[string]string{"CERTLEDGER_ADDR": ":9000", "CERTLEDGER_DATA": "/srv/cl", "CERTLEDGER_LEDGER": "fabric",
			"CERTLEDGER_DEMO": "true", "CERTLEDGER_PUBLIC_URL": "https://v.example", "CERTLEDGER_LOG_FORMAT": "json",
			"CERTLEDGER_COMPROMISE_WINDOW": "72h", "CERTLEDGER_GATEWAY_URLS": "https://a.example,https://b.example"}, nil,
			serveOptions{Addr: ":9000", Data: "/srv/cl", Ledger: "fabric", Demo: true, PublicURL: "https://v.example", LogFormat: "json",
				GatewayURLs: "https://a.example,https://b.example", CompromiseWindow: 72 * time.Hour}},
		{"flags win over environment", map[string]string{"CERTLEDGER_ADDR": ":9000", "CERTLEDGER_DEMO": "1", "CERTLEDGER_COMPROMISE_WINDOW": "72h"},
			[]string{"--addr", "127.0.0.1:1", "--demo=false", "--data", "d", "--public-url", "http://x", "--compromise-window", "36h"},
			serveOptions{Addr: "127.0.0.1:1", Data: "d", Ledger: "embedded", PublicURL: "http://x", LogFormat: "text", CompromiseWindow: 36 * time.Hour}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"CERTLEDGER_ADDR", "CERTLEDGER_DATA", "CERTLEDGER_LEDGER", "CERTLEDGER_DEMO", "CERTLEDGER_PUBLIC_URL", "CERTLEDGER_LOG_FORMAT", "CERTLEDGER_COMPROMISE_WINDOW", "CERTLEDGER_GATEWAY_URLS"} {
				t.Setenv(k, tc.env[k])
			}
			got, err := parseServeFlags(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CERTLEDGER_DEMO", tc.env["CERTLEDGER_DEMO"])
			t.Setenv("CERTLEDGER_COMPROMISE_WINDOW", tc.env["CERTLEDGER_COMPROMISE_WINDOW"])
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				if a == "DATA" {
					args[i] = t.TempDir()
				}
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
