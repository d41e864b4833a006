package functions

import (
	"strings"
	"testing"
	"time"
)

// TestKVS reads a key value store through cf.kvs() in each of the forms
// the guide's "Helper methods for key value stores" shows.
func TestKVS(t *testing.T) {
	store := &KeyValueStore{ID: "kvs-1", Created: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), LastModified: time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC),
		Items: map[string]string{"/old": "/new", "cfg": `{"n":42}`, "bin": "é"}}
	p := compile(t, Runtime20, `import cf from 'cloudfront';
const kvs = cf.kvs();
const byId = cf.kvs('kvs-1');
const other = cf.kvs('kvs-2');
async function handler(event) {
	const out = [];
	out.push(await kvs.get('/old'));
	out.push(await kvs.get('/old', {format: 'string'}));
	out.push((await byId.get('cfg', {format: 'json'})).n);
	const b = await kvs.get('bin', {format: 'bytes'});
	out.push(Buffer.isBuffer(b) + ':' + b.length);
	out.push(await kvs.exists('cfg'), await kvs.exists('nope'));
	try { await kvs.get('nope'); out.push('found?'); } catch (e) { out.push('rejected: ' + e.message); }
	try { await kvs.get('/old', {format: 'json'}); } catch (e) { out.push(e.name); }
	try { await kvs.get('/old', {format: 'xml'}); } catch (e) { out.push(e.name); }
	try { await other.get('/old'); } catch (e) { out.push(e.message); }
	const m = await kvs.meta();
	out.push(m.keyCount, m.creationDateTime, m.lastUpdatedDateTime);
	return {statusCode: 200, body: out.join('|')};
}`)
	ev := requestEvent()
	ev.KeyValueStore = store
	res, _, err := p.Run(ev, testLimit)
	if err != nil {
		t.Fatal(err)
	}
	want := "/new|/new|42|true:2|true|false|rejected: Key not found: nope|SyntaxError|TypeError|The key value store kvs-2 is not associated with this function.|3|2024-01-02T03:04:05Z|2024-02-03T04:05:06Z"
	if got := string(res.Response.Body.Data); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	// The same pooled runtime in a run without a store: the handle taken
	// at the top level rejects, so an unhandled get fails the function.
	res, _, err = p.Run(requestEvent(), testLimit)
	if fe, ok := err.(*Error); !ok || fe.Type != ExecutionError || !strings.Contains(fe.Message, "No key value store is associated") {
		t.Errorf("run without a store: %+v %v", res, err)
	}
}
