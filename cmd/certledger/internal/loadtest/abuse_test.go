package loadtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"image"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway"
)

// TestAbusePayloads checks each payload is what its case claims: the bomb
// inflates, through two gunzips, to exactly its zeros; the picture is a
// white PNG of its side; the padded bodies have their exact size.
func TestAbusePayloads(t *testing.T) {
	const zeros = 3 << 20
	bomb, err := gzipBomb(zeros)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := gzip.NewReader(bytes.NewReader(bomb))
	if err != nil {
		t.Fatal(err)
	}
	inner, err := gzip.NewReader(outer)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(inner) // checks the CRC and size of the inner member too
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != zeros || bytes.ContainsFunc(got, func(r rune) bool { return r != 0 }) {
		t.Fatalf("the bomb inflates to %d bytes, not %d zeros", len(got), zeros)
	}
	if len(bomb) > 8<<10 {
		t.Errorf("the bomb is %d bytes", len(bomb))
	}

	pic, err := blankPNG(37)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pic))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 37, 37) {
		t.Fatalf("picture bounds %v", img.Bounds())
	}
	for _, p := range []image.Point{{0, 0}, {36, 36}, {5, 20}} {
		if r, g, b, a := img.At(p.X, p.Y).RGBA(); r&g&b&a != 0xffff {
			t.Fatalf("pixel %v is not white: %v", p, img.At(p.X, p.Y))
		}
	}

	form, ct, err := paddedUploadForm(100_000)
	if err != nil || len(form) != 100_000 {
		t.Fatalf("upload form of %d bytes, %v", len(form), err)
	}
	_, params, _ := mime.ParseMediaType(ct)
	mf, err := multipart.NewReader(bytes.NewReader(form), params["boundary"]).ReadForm(1 << 20)
	if err != nil || len(mf.File["qr"]) != 1 {
		t.Fatalf("upload form: %v, files %v", err, mf)
	}
	if body, err := paddedVerifyBody(4096); err != nil || len(body) != 4096 || !bytes.HasPrefix(body, []byte(`{"document":"`)) {
		t.Fatalf("verify body of %d bytes, %v", len(body), err)
	}
}

// TestAbuseJudge checks the verdicts at the edges of the targets.
func TestAbuseJudge(t *testing.T) {
	result := func(kind AbuseKind, peak int64, status map[int]int, noRetryAfter int) AbuseResult {
		n := 0
		for _, c := range status {
			n += c
		}
		r := AbuseResult{Case: AbuseCase{Name: string(kind), Kind: kind}, PeakRSS: peak, Survived: true, Elapsed: time.Second,
			tally: &tally{Requests: n, Status: status, NoRetryAfter: noRetryAfter, ErrorKinds: map[string]int{}}}
		r.judge()
		return r
	}
	for _, tc := range []struct {
		name string
		r    AbuseResult
		pass bool
	}{
		{"bomb under the target", result(KindGzipBomb, AbusePeakRSS-1, map[int]int{415: 10}, 0), true},
		{"bomb at the target", result(KindGzipBomb, AbusePeakRSS, map[int]int{415: 10}, 0), false},
		{"flood without a reading", result(KindBodyFlood, 0, map[int]int{400: 10}, 0), false},
		{"wrong keys mostly 429", result(KindWrongKey, 1, map[int]int{401: 10, 429: 90}, 0), true},
		{"wrong keys too few 429", result(KindWrongKey, 1, map[int]int{401: 11, 429: 89}, 0), false},
		{"429 without Retry-After", result(KindWrongKey, 1, map[int]int{401: 1, 429: 99}, 1), false},
	} {
		if tc.r.Pass != tc.pass {
			t.Errorf("%s: pass %v, want %v (notes %q)", tc.name, tc.r.Pass, tc.pass, tc.r.Notes)
		}
	}
	dead := result(KindPicture, 1, map[int]int{413: 1}, 0)
	dead.Survived = false
	if dead.judge(); dead.Pass {
		t.Error("a gateway that did not survive passed")
	}
	if r := result(KindGzipBomb, 1, map[int]int{200: 1, 415: 3}, 0); !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "Unexpected answers: 200 x 1") }) {
		t.Errorf("an unexpected answer is not noted: %q", r.Notes)
	}
}

// TestRunAbuseScaledDown runs every kind of case, small and short, each
// against a fresh gateway built from this module, and checks the answers:
// 415 for the bomb, 413 for the oversized picture, 400 or 503 for floods,
// 429 with Retry-After for wrong keys. It checks no timings.
func TestRunAbuseScaledDown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds certledger and starts gateways")
	}
	if runtime.GOOS != "linux" {
		t.Skip(ErrNoProcStatus)
	}
	exe := filepath.Join(t.TempDir(), "certledger")
	build := exec.Command("go", "build", "-o", exe, "github.com/certledger/certledger/cmd/certledger")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("building certledger: %v", err)
	}
	short := 300 * time.Millisecond
	cases := []AbuseCase{
		{Name: "bomb", Kind: KindGzipBomb, Path: "/api/v1/verify", Clients: 4, Duration: short, Size: 8 << 20, ServeArgs: perAddressOff},
		{Name: "over cap", Kind: KindPicture, Path: "/v", Clients: 2, Duration: short, Size: 2900, ServeArgs: perAddressOff},
		{Name: "within cap", Kind: KindPicture, Path: "/v", Clients: 2, Duration: short, Size: 64, ServeArgs: perAddressOff},
		{Name: "upload flood", Kind: KindUploadFlood, Path: "/v", Clients: 8, Rounds: 1, Size: 4 << 20, ServeArgs: perAddressOff},
		{Name: "verify flood", Kind: KindBodyFlood, Path: "/api/v1/verify", Clients: 16, Rounds: 2, Size: 256 << 10, ServeArgs: perAddressOff},
		{Name: "wrong keys", Kind: KindWrongKey, Path: "/api/v1/me", Clients: 4, Duration: short},
	}
	rep, err := RunAbuse(context.Background(), AbuseConfig{Exe: exe, Cases: cases, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	// What each case may be answered, and the answer it must get at least
	// once.
	want := map[string]struct {
		only []int
		must int
	}{
		"bomb":         {[]int{415}, 415},
		"over cap":     {[]int{413, 503}, 413},
		"within cap":   {[]int{400, 503}, 400},
		"upload flood": {[]int{400, 503}, 400},
		"verify flood": {[]int{400}, 400},
		"wrong keys":   {[]int{401, 429}, 429},
	}
	for _, r := range rep.Results {
		w := want[r.Case.Name]
		if r.Requests == 0 || r.PeakRSS <= 0 || !r.Survived {
			t.Errorf("%s: %d requests, peak RSS %d, survived %v; notes %q", r.Case.Name, r.Requests, r.PeakRSS, r.Survived, r.Notes)
		}
		for s, n := range r.Status {
			if !slices.Contains(w.only, s) {
				t.Errorf("%s: %d answers %d, want only %v", r.Case.Name, n, s, w.only)
			}
		}
		if r.Status[w.must] == 0 {
			t.Errorf("%s: no answer %d: %s", r.Case.Name, w.must, r.statusSummary())
		}
		// A refused upload may show as a reset connection; every other
		// request gets an answer.
		if r.Case.Kind != KindUploadFlood && r.Errors > 0 {
			t.Errorf("%s: %d requests without an answer, first %s", r.Case.Name, r.Errors, r.FirstError)
		}
		if r.Case.Kind == KindWrongKey {
			l := gateway.DefaultAuthFailureLimit
			if most := l.Burst + 1 + int(l.Rate*r.Elapsed.Seconds()); r.Status[http.StatusUnauthorized] > most {
				t.Errorf("wrong keys: %d answers 401, the failure budget allows %d", r.Status[http.StatusUnauthorized], most)
			}
			if r.NoRetryAfter != 0 {
				t.Errorf("wrong keys: %d answers 429 without Retry-After", r.NoRetryAfter)
			}
		}
	}
	md := rep.Markdown("certledger bench-abuse --write docs/benchmarks.md")
	for _, want := range []string{"## Abuse: the security review's reproductions", "```sh\ncertledger bench-abuse --write docs/benchmarks.md\n```",
		"| bomb | POST /api/v1/verify: ", "| wrong keys | GET /api/v1/me: ", "`--rate-public off --max-conns-per-ip -1`"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}
