package control_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"openfront/internal/control"
	"openfront/internal/fleet"
	"openfront/internal/model"
	"openfront/internal/store"
	"openfront/internal/store/boltstore"
	"openfront/internal/store/etcdstore"
	"openfront/internal/store/etcdstore/etcdtest"
)

func TestKVSData_storeTotalIsCapped(t *testing.T) {
	e := newEnv(t)
	kvs, err := e.c.CreateKeyValueStore(e.ctx, control.KVSInput{Name: "big"})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := e.c.DescribeKeyValueStoreData(e.ctx, kvs.ARN)
	etag := d.ETag
	value := strings.Repeat("v", control.MaxKVSValueBytes)
	var res *control.KVSWrite
	// 5 MiB / (1 KiB values + 8-byte keys): the store fills up in batches
	// of 50 until one batch would go over.
	for i := 0; ; i++ {
		var puts []control.KVSItem
		for j := range control.MaxKVSBatchKeys {
			puts = append(puts, control.KVSItem{Key: fmt.Sprintf("%04d-%03d", i, j), Value: value})
		}
		res, err = e.c.UpdateKeys(e.ctx, kvs.ARN, etag, puts, nil)
		if err != nil {
			break
		}
		etag = res.ETag
		if i > 200 {
			t.Fatal("the store grew past 5 MB")
		}
	}
	wantCode(t, err, control.CodeKVSQuotaExceeded)
	d, _ = e.c.DescribeKeyValueStoreData(e.ctx, kvs.ARN)
	if d.ETag != etag || d.TotalSizeInBytes > control.MaxKVSTotalBytes || d.TotalSizeInBytes+50*(8+1024) <= control.MaxKVSTotalBytes {
		t.Errorf("after the refused batch: %+v", d)
	}
	// Deleting the store removes its keys too (in chunks). Key writes
	// leave the store's own ETag as CreateKeyValueStore gave it.
	if err := e.c.DeleteKeyValueStore(e.ctx, "big", kvs.ETag); err != nil {
		t.Fatal(err)
	}
	if err := e.store.View(e.ctx, func(tx store.ReadTxn) error {
		left, err := tx.ListKeys(model.KeyValueStoreItemsPrefix(kvs.ID))
		if len(left) != 0 {
			return fmt.Errorf("%d keys left", len(left))
		}
		return err
	}); err != nil {
		t.Error(err)
	}
}

func TestParseImportFile(t *testing.T) {
	for _, tc := range []struct {
		name, file, fail string
		n                int
	}{
		{"two keys", `{"data":[{"key":"a","value":"1"},{"key":"b","value":""}]}`, "", 2},
		{"empty list", `{"data":[]}`, "", 0},
		{"no data", `{"items":[]}`, `no "data" list`, 0},
		{"not JSON", `{"data":[`, "not valid JSON", 0},
		{"trailing data", `{"data":[]} x`, "after its JSON object", 0},
		{"duplicate", `{"data":[{"key":"a","value":"1"},{"key":"a","value":"2"}]}`, "more than once", 0},
		{"value not a string", `{"data":[{"key":"a","value":1}]}`, "not valid JSON", 0},
		{"no value", `{"data":[{"key":"a"}]}`, `needs a string "key" and a string "value"`, 0},
		{"empty key", `{"data":[{"key":"","value":"v"}]}`, "keys have 1 to 512", 0},
		{"key of 513", `{"data":[{"key":"` + strings.Repeat("k", 513) + `","value":"v"}]}`, "keys have 1 to 512", 0},
		{"value of 1025", `{"data":[{"key":"k","value":"` + strings.Repeat("v", 1025) + `"}]}`, "values have at most 1024", 0},
		{"not UTF-8", "{\"data\":[{\"key\":\"\xff\",\"value\":\"v\"}]}", "not UTF-8", 0},
		{"over 5 MB", `{"data":[]}` + strings.Repeat(" ", 5<<20), "at most", 0},
	} {
		items, err := control.ParseImportFile([]byte(tc.file))
		switch {
		case tc.fail == "" && (err != nil || len(items) != tc.n):
			t.Errorf("%s: %d items, %v", tc.name, len(items), err)
		case tc.fail != "" && (err == nil || !strings.Contains(err.Error(), tc.fail)):
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.fail)
		}
	}
}

// TestKVSImport creates stores from import files read through
// Settings.ReadImportSource (the app's S3 GetObject; internal/app tests
// it against moto) and follows their status.
func TestKVSImport(t *testing.T) {
	files := map[string]string{
		"good.json": `{"data":[{"key":"k1","value":"v1"},{"key":"k2","value":"{\"a\":1}"}]}`,
		"dup.json":  `{"data":[{"key":"k1","value":"v1"},{"key":"k1","value":"v2"}]}`,
	}
	var many strings.Builder
	many.WriteString(`{"data":[`)
	for i := range 250 { // more than one Update's worth
		if i > 0 {
			many.WriteString(",")
		}
		fmt.Fprintf(&many, `{"key":"key-%03d","value":"%d"}`, i, i)
	}
	many.WriteString("]}")
	files["many.json"] = many.String()
	t.Run("bolt", func(t *testing.T) {
		st, err := boltstore.Open(filepath.Join(t.TempDir(), "openfront.db"), boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		testKVSImport(t, st, files)
	})
	// etcd caps the operations of one transaction (128 by default): the
	// import and the delete of 250 keys go in chunks.
	t.Run("etcd", func(t *testing.T) {
		st, err := etcdstore.Open(context.Background(), etcdtest.Start(t), etcdstore.Options{Prefix: "/kvs-test/"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		testKVSImport(t, st, files)
	})
}

func testKVSImport(t *testing.T, st store.Store, files map[string]string) {
	c := control.New(st, fleet.NewLocal(0), control.Settings{AccountID: testAccount, DomainSuffix: "cloudfront.net",
		ReadImportSource: func(ctx context.Context, bucket, key string) ([]byte, error) {
			if f, ok := files[key]; ok && bucket == "bucket" {
				return []byte(f), nil
			}
			return nil, errors.New("NoSuchKey")
		}})
	ctx := context.Background()
	for _, tc := range []struct {
		object, status, reason string
		items                  int
	}{
		{"good.json", control.KVSReady, "", 2},
		{"many.json", control.KVSReady, "", 250},
		{"dup.json", control.KVSProvisioningFailed, "more than once", 0},
		{"missing.json", control.KVSProvisioningFailed, "could not be read", 0},
	} {
		name := strings.TrimSuffix(tc.object, ".json")
		kvs, err := c.CreateKeyValueStore(ctx, control.KVSInput{Name: name,
			ImportSource: &model.KeyValueStoreImportSource{SourceType: "S3", SourceARN: "arn:aws:s3:::bucket/" + tc.object}})
		if err != nil || kvs.Status != control.KVSProvisioning {
			t.Fatalf("%s: create %+v %v", tc.object, kvs, err)
		}
		var d *control.KVSData
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if d, err = c.DescribeKeyValueStoreData(ctx, kvs.ARN); err != nil {
				t.Fatal(err)
			}
			if d.Status != control.KVSProvisioning {
				break
			}
		}
		if d.Status != tc.status || !strings.Contains(d.FailureReason, tc.reason) || d.ItemCount != tc.items {
			t.Errorf("%s: %+v, want %s (%q) with %d items", tc.object, d, tc.status, tc.reason, tc.items)
		}
		cp, _ := c.DescribeKeyValueStore(ctx, name)
		if cp.Status != tc.status {
			t.Errorf("%s: control-plane status %s", tc.object, cp.Status)
		}
		if tc.status == control.KVSReady {
			items, _, err := c.ListKeys(ctx, kvs.ARN, "", 50)
			if err != nil || len(items) != min(tc.items, 50) {
				t.Errorf("%s: listed %d keys, %v", tc.object, len(items), err)
			}
			continue
		}
		// A failed store refuses writes.
		_, err = c.PutKey(ctx, kvs.ARN, d.ETag, "k", "v")
		wantCode(t, err, control.CodeKVSConflict)
	}
	v, _, err := c.GetKey(ctx, "arn:aws:cloudfront::"+testAccount+":key-value-store/"+mustID(t, c, "good"), "k2")
	if err != nil || v != `{"a":1}` {
		t.Errorf("imported k2 = %q, %v", v, err)
	}
	id := mustID(t, c, "many")
	cur, _ := c.DescribeKeyValueStore(ctx, "many")
	if err := c.DeleteKeyValueStore(ctx, "many", cur.ETag); err != nil {
		t.Fatal(err)
	}
	if err := st.View(ctx, func(tx store.ReadTxn) error {
		left, err := tx.ListKeys(model.KeyValueStoreItemsPrefix(id))
		if len(left) != 0 {
			return fmt.Errorf("%d keys left after the delete", len(left))
		}
		return err
	}); err != nil {
		t.Error(err)
	}
}

func mustID(t *testing.T, c *control.Control, name string) string {
	t.Helper()
	k, err := c.DescribeKeyValueStore(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID
}

// A function's association keeps its store in use until no stage of the
// function names it.
func TestKVSAssociations(t *testing.T) {
	e := newEnv(t)
	kvs, err := e.c.CreateKeyValueStore(e.ctx, control.KVSInput{Name: "assoc"})
	if err != nil {
		t.Fatal(err)
	}
	in := control.FunctionInput{Runtime: "cloudfront-js-2.0", Code: []byte(rewriteCode), KeyValueStoreARNs: []string{kvs.ARN}}
	two := in
	two.KeyValueStoreARNs = []string{kvs.ARN, kvs.ARN}
	_, err = e.c.CreateFunction(e.ctx, "two", two)
	wantCode(t, err, "InvalidArgument")
	// Developer Guide, "Amazon CloudFront KeyValueStore": runtime 2.0 only.
	js1 := in
	js1.Runtime = "cloudfront-js-1.0"
	_, err = e.c.CreateFunction(e.ctx, "js1", js1)
	wantCode(t, err, "InvalidArgument")
	fn, err := e.c.CreateFunction(e.ctx, "reader", in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.UpdateFunction(e.ctx, "reader", fn.ETag, js1)
	wantCode(t, err, "InvalidArgument")
	if got, _ := e.c.DescribeFunction(e.ctx, "reader", ""); got.ETag != fn.ETag || got.Runtime != "cloudfront-js-2.0" {
		t.Errorf("refused update changed the function: %s %s", got.ETag, got.Runtime)
	}
	_, err = e.c.PublishFunction(e.ctx, "reader", fn.ETag)
	if err != nil {
		t.Fatal(err)
	}
	// TestFunction's cf.kvs() reads the store as it is.
	d, _ := e.c.DescribeKeyValueStoreData(e.ctx, kvs.ARN)
	if _, err := e.c.PutKey(e.ctx, kvs.ARN, d.ETag, "/docs/", "/from-kvs"); err != nil {
		t.Fatal(err)
	}
	reader, err := e.c.CreateFunction(e.ctx, "kvreader", control.FunctionInput{Runtime: "cloudfront-js-2.0", KeyValueStoreARNs: []string{kvs.ARN},
		Code: []byte(`import cf from 'cloudfront'; const kvs = cf.kvs();
async function handler(event) { event.request.uri = await kvs.get(event.request.uri); return event.request; }`)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.c.TestFunction(e.ctx, "kvreader", reader.ETag, "", []byte(`{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"198.51.100.11"},
		"request":{"method":"GET","uri":"/docs/","headers":{}}}`))
	if err != nil || res.ErrorMessage != "" || !strings.Contains(res.Output, `"uri":"/from-kvs"`) {
		t.Errorf("TestFunction reading the store: %+v %v", res, err)
	}
	if err := e.c.DeleteFunction(e.ctx, "kvreader", reader.ETag); err != nil {
		t.Fatal(err)
	}
	cur, _ := e.c.DescribeKeyValueStore(e.ctx, "assoc")
	wantCode(t, e.c.DeleteKeyValueStore(e.ctx, "assoc", cur.ETag), "CannotDeleteEntityWhileInUse")
	// DEVELOPMENT drops the store; LIVE still names it.
	dev, err := e.c.UpdateFunction(e.ctx, "reader", fn.ETag, control.FunctionInput{Runtime: "cloudfront-js-2.0", Code: []byte(rewriteCode)})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.c.DeleteKeyValueStore(e.ctx, "assoc", cur.ETag), "CannotDeleteEntityWhileInUse")
	if _, err := e.c.PublishFunction(e.ctx, "reader", dev.ETag); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteKeyValueStore(e.ctx, "assoc", cur.ETag); err != nil {
		t.Errorf("delete once no stage names the store: %v", err)
	}
}

// Concurrent writers with the same ETag: exactly one wins, the others get
// ConflictException (If-Match is checked inside the write transaction).
func TestKVSData_concurrentWritersOneWins(t *testing.T) {
	e := newEnv(t)
	kvs, err := e.c.CreateKeyValueStore(e.ctx, control.KVSInput{Name: "race"})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := e.c.DescribeKeyValueStoreData(e.ctx, kvs.ARN)
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			_, err := e.c.PutKey(e.ctx, kvs.ARN, d.ETag, fmt.Sprintf("k%d", i), "v")
			errs <- err
		}()
	}
	wins := 0
	for range 8 {
		if err := <-errs; err == nil {
			wins++
		} else {
			wantCode(t, err, control.CodeKVSConflict)
		}
	}
	if d, _ = e.c.DescribeKeyValueStoreData(e.ctx, kvs.ARN); wins != 1 || d.ItemCount != 1 {
		t.Errorf("%d writers won, the store has %d items", wins, d.ItemCount)
	}
}
