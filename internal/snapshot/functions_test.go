package snapshot

import (
	"context"
	"testing"
	"time"

	"openfront/internal/functions"
	"openfront/internal/model"
	"openfront/internal/store"
)

// A behaviour associating a function gets its LIVE stage compiled; a
// publish (a function record change) recompiles the distributions using
// it, while a DEVELOPMENT-only update leaves the LIVE program as it was.
func TestWatcher_functionsFollowPublish(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := openStore(t)
	put := func(key string, v any) int64 { t.Helper(); return putJSON(ctx, t, st, key, v) }
	code := func(uri string) []byte {
		return []byte(`function handler(event) { event.request.uri = "` + uri + `"; return event.request; }`)
	}
	stage := func(v int64, uri string) model.FunctionStage {
		return model.FunctionStage{Version: v, Runtime: functions.Runtime10, Code: code(uri)}
	}
	live := stage(1, "/one")
	put(model.FunctionKey("rewrite"), model.FunctionRecord{Name: "rewrite", Nonce: "n", Development: stage(1, "/one"), Live: &live})
	d := distRecord("E1", "d1.example")
	d.Config["DefaultCacheBehavior"].(model.Tree)["FunctionAssociations"] = model.Wrapper([]model.Tree{
		{"EventType": "viewer-request", "FunctionARN": "arn:aws:cloudfront::123456789012:function/rewrite"}})
	put(model.DistributionKey("E1"), d)

	got := make(chan *Snapshot, 16)
	w := NewWatcher(st, func(_ context.Context, s *Snapshot, _ []model.InvalidationRecord) error { got <- s; return nil }, nil)
	go w.Run(ctx)
	next := func() *Snapshot {
		t.Helper()
		select {
		case s := <-got:
			return s
		case <-ctx.Done():
			t.Fatal("watcher applied nothing")
		}
		return nil
	}
	uriOf := func(s *Snapshot) string {
		t.Helper()
		b := s.Lookup("d1.example").Behaviors[0]
		if b.ViewerRequest == nil || b.ViewerRequest.Program == nil || b.ViewerResponse != nil {
			t.Fatalf("behaviour functions: request %+v, response %+v", b.ViewerRequest, b.ViewerResponse)
		}
		res, _, err := b.ViewerRequest.Program.Run(&functions.Event{Version: "1.0",
			Context: functions.Context{EventType: functions.ViewerRequest}, Request: functions.Request{Method: "GET", URI: "/"}}, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return res.Request.URI
	}
	first := next()
	if u := uriOf(first); u != "/one" {
		t.Fatalf("LIVE code rewrote to %q, want /one", u)
	}
	// UpdateFunction: DEVELOPMENT only; the edge keeps running LIVE.
	put(model.FunctionKey("rewrite"), model.FunctionRecord{Name: "rewrite", Nonce: "n", Development: stage(2, "/two"), Live: &live})
	s := next()
	if u := uriOf(s); u != "/one" {
		t.Fatalf("after a DEVELOPMENT update the edge runs %q, want /one", u)
	}
	if s.Lookup("d1.example").Behaviors[0].ViewerRequest.Program != first.Lookup("d1.example").Behaviors[0].ViewerRequest.Program {
		t.Error("an unchanged LIVE stage was compiled again")
	}
	// PublishFunction.
	live2 := stage(2, "/two")
	put(model.FunctionKey("rewrite"), model.FunctionRecord{Name: "rewrite", Nonce: "n", Development: stage(2, "/two"), Live: &live2})
	if u := uriOf(next()); u != "/two" {
		t.Fatalf("after publishing the edge runs %q, want /two", u)
	}
	// The function gone (cannot happen through the API): the behaviour
	// still names it, with no program.
	if _, err := st.Update(ctx, func(tx store.Txn) error { return tx.Delete(model.FunctionKey("rewrite")) }); err != nil {
		t.Fatal(err)
	}
	if b := next().Lookup("d1.example").Behaviors[0]; b.ViewerRequest == nil || b.ViewerRequest.Program != nil || b.ViewerRequest.Name != "rewrite" {
		t.Fatalf("deleted function: %+v", b.ViewerRequest)
	}
}
