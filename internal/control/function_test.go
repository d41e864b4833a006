package control_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"openfront/internal/control"
	"openfront/internal/model"
	"openfront/internal/store"
)

const rewriteCode = `function handler(event) {
	var r = event.request;
	if (r.uri.endsWith('/')) r.uri += 'index.html';
	console.log('rewrote ' + r.uri);
	return r;
}`

func fnInput(code string) control.FunctionInput {
	return control.FunctionInput{Comment: "rewrite", Runtime: "cloudfront-js-2.0", Code: []byte(code)}
}

func (e *env) createFunction(name, code string) *control.Function {
	e.t.Helper()
	fn, err := e.c.CreateFunction(e.ctx, name, fnInput(code))
	if err != nil {
		e.t.Fatal(err)
	}
	return fn
}

func TestFunctionLifecycle(t *testing.T) {
	e := newEnv(t)
	fn := e.createFunction("rewrite", rewriteCode)
	if fn.Stage != control.StageDevelopment || fn.Status != control.FunctionUnpublished || fn.ETag == "" ||
		fn.ARN != "arn:aws:cloudfront::"+testAccount+":function/rewrite" || fn.Runtime != "cloudfront-js-2.0" || fn.Comment != "rewrite" {
		t.Fatalf("created %+v", fn)
	}
	// Never published: no LIVE stage (Terraform relies on this error).
	_, err := e.c.DescribeFunction(e.ctx, "rewrite", control.StageLive)
	wantCode(t, err, "NoSuchFunctionExists")
	_, err = e.c.GetFunction(e.ctx, "rewrite", control.StageLive)
	wantCode(t, err, "NoSuchFunctionExists")
	_, err = e.c.DescribeFunction(e.ctx, "rewrite", "STAGING")
	wantCode(t, err, "InvalidArgument")
	d, err := e.c.DescribeFunction(e.ctx, "rewrite", "")
	if err != nil || d.ETag != fn.ETag || d.Stage != control.StageDevelopment {
		t.Fatalf("describe: %+v %v", d, err)
	}

	// Update needs the DEVELOPMENT ETag.
	_, err = e.c.UpdateFunction(e.ctx, "rewrite", "", fnInput(rewriteCode))
	wantCode(t, err, "InvalidIfMatchVersion")
	_, err = e.c.UpdateFunction(e.ctx, "rewrite", "EWRONG", fnInput(rewriteCode))
	wantCode(t, err, "PreconditionFailed")
	_, err = e.c.UpdateFunction(e.ctx, "nope", fn.ETag, fnInput(rewriteCode))
	wantCode(t, err, "NoSuchFunctionExists")
	v2code := strings.Replace(rewriteCode, "index.html", "default.html", 1)
	up, err := e.c.UpdateFunction(e.ctx, "rewrite", fn.ETag, fnInput(v2code))
	if err != nil || up.ETag == fn.ETag || up.Status != control.FunctionUnpublished {
		t.Fatalf("update: %+v %v", up, err)
	}

	// Publish with the stale ETag fails; with the current one copies to LIVE.
	_, err = e.c.PublishFunction(e.ctx, "rewrite", fn.ETag)
	wantCode(t, err, "PreconditionFailed")
	_, err = e.c.PublishFunction(e.ctx, "rewrite", "")
	wantCode(t, err, "InvalidIfMatchVersion")
	live, err := e.c.PublishFunction(e.ctx, "rewrite", up.ETag)
	if err != nil || live.Stage != control.StageLive || live.Status != control.FunctionUnassociated || live.ETag == up.ETag {
		t.Fatalf("publish: %+v %v", live, err)
	}
	dev, _ := e.c.DescribeFunction(e.ctx, "rewrite", control.StageDevelopment)
	if dev.ETag != up.ETag || dev.Status != control.FunctionUnassociated {
		t.Errorf("DEVELOPMENT after publish: %+v (publishing must not change its ETag)", dev)
	}
	got, _ := e.c.GetFunction(e.ctx, "rewrite", control.StageLive)
	if string(got.Code) != v2code || got.ETag != live.ETag {
		t.Errorf("LIVE code %q etag %s", got.Code, got.ETag)
	}

	// An update after publishing changes DEVELOPMENT only.
	up3, err := e.c.UpdateFunction(e.ctx, "rewrite", dev.ETag, fnInput(rewriteCode))
	if err != nil || up3.Status != control.FunctionUnpublished {
		t.Fatalf("update after publish: %+v %v", up3, err)
	}
	got, _ = e.c.GetFunction(e.ctx, "rewrite", control.StageLive)
	if string(got.Code) != v2code || got.ETag != live.ETag {
		t.Errorf("LIVE changed by an update: %q", got.Code)
	}

	// Delete: If-Match of either stage, checked.
	wantCode(t, e.c.DeleteFunction(e.ctx, "rewrite", ""), "InvalidIfMatchVersion")
	wantCode(t, e.c.DeleteFunction(e.ctx, "rewrite", up.ETag), "PreconditionFailed")
	if err := e.c.DeleteFunction(e.ctx, "rewrite", live.ETag); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.DescribeFunction(e.ctx, "rewrite", "")
	wantCode(t, err, "NoSuchFunctionExists")
	wantCode(t, e.c.DeleteFunction(e.ctx, "rewrite", live.ETag), "NoSuchFunctionExists")
	// The same name again never repeats an ETag.
	again := e.createFunction("rewrite", rewriteCode)
	if again.ETag == fn.ETag {
		t.Errorf("re-created function reuses ETag %s", fn.ETag)
	}
}

func TestCreateFunctionValidation(t *testing.T) {
	long := strings.Repeat("a", 65)
	pad := func(n int) string {
		base := "function handler(e) { return e.request; }\n//"
		return base + strings.Repeat("x", n-len(base))
	}
	tests := []struct {
		name, fname string
		in          control.FunctionInput
		code        string
	}{
		{"ok", "ok-1_A", fnInput(rewriteCode), ""},
		{"exactly 10 KB", "big", fnInput(pad(10 * 1024)), ""},
		{"over 10 KB", "bigger", fnInput(pad(10*1024 + 1)), "FunctionSizeLimitExceeded"},
		{"code that does not compile is stored", "broken", fnInput("function handler(e) {"), ""},
		{"empty code", "empty", fnInput(""), "InvalidArgument"},
		{"name too long", long, fnInput(rewriteCode), "InvalidArgument"},
		{"name with a dot", "a.b", fnInput(rewriteCode), "InvalidArgument"},
		{"empty name", "", fnInput(rewriteCode), "InvalidArgument"},
		{"comment too long", "c", control.FunctionInput{Comment: strings.Repeat("c", 129), Runtime: "cloudfront-js-1.0", Code: []byte(rewriteCode)}, "InvalidArgument"},
		{"unknown runtime", "r", control.FunctionInput{Runtime: "nodejs18.x", Code: []byte(rewriteCode)}, "InvalidArgument"},
		{"key value store", "k", control.FunctionInput{Runtime: "cloudfront-js-2.0", Code: []byte(rewriteCode), KeyValueStoreARNs: []string{"arn:aws:cloudfront::123456789012:key-value-store/x"}}, "InvalidArgument"},
		{"tags", "t", control.FunctionInput{Runtime: "cloudfront-js-2.0", Code: []byte(rewriteCode), Tags: []control.Tag{{Key: "a", Value: "b"}}}, "InvalidArgument"},
		{"duplicate name", "ok-1_A", fnInput(rewriteCode), "FunctionAlreadyExists"},
		{"quota", "fourth", fnInput(rewriteCode), "TooManyFunctions"},
	}
	e := newEnvQuotas(t, control.Quotas{Functions: 3})
	for _, tc := range tests {
		_, err := e.c.CreateFunction(e.ctx, tc.fname, tc.in)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		wantCode(t, err, tc.code)
	}
	// Update checks the same limits.
	fn, _ := e.c.DescribeFunction(e.ctx, "ok-1_A", "")
	_, err := e.c.UpdateFunction(e.ctx, "ok-1_A", fn.ETag, fnInput(pad(10*1024+1)))
	wantCode(t, err, "FunctionSizeLimitExceeded")
}

func TestTestFunction(t *testing.T) {
	e := newEnv(t)
	fn := e.createFunction("rewrite", rewriteCode)
	event := []byte(`{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"198.51.100.11"},
		"request":{"method":"GET","uri":"/docs/","headers":{"host":{"value":"example.org"}}}}`)

	_, err := e.c.TestFunction(e.ctx, "rewrite", "", "", event)
	wantCode(t, err, "InvalidIfMatchVersion")
	_, err = e.c.TestFunction(e.ctx, "rewrite", "EWRONG", "", event)
	wantCode(t, err, "PreconditionFailed")
	_, err = e.c.TestFunction(e.ctx, "rewrite", fn.ETag, control.StageLive, event)
	wantCode(t, err, "NoSuchFunctionExists")
	_, err = e.c.TestFunction(e.ctx, "missing", fn.ETag, "", event)
	wantCode(t, err, "NoSuchFunctionExists")
	for _, bad := range []string{``, `{`, `[]`, `{"context":{"eventType":"origin-request"},"request":{}}`, `{"context":{"eventType":"viewer-response"},"request":{"uri":"/"}}`} {
		_, err = e.c.TestFunction(e.ctx, "rewrite", fn.ETag, "", []byte(bad))
		wantCode(t, err, "InvalidArgument")
	}

	res, err := e.c.TestFunction(e.ctx, "rewrite", fn.ETag, "", event)
	if err != nil {
		t.Fatal(err)
	}
	if res.ErrorMessage != "" || len(res.Logs) != 1 || res.Logs[0] != "rewrote /docs/index.html" || res.Function.Stage != control.StageDevelopment {
		t.Fatalf("result %+v", res)
	}
	var out struct {
		Request struct {
			URI         string                     `json:"uri"`
			Headers     map[string]json.RawMessage `json:"headers"`
			QueryString map[string]json.RawMessage `json:"querystring"`
			Cookies     map[string]json.RawMessage `json:"cookies"`
		} `json:"request"`
	}
	if err := json.Unmarshal([]byte(res.Output), &out); err != nil || out.Request.URI != "/docs/index.html" || out.Request.QueryString == nil || out.Request.Cookies == nil {
		t.Errorf("output %s: %v", res.Output, err)
	}
	if n, err := strconv.Atoi(res.ComputeUtilization); err != nil || n < 0 || n > 100 {
		t.Errorf("ComputeUtilization %q", res.ComputeUtilization)
	}

	// LIVE runs the published code, DEVELOPMENT the latest.
	live, err := e.c.PublishFunction(e.ctx, "rewrite", fn.ETag)
	if err != nil {
		t.Fatal(err)
	}
	up, err := e.c.UpdateFunction(e.ctx, "rewrite", fn.ETag, fnInput(`function handler(e) { throw new Error('dev is broken'); }`))
	if err != nil {
		t.Fatal(err)
	}
	res, err = e.c.TestFunction(e.ctx, "rewrite", live.ETag, control.StageLive, event)
	if err != nil || res.ErrorMessage != "" || res.Function.Stage != control.StageLive {
		t.Fatalf("LIVE: %+v %v", res, err)
	}
	res, err = e.c.TestFunction(e.ctx, "rewrite", up.ETag, control.StageDevelopment, event)
	if err != nil || !strings.Contains(res.ErrorMessage, "Error: dev is broken") || res.Output != "" {
		t.Fatalf("DEVELOPMENT: %+v %v", res, err)
	}

	// Failures are reported in the result, each with its cause.
	for _, tc := range []struct{ code, has string }{
		{`function handler(e) {`, "SyntaxError"},
		{`function handler(e) { while (true) {} }`, "time limit"},
		{`function handler(e) { return {statusCode: 'x'}; }`, "statusCode"},
		{`function handler(e) { return eval('e.request'); }`, "EvalError"},
	} {
		fn, _ := e.c.DescribeFunction(e.ctx, "rewrite", "")
		up, err := e.c.UpdateFunction(e.ctx, "rewrite", fn.ETag, fnInput(tc.code))
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.c.TestFunction(e.ctx, "rewrite", up.ETag, "", event)
		if err != nil || !strings.Contains(res.ErrorMessage, tc.has) || !strings.HasPrefix(res.ErrorMessage, "The CloudFront function associated with the CloudFront distribution is invalid or could not run.") {
			t.Errorf("%s: %+v %v", tc.code, res, err)
		}
	}
}

func TestListFunctions(t *testing.T) {
	e := newEnv(t)
	a := e.createFunction("a", rewriteCode)
	e.createFunction("b", rewriteCode)
	if _, err := e.c.PublishFunction(e.ctx, "a", a.ETag); err != nil {
		t.Fatal(err)
	}
	names := func(fns []*control.Function) string {
		var s []string
		for _, f := range fns {
			s = append(s, f.Name+":"+f.Stage)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		stage, want string
	}{
		{"", "a:DEVELOPMENT,a:LIVE,b:DEVELOPMENT"},
		{control.StageDevelopment, "a:DEVELOPMENT,b:DEVELOPMENT"},
		{control.StageLive, "a:LIVE"},
	} {
		fns, p, err := e.c.ListFunctions(e.ctx, tc.stage, control.ListOptions{MaxItems: 100})
		if err != nil || names(fns) != tc.want || p.IsTruncated {
			t.Errorf("stage %q: %s %+v %v", tc.stage, names(fns), p, err)
		}
	}
	_, _, err := e.c.ListFunctions(e.ctx, "BETA", control.ListOptions{MaxItems: 1})
	wantCode(t, err, "InvalidArgument")
	// Paging: two items, then the rest.
	var all []string
	marker := ""
	for i := 0; i < 3; i++ {
		fns, p, err := e.c.ListFunctions(e.ctx, "", control.ListOptions{Marker: marker, MaxItems: 2})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, names(fns))
		if !p.IsTruncated {
			break
		}
		marker = p.NextMarker
	}
	if strings.Join(all, "|") != "a:DEVELOPMENT,a:LIVE|b:DEVELOPMENT" {
		t.Errorf("pages %q", all)
	}
}

// TestFunctionInUse: a function a cache behaviour associates is ASSOCIATED
// and cannot be deleted. Associations are refused for now, so the index
// key a distribution would write is written by hand.
func TestFunctionInUse(t *testing.T) {
	e := newEnv(t)
	fn := e.createFunction("used", rewriteCode)
	live, err := e.c.PublishFunction(e.ctx, "used", fn.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Update(e.ctx, func(tx store.Txn) error {
		return tx.Put("functionref/used/dist/E123", []byte("dist/E123"))
	}); err != nil {
		t.Fatal(err)
	}
	d, _ := e.c.DescribeFunction(e.ctx, "used", control.StageLive)
	if d.Status != control.FunctionAssociated {
		t.Errorf("status %s", d.Status)
	}
	wantCode(t, e.c.DeleteFunction(e.ctx, "used", live.ETag), "FunctionInUse")
}

// TestFunctionAssociationsRefused: a distribution naming a function gets
// InvalidFunctionAssociation saying why: no such function, another
// account's, not published, a non-viewer event, two of one event type.
func TestFunctionAssociationsRefused(t *testing.T) {
	e := newEnv(t)
	fn := e.createFunction("draft", rewriteCode)
	pub := e.createFunction("pub", rewriteCode)
	if _, err := e.c.PublishFunction(e.ctx, "pub", pub.ETag); err != nil {
		t.Fatal(err)
	}
	arn := func(account, name string) string { return "arn:aws:cloudfront::" + account + ":function/" + name }
	for _, tc := range []struct{ name, arn, has string }{
		{"missing", arn(testAccount, "missing"), "does not exist"},
		{"other account", arn("999999999999", "pub"), "not the ARN of a function of this account"},
		{"not an ARN", "pub", "not the ARN"},
		{"never published", fn.ARN, "not published"},
	} {
		cfg := distConfig("fa-" + tc.name)
		cfg["DefaultCacheBehavior"].(model.Tree)["FunctionAssociations"] = wrap(model.Tree{"FunctionARN": tc.arn, "EventType": "viewer-request"})
		_, _, err := e.c.CreateDistribution(e.ctx, cfg, nil)
		wantCode(t, err, "InvalidFunctionAssociation")
		if err == nil || !strings.Contains(err.Error(), tc.has) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	for _, tc := range []struct {
		name  string
		items []any
		has   string
	}{
		{"origin event", []any{model.Tree{"FunctionARN": arn(testAccount, "pub"), "EventType": "origin-request"}}, "viewer-request and viewer-response"},
		{"two viewer-request", []any{model.Tree{"FunctionARN": arn(testAccount, "pub"), "EventType": "viewer-request"}, model.Tree{"FunctionARN": arn(testAccount, "pub"), "EventType": "viewer-request"}}, "at most one function per event type"},
	} {
		cfg := distConfig("fa-" + tc.name)
		cfg["DefaultCacheBehavior"].(model.Tree)["FunctionAssociations"] = wrap(tc.items...)
		_, _, err := e.c.CreateDistribution(e.ctx, cfg, nil)
		wantCode(t, err, "InvalidFunctionAssociation")
		if !strings.Contains(err.Error(), tc.has) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// UpdateDistribution refuses them too.
	d := e.create(distConfig("plain"))
	_, err := e.update(d.ID, d.ETag, func() model.Tree {
		cfg := model.Clone(d.Config)
		cfg["DefaultCacheBehavior"].(model.Tree)["FunctionAssociations"] = wrap(model.Tree{"FunctionARN": fn.ARN, "EventType": "viewer-response"})
		return cfg
	}())
	wantCode(t, err, "InvalidFunctionAssociation")
}

// TestFunctionAssociationAccepted: a LIVE function is associated through
// CreateDistribution and UpdateDistribution (one per event type on each
// behaviour); while it is, its status is ASSOCIATED and DeleteFunction
// answers FunctionInUse; once no behaviour names it, it can be deleted.
func TestFunctionAssociationAccepted(t *testing.T) {
	e := newEnv(t)
	pub := e.createFunction("pub", rewriteCode)
	live, err := e.c.PublishFunction(e.ctx, "pub", pub.ETag)
	if err != nil {
		t.Fatal(err)
	}
	status := func() string {
		t.Helper()
		d, err := e.c.DescribeFunction(e.ctx, "pub", control.StageLive)
		if err != nil {
			t.Fatal(err)
		}
		return d.Status
	}
	if s := status(); s != control.FunctionUnassociated {
		t.Fatalf("before any association: %s", s)
	}
	cfg := distConfig("with-fn")
	cfg["DefaultCacheBehavior"].(model.Tree)["FunctionAssociations"] = wrap(
		model.Tree{"FunctionARN": live.ARN, "EventType": "viewer-request"},
		model.Tree{"FunctionARN": live.ARN, "EventType": "viewer-response"})
	d := e.create(cfg)
	if s := status(); s != control.FunctionAssociated {
		t.Fatalf("after CreateDistribution: %s", s)
	}
	wantCode(t, e.c.DeleteFunction(e.ctx, "pub", live.ETag), "FunctionInUse")
	// Removing the association frees the function.
	d, err = e.update(d.ID, d.ETag, func() model.Tree {
		c := model.Clone(d.Config)
		c["DefaultCacheBehavior"].(model.Tree)["FunctionAssociations"] = wrap()
		return c
	}())
	if err != nil {
		t.Fatal(err)
	}
	if s := status(); s != control.FunctionUnassociated {
		t.Fatalf("after removing the association: %s", s)
	}
	// UpdateDistribution can add it back.
	if _, err = e.update(d.ID, d.ETag, func() model.Tree {
		c := model.Clone(d.Config)
		c["DefaultCacheBehavior"].(model.Tree)["FunctionAssociations"] = wrap(model.Tree{"FunctionARN": live.ARN, "EventType": "viewer-request"})
		return c
	}()); err != nil {
		t.Fatal(err)
	}
	if s := status(); s != control.FunctionAssociated {
		t.Fatalf("after UpdateDistribution: %s", s)
	}
	wantCode(t, e.c.DeleteFunction(e.ctx, "pub", live.ETag), "FunctionInUse")
}

// TestFunctionAssociationQuota: a function already associated with the
// quota's 100 distributions cannot be associated with another
// (TooManyDistributionsWithSingleFunctionARN, "Quotas"); the in-use keys
// the other distributions would own are written by hand.
func TestFunctionAssociationQuota(t *testing.T) {
	e := newEnv(t)
	pub := e.createFunction("popular", rewriteCode)
	live, err := e.c.PublishFunction(e.ctx, "popular", pub.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Update(e.ctx, func(tx store.Txn) error {
		for i := range 100 {
			owner := fmt.Sprintf("dist/E%03d", i)
			if err := tx.Put("functionref/popular/"+owner, []byte(owner)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cfg := distConfig("one-too-many")
	cfg["DefaultCacheBehavior"].(model.Tree)["FunctionAssociations"] = wrap(model.Tree{"FunctionARN": live.ARN, "EventType": "viewer-request"})
	_, _, err = e.c.CreateDistribution(e.ctx, cfg, nil)
	wantCode(t, err, "TooManyDistributionsWithSingleFunctionARN")
}
