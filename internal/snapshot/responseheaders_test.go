package snapshot

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"

	"openfront/internal/model"
	"openfront/internal/responseheaders"
)

// TestRecords_responseHeadersPolicies: a behaviour naming a stored custom
// response headers policy gets it compiled, a managed one without any
// record; an update of the policy's record reaches the next snapshot.
func TestRecords_responseHeadersPolicies(t *testing.T) {
	r := newRecords()
	log := slog.New(slog.DiscardHandler)
	rec := distRecord("E1", "d1.cloudfront.localhost")
	model.Sub(rec.Config, "DefaultCacheBehavior")["ResponseHeadersPolicyId"] = "rhp1"
	other := model.Clone(model.Sub(rec.Config, "DefaultCacheBehavior"))
	other["PathPattern"], other["ResponseHeadersPolicyId"] = "/secure/*", "67f7725c-6f97-4210-82d7-5512b31e9d03"
	rec.Config["CacheBehaviors"] = model.Wrapper([]model.Tree{other})
	value, _ := json.Marshal(rec)
	r.apply(model.DistributionKey("E1"), value, false, log)
	put := func(v string) {
		b, _ := json.Marshal(model.ResponseHeadersPolicyRecord{ID: "rhp1", Policy: model.ResponseHeadersPolicy{Name: "p",
			Custom: []model.CustomHeader{{Header: "X-Version", Value: v, Override: true}}}})
		if !r.apply(model.ResponseHeadersPolicyPrefix+"rhp1", b, false, log) {
			t.Fatal("a response headers policy record is not relevant to the snapshot")
		}
	}
	headerOf := func(b *Behavior, name string) string {
		h := http.Header{}
		responseheaders.Apply(b.ResponseHeaders, http.Header{}, h)
		return h.Get(name)
	}
	put("1")
	d := r.compile(1, log).Lookup("d1.cloudfront.localhost")
	if d == nil || headerOf(d.Match("/index.html"), "X-Version") != "1" {
		t.Fatalf("custom policy not compiled: %+v", d)
	}
	if got := headerOf(d.Match("/secure/a"), "X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("managed SecurityHeadersPolicy: X-Content-Type-Options %q", got)
	}
	put("2")
	if d := r.compile(2, log).Lookup("d1.cloudfront.localhost"); headerOf(d.Match("/"), "X-Version") != "2" {
		t.Error("the updated policy did not reach the snapshot")
	}
}
