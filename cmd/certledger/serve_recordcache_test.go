package main

import (
	"testing"

	"github.com/certledger/certledger/gateway/ledger/fabricledger"
)

func TestRecordCacheSize(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    int // after fabricledger's defaults
		wantErr bool
	}{
		{"", 100_000, false},
		{"0", -1, false},
		{"500", 500, false},
		{"-1", 0, true},
		{"lots", 0, true},
	} {
		n, err := recordCacheSize(c.in)
		if (err != nil) != c.wantErr {
			t.Fatalf("%q: error %v", c.in, err)
		}
		if err != nil {
			continue
		}
		if got := (fabricledger.Options{RecordCacheSize: n}).WithDefaults().RecordCacheSize; got != c.want {
			t.Fatalf("%q: size %d, want %d", c.in, got, c.want)
		}
	}
}
