package snapshot

import (
	"context"
	"strings"
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

	next := watchSnapshots(ctx, t, st)
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

// A function associating a key value store reads, through cf.kvs(), the
// store's keys as of each snapshot; a write to the store's keys makes a
// new snapshot whose function sees it, and unchanged stores keep their
// view.
func TestWatcher_keyValueStoreFollowsWrites(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := openStore(t)
	put := func(key string, v any) int64 { t.Helper(); return putJSON(ctx, t, st, key, v) }
	putRaw := func(key, value string) {
		t.Helper()
		if _, err := st.Update(ctx, func(tx store.Txn) error { return tx.Put(key, []byte(value)) }); err != nil {
			t.Fatal(err)
		}
	}
	const arn = "arn:aws:cloudfront::123456789012:key-value-store/0b1c2d3e-0000-4000-8000-000000000001"
	put(model.KeyValueStoreKey("routes"), model.KeyValueStoreRecord{ID: "0b1c2d3e-0000-4000-8000-000000000001", Name: "routes", ItemCount: 1})
	put(model.KeyValueStoreKey("other"), model.KeyValueStoreRecord{ID: "other-id", Name: "other"})
	putRaw(model.KeyValueStoreItemKey("0b1c2d3e-0000-4000-8000-000000000001", "/a"), "/one")
	live := model.FunctionStage{Version: 1, Runtime: functions.Runtime20, KeyValueStoreARNs: []string{arn},
		Code: []byte(`import cf from 'cloudfront'; const kvs = cf.kvs();
async function handler(event) { event.request.uri = await kvs.get(event.request.uri); return event.request; }`)}
	put(model.FunctionKey("route"), model.FunctionRecord{Name: "route", Nonce: "n", Development: live, Live: &live})
	d := distRecord("E1", "d1.example")
	d.Config["DefaultCacheBehavior"].(model.Tree)["FunctionAssociations"] = model.Wrapper([]model.Tree{
		{"EventType": "viewer-request", "FunctionARN": "arn:aws:cloudfront::123456789012:function/route"}})
	put(model.DistributionKey("E1"), d)

	next := watchSnapshots(ctx, t, st)
	rewrite := func(s *Snapshot, uri string) (string, error) {
		t.Helper()
		fn := s.Lookup("d1.example").Behaviors[0].ViewerRequest
		res, _, err := fn.Program.Run(&functions.Event{Version: "1.0", KeyValueStore: fn.KeyValueStore,
			Context: functions.Context{EventType: functions.ViewerRequest}, Request: functions.Request{Method: "GET", URI: uri}}, time.Second)
		if err != nil {
			return "", err
		}
		return res.Request.URI, nil
	}
	first := next()
	if u, err := rewrite(first, "/a"); u != "/one" || err != nil {
		t.Fatalf("/a -> %q, %v; want /one", u, err)
	}
	putRaw(model.KeyValueStoreItemKey("0b1c2d3e-0000-4000-8000-000000000001", "/a"), "/two")
	s := next()
	if u, err := rewrite(s, "/a"); u != "/two" || err != nil {
		t.Fatalf("after the write /a -> %q, %v; want /two", u, err)
	}
	// The first snapshot still reads its own copy.
	if u, _ := rewrite(first, "/a"); u != "/one" {
		t.Errorf("the older snapshot's store changed: /a -> %q", u)
	}
	// A write to another store leaves this store's view as it was.
	putRaw(model.KeyValueStoreItemKey("other-id", "x"), "y")
	s2 := next()
	if s2.Lookup("d1.example").Behaviors[0].ViewerRequest.KeyValueStore != s.Lookup("d1.example").Behaviors[0].ViewerRequest.KeyValueStore {
		t.Error("an unchanged store's view was rebuilt")
	}
	// A key deleted: get rejects, the function fails.
	if _, err := st.Update(ctx, func(tx store.Txn) error {
		return tx.Delete(model.KeyValueStoreItemKey("0b1c2d3e-0000-4000-8000-000000000001", "/a"))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := rewrite(next(), "/a"); err == nil || !strings.Contains(err.Error(), "Key not found") {
		t.Errorf("deleted key: %v", err)
	}
}
