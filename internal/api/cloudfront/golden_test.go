package cloudfront_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"openfront/internal/apitest"
	"openfront/internal/store/storetest"
	"openfront/internal/tlsconfig"
)

var update = flag.Bool("update", false, "rewrite the .response sections of testdata/*/*.txtar")

// goldenClock is the control clock of every golden case, so timestamps in
// responses are exact.
var goldenClock = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// TestGolden runs every testdata/<Operation>/<case>.txtar as a subtest
// (OpenFront's choice: wire formats are checked against golden files,
// compared byte for byte).
//
// # File format
//
// The archive comment describes the case. Each file named "<step>.request"
// is one request, sent in file order to a fresh apitest server whose edge
// is pinned at revision 0 (so every distribution is InProgress and every
// invalidation InProgress) and whose clock is goldenClock. A request file
// is the request line ("METHOD /path?query"), header lines, a blank line
// and the body (possibly empty; the trailing newline txtar adds is sent
// too, which XML ignores). Requests are signed with the apitest
// credentials, unless the pseudo-header "X-Test-Sign" says "none" (sent
// unsigned) or "wrong-secret" (signed with another secret); pseudo-headers
// are not sent.
//
// A step whose name starts with "setup" must answer 2xx and is not
// compared. A setup step whose request is the word DEPLOY sends nothing:
// the edge reports the current revision, so what exists is Deployed (for
// the deletes, which need that). Every other step is compared with "<step>.response": the status
// line ("HTTP 201"), the headers that matter (Content-Type, ETag, Location,
// X-Amz-Request-Id), a blank line and the body, byte for byte after the
// substitution below, with a newline appended when the body has none.
// Run `go test -run TestGolden -update` to rewrite .response files, then
// read the diff.
//
// # Substitution of volatile values
//
// Generated values are replaced in responses by {{Name}} placeholders,
// named in order of first appearance within the case:
//
//	ETag<n>           values of the ETag header and of <ETag> elements
//	Id<n>             generated ids: E, I or K followed by 13 [A-Z0-9]
//	HiddenId<n>       Id<n> partly hidden (ListConflictingAliases)
//	Uuid<n>           UUIDs that are ids (in an <Id> element or the
//	                  Location header: key groups, policies)
//	Domain<n>         d/s + 13 [a-z0-9] + ".cloudfront.net"
//	CanonicalUser<n>  64+ lower-case hex digits (S3CanonicalUserId)
//	RequestId         any other UUID (after checking that x-amz-request-id,
//	                  x-amzn-RequestId and the body's RequestId agree)
//
// Requests may use any placeholder already assigned by an earlier step,
// e.g. "PUT /2020-05-31/distribution/{{Id1}}/config" with
// "If-Match: {{ETag1}}".
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(file), "testdata/"), ".txtar")
		t.Run(name, func(t *testing.T) { runGolden(t, file) })
	}
}

// TestGolden_updateRunsTwice runs every golden case again on a store whose
// Update runs its function twice, the first run rolled back
// (storetest.Rerun), as etcdstore does whenever its commit loses to
// another node's write. The responses must not change: a handler whose
// apply read the request body inside the transaction answered MissingBody
// on the second run, which two API nodes on one etcd met on about a third
// of concurrent updates.
func TestGolden_updateRunsTwice(t *testing.T) {
	if *update {
		t.Skip("-update rewrites golden files from TestGolden only")
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(file), "testdata/"), ".txtar")
		t.Run(name, func(t *testing.T) { runGolden(t, file, apitest.WithStore(storetest.Rerun)) })
	}
}

// step is one request of a golden case.
type step struct {
	name     string
	request  []byte
	response *txtar.File // nil for setup steps
}

func loadGolden(t *testing.T, file string) (*txtar.Archive, []step) {
	t.Helper()
	a, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, f := range a.Files {
		has[f.Name] = true
	}
	// A compared step without a .response file gets an empty one right
	// after its request, to be filled by -update.
	var files []txtar.File
	for _, f := range a.Files {
		files = append(files, f)
		name, ok := strings.CutSuffix(f.Name, ".request")
		if ok && !strings.HasPrefix(name, "setup") && !has[name+".response"] {
			if !*update {
				t.Fatalf("%s: step %s has no .response file (run with -update)", file, name)
			}
			files = append(files, txtar.File{Name: name + ".response"})
		}
	}
	a.Files = files
	var steps []step
	for i, f := range a.Files {
		if name, ok := strings.CutSuffix(f.Name, ".request"); ok {
			steps = append(steps, step{name: name, request: f.Data})
			continue
		}
		if name, ok := strings.CutSuffix(f.Name, ".response"); ok {
			if len(steps) == 0 || steps[len(steps)-1].name != name {
				t.Fatalf("%s: %s does not follow %s.request", file, f.Name, name)
			}
			steps[len(steps)-1].response = &a.Files[i]
		}
	}
	if len(steps) == 0 {
		t.Fatalf("%s: no .request file", file)
	}
	return a, steps
}

func runGolden(t *testing.T, file string, opts ...apitest.Option) {
	a, steps := loadGolden(t, file)
	s := newGoldenServer(t, opts...)
	vars := newSubstitutions()
	changed := false
	for _, st := range steps {
		if strings.TrimSpace(string(st.request)) == "DEPLOY" {
			// The pinned edge reports the current revision: every resource
			// is Deployed until the next change.
			if err := s.Fleet.Report(context.Background(), "pinned-edge", s.Revision(t)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		req := parseRequest(t, s, st.name, vars.expand(t, string(st.request)))
		resp := s.Do(t, req)
		checkRequestID(t, st.name, resp)
		got := vars.normalise(renderResponse(resp))
		if st.response == nil {
			if resp.Status/100 != 2 {
				t.Fatalf("setup step %s: %s", st.name, got)
			}
			continue
		}
		if got == string(st.response.Data) {
			continue
		}
		if *update {
			st.response.Data = []byte(got)
			changed = true
			continue
		}
		t.Errorf("step %s: response differs from %s (run with -update to accept)\n--- got\n%s--- want\n%s", st.name, file, got, st.response.Data)
	}
	if changed {
		if err := os.WriteFile(file, txtar.Format(a), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// goldenCertificate is the one viewer certificate of the golden server:
// ACMCertificateArn arn:aws:acm:us-east-1:123456789012:certificate/golden,
// for example.com and *.example.com.
type goldenCertificate struct{}

func (goldenCertificate) Check(name string, aliases []string) error {
	if name != "arn:aws:acm:us-east-1:123456789012:certificate/golden" {
		return fmt.Errorf("certificate %q not found", name)
	}
	for _, a := range aliases {
		if !tlsconfig.Covers([]string{"example.com", "*.example.com"}, a) {
			return fmt.Errorf("certificate %q does not cover %q", name, a)
		}
	}
	return nil
}

// newGoldenServer is an apitest server with a fixed clock, an edge pinned
// at revision 0 and goldenCertificate.
func newGoldenServer(t testing.TB, opts ...apitest.Option) *apitest.Server {
	s := apitest.NewServer(t, append([]apitest.Option{apitest.WithCertificates(goldenCertificate{})}, opts...)...)
	s.Control.SetClock(func() time.Time { return goldenClock })
	if err := s.Fleet.Report(context.Background(), "pinned-edge", 0); err != nil {
		t.Fatal(err)
	}
	return s
}

// parseRequest reads a request file (after placeholder expansion) and
// signs it as its X-Test-Sign pseudo-header says.
func parseRequest(t *testing.T, s *apitest.Server, stepName, text string) *http.Request {
	t.Helper()
	head, body, _ := strings.Cut(text, "\n\n")
	lines := strings.Split(head, "\n")
	method, target, ok := strings.Cut(lines[0], " ")
	if !ok {
		t.Fatalf("step %s: bad request line %q", stepName, lines[0])
	}
	req := s.NewRequest(t, method, target, body)
	req.Header.Del("Content-Type")
	sign := ""
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("step %s: bad header line %q", stepName, l)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if strings.EqualFold(k, "X-Test-Sign") {
			sign = v
			continue
		}
		req.Header.Add(k, v)
	}
	switch sign {
	case "":
		apitest.Sign(t, req, body, "")
	case "wrong-secret":
		apitest.Sign(t, req, body, "not-the-secret")
	case "none":
	default:
		t.Fatalf("step %s: unknown X-Test-Sign %q", stepName, sign)
	}
	return req
}

var goldenHeaders = []string{"Content-Type", "ETag", "Location", "X-Amz-Request-Id"}

func renderResponse(r *apitest.Response) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", r.Status)
	for _, h := range goldenHeaders {
		for _, v := range r.Header.Values(h) {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	b.WriteString("\n")
	b.Write(r.Body)
	if len(r.Body) > 0 && r.Body[len(r.Body)-1] != '\n' {
		b.WriteString("\n")
	}
	return b.String()
}

var bodyRequestID = regexp.MustCompile(`<RequestId>([^<]*)</RequestId>`)

// checkRequestID: both request-id headers carry the same id, which is the
// error body's RequestId when there is one (OpenFront's choice: every
// response carries x-amz-request-id and x-amzn-RequestId with one value).
func checkRequestID(t *testing.T, stepName string, r *apitest.Response) {
	t.Helper()
	id := r.Header.Get("X-Amz-Request-Id")
	if id == "" || r.Header.Get("X-Amzn-Requestid") != id {
		t.Errorf("step %s: request ids %q / %q", stepName, id, r.Header.Get("X-Amzn-Requestid"))
	}
	if m := bodyRequestID.FindSubmatch(r.Body); m != nil && string(m[1]) != id {
		t.Errorf("step %s: body RequestId %q, header %q", stepName, m[1], id)
	}
}

// substitutions maps volatile values to placeholder names and back.
type substitutions struct {
	names  map[string]string // value -> name
	values map[string]string // name -> value
	count  map[string]int    // kind -> last number
}

func newSubstitutions() *substitutions {
	return &substitutions{names: map[string]string{}, values: map[string]string{}, count: map[string]int{}}
}

var (
	etagHeader    = regexp.MustCompile(`(?m)^ETag: (\S+)$`)
	etagElement   = regexp.MustCompile(`<ETag>([^<]+)</ETag>`)
	generatedID   = regexp.MustCompile(`\b[CEIKP][A-Z0-9]{13}\b`)
	uuidID        = regexp.MustCompile(`<Id>([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})</Id>|(?m)^Location: .*/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
	domainName    = regexp.MustCompile(`\b[ds][a-z0-9]{13}\.cloudfront\.net\b`)
	canonicalUser = regexp.MustCompile(`\b[0-9a-f]{64,}\b`)
	uuid          = regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	placeholder   = regexp.MustCompile(`\{\{([A-Za-z]+[0-9]*)\}\}`)
	// TestFunction's ComputeUtilization is measured, so it varies.
	computeUtilization = regexp.MustCompile(`<ComputeUtilization>[0-9]+</ComputeUtilization>`)
)

func (s *substitutions) name(kind, value string) {
	if _, ok := s.names[value]; ok {
		return
	}
	s.count[kind]++
	n := fmt.Sprintf("%s%d", kind, s.count[kind])
	s.names[value], s.values[n] = n, value
}

// normalise names the new volatile values of a rendered response and
// replaces all known ones with their placeholders.
func (s *substitutions) normalise(text string) string {
	for _, re := range []*regexp.Regexp{etagHeader, etagElement} {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			s.name("ETag", m[1])
		}
	}
	for _, kind := range []struct {
		name string
		re   *regexp.Regexp
	}{{"Id", generatedID}, {"Domain", domainName}, {"CanonicalUser", canonicalUser}} {
		for _, v := range kind.re.FindAllString(text, -1) {
			if _, isETag := s.names[v]; !isETag {
				s.name(kind.name, v)
			}
		}
	}
	// A generated id as ListConflictingAliases shows it, partly hidden
	// (EAB********XYZ), is HiddenId<n> of Id<n>.
	for n, v := range s.values {
		if id, ok := strings.CutPrefix(n, "Id"); ok && len(v) == 14 {
			hidden := v[:3] + strings.Repeat("*", len(v)-6) + v[len(v)-3:]
			s.names[hidden], s.values["HiddenId"+id] = "HiddenId"+id, hidden
		}
	}
	for _, m := range uuidID.FindAllStringSubmatch(text, -1) {
		s.name("Uuid", m[1]+m[2])
	}
	// Longest values first, so no value is replaced inside another.
	values := make([]string, 0, len(s.names))
	for v := range s.names {
		values = append(values, v)
	}
	slices.SortFunc(values, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(values))
	for _, v := range values {
		pairs = append(pairs, v, "{{"+s.names[v]+"}}")
	}
	text = strings.NewReplacer(pairs...).Replace(text)
	text = computeUtilization.ReplaceAllString(text, "<ComputeUtilization>{{ComputeUtilization}}</ComputeUtilization>")
	return uuid.ReplaceAllString(text, "{{RequestId}}")
}

// expand replaces placeholders in a request with their values.
func (s *substitutions) expand(t *testing.T, text string) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(text, func(p string) string {
		n := placeholder.FindStringSubmatch(p)[1]
		v, ok := s.values[n]
		if !ok {
			t.Fatalf("placeholder %s is not assigned yet", p)
		}
		return v
	})
}

// requestBodies returns the bodies of the POST requests of the
// operation's golden cases that use no placeholder (fuzz seeds).
func requestBodies(t testing.TB, operation string) [][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", operation, "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, af := range a.Files {
			head, body, _ := strings.Cut(string(af.Data), "\n\n")
			if strings.HasSuffix(af.Name, ".request") && strings.HasPrefix(head, "POST ") && !strings.Contains(body, "{{") {
				out = append(out, []byte(body))
			}
		}
	}
	return out
}
