package network

import (
	"strings"
	"testing"
	"time"
)

func TestOptionsDefaults(t *testing.T) {
	o, err := Options{Dir: t.TempDir()}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Consensus != Raft || o.BasePort != DefaultBasePort || o.BatchTimeout != DefaultBatchTimeout ||
		o.MaxMessageCount != DefaultMaxMessageCount || o.LogSpec != DefaultLogSpec || o.Progress == nil {
		t.Errorf("defaults not applied: %+v", o)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		err  string
	}{
		{"ok raft", Options{Consensus: Raft}, ""},
		{"ok bft", Options{Consensus: BFT, BasePort: 20000}, ""},
		{"bad consensus", Options{Consensus: "solo"}, "unknown consensus"},
		{"low port", Options{BasePort: 80}, "base port"},
		{"high port", Options{BasePort: 65500}, "base port"},
		{"slow batch", Options{BatchTimeout: time.Minute}, "batch timeout"},
		{"negative count", Options{MaxMessageCount: -1}, "max message count"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Dir = t.TempDir()
			_, err := tc.o.withDefaults()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

func TestResolveOptionsKeepsRecordedSettings(t *testing.T) {
	dir := t.TempDir()
	created, err := Options{Dir: dir, Consensus: BFT, BasePort: 21000, BatchTimeout: 20 * time.Millisecond}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if err := writeState(layout{dir}, created); err != nil {
		t.Fatal(err)
	}
	o, found, err := resolveOptions(Options{Dir: dir})
	if err != nil || !found {
		t.Fatalf("resolve: %v, found %v", err, found)
	}
	if o.Consensus != BFT || o.BasePort != 21000 || o.BatchTimeout != 20*time.Millisecond {
		t.Errorf("recorded settings not used: %+v", o)
	}
	for _, bad := range []Options{
		{Dir: dir, Consensus: Raft},
		{Dir: dir, BasePort: 7000},
		{Dir: dir, BatchTimeout: time.Second},
	} {
		if _, _, err := resolveOptions(bad); err == nil || !strings.Contains(err.Error(), "was created with") {
			t.Errorf("resolve(%+v) = %v, want a conflict", bad, err)
		}
	}
}

// The settings a client does not need, and the connection profile leaves
// out, stay readable from the network folder.
func TestRecordedOptions(t *testing.T) {
	dir := t.TempDir()
	if _, err := RecordedOptions(dir); err == nil {
		t.Fatal("an empty folder has recorded options")
	}
	created, err := Options{Dir: dir, Consensus: BFT, BasePort: 21000, BatchTimeout: 20 * time.Millisecond}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if err := writeState(layout{dir}, created); err != nil {
		t.Fatal(err)
	}
	o, err := RecordedOptions(dir)
	if err != nil {
		t.Fatal(err)
	}
	if o.Consensus != BFT || o.BasePort != 21000 || o.BatchTimeout != 20*time.Millisecond || o.MaxMessageCount != created.MaxMessageCount {
		t.Errorf("recorded options %+v, want those of %+v", o, created)
	}
}
