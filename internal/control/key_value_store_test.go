package control_test

import (
	"strings"
	"testing"
	"time"

	"openfront/internal/control"
	"openfront/internal/model"
	"openfront/internal/store"
)

func TestKeyValueStoreLifecycle(t *testing.T) {
	e := newEnvQuotas(t, control.Quotas{KeyValueStores: 2})
	kvs, err := e.c.CreateKeyValueStore(e.ctx, control.KVSInput{Name: "routes", Comment: "redirects"})
	if err != nil {
		t.Fatal(err)
	}
	if kvs.Status != control.KVSProvisioning || kvs.ETag == "" || kvs.ARN != "arn:aws:cloudfront::"+testAccount+":key-value-store/"+kvs.ID || kvs.Comment != "redirects" {
		t.Fatalf("created %+v", kvs)
	}
	d, err := e.c.DescribeKeyValueStore(e.ctx, "routes")
	if err != nil || d.Status != control.KVSReady || d.ETag != kvs.ETag || d.ID != kvs.ID {
		t.Fatalf("describe %+v %v", d, err)
	}
	for _, tc := range []struct {
		name string
		in   control.KVSInput
		code string
	}{
		{"same name", control.KVSInput{Name: "routes"}, "EntityAlreadyExists"},
		{"bad name", control.KVSInput{Name: "a b"}, "InvalidArgument"},
		{"long comment", control.KVSInput{Name: "c", Comment: strings.Repeat("c", 129)}, "InvalidArgument"},
		{"import source without S3", control.KVSInput{Name: "imp", ImportSource: &model.KeyValueStoreImportSource{SourceType: "S3", SourceARN: "arn:aws:s3:::bucket/data.json"}}, "UnsupportedOperation"},
		{"import source type", control.KVSInput{Name: "imp", ImportSource: &model.KeyValueStoreImportSource{SourceType: "FTP", SourceARN: "arn:aws:s3:::bucket/data.json"}}, "InvalidArgument"},
		{"import source ARN", control.KVSInput{Name: "imp", ImportSource: &model.KeyValueStoreImportSource{SourceType: "S3", SourceARN: "arn:aws:s3:::bucket"}}, "InvalidArgument"},
		{"tags", control.KVSInput{Name: "tagged", Tags: []control.Tag{{Key: "k", Value: "v"}}}, "InvalidArgument"},
	} {
		_, err := e.c.CreateKeyValueStore(e.ctx, tc.in)
		wantCode(t, err, tc.code)
	}
	if _, err := e.c.CreateKeyValueStore(e.ctx, control.KVSInput{Name: "second"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.CreateKeyValueStore(e.ctx, control.KVSInput{Name: "third"})
	wantCode(t, err, "EntityLimitExceeded")

	_, err = e.c.UpdateKeyValueStore(e.ctx, "routes", "", "x")
	wantCode(t, err, "InvalidIfMatchVersion")
	_, err = e.c.UpdateKeyValueStore(e.ctx, "routes", "ESTALE", "x")
	wantCode(t, err, "PreconditionFailed")
	_, err = e.c.UpdateKeyValueStore(e.ctx, "nope", kvs.ETag, "x")
	wantCode(t, err, "EntityNotFound")
	up, err := e.c.UpdateKeyValueStore(e.ctx, "routes", kvs.ETag, "changed")
	if err != nil || up.Comment != "changed" || up.ETag == kvs.ETag {
		t.Fatalf("update %+v %v", up, err)
	}

	list, _, err := e.c.ListKeyValueStores(e.ctx, "", control.ListOptions{MaxItems: 100})
	if err != nil || len(list) != 2 || list[0].Name != "routes" || list[1].Name != "second" {
		t.Fatalf("list %+v %v", list, err)
	}
	if l, _, _ := e.c.ListKeyValueStores(e.ctx, control.KVSProvisioning, control.ListOptions{MaxItems: 100}); len(l) != 0 {
		t.Errorf("PROVISIONING filter: %+v", l)
	}
	page1, p, _ := e.c.ListKeyValueStores(e.ctx, "", control.ListOptions{MaxItems: 1})
	page2, p2, _ := e.c.ListKeyValueStores(e.ctx, "", control.ListOptions{MaxItems: 1, Marker: p.NextMarker})
	if len(page1) != 1 || !p.IsTruncated || len(page2) != 1 || page2[0].Name != "second" || p2.IsTruncated {
		t.Errorf("paging %+v %+v %+v %+v", page1, p, page2, p2)
	}

	// A store a function uses cannot be deleted (function associations
	// are refused for now, so the index key is written by hand).
	if _, err := e.store.Update(e.ctx, func(tx store.Txn) error {
		return tx.Put("kvsref/second/function/f", []byte("function/f"))
	}); err != nil {
		t.Fatal(err)
	}
	second, _ := e.c.DescribeKeyValueStore(e.ctx, "second")
	wantCode(t, e.c.DeleteKeyValueStore(e.ctx, "second", second.ETag), "CannotDeleteEntityWhileInUse")
	wantCode(t, e.c.DeleteKeyValueStore(e.ctx, "routes", kvs.ETag), "PreconditionFailed")
	if err := e.c.DeleteKeyValueStore(e.ctx, "routes", up.ETag); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.DescribeKeyValueStore(e.ctx, "routes")
	wantCode(t, err, "EntityNotFound")
}

// TestKeyValueStore_ETagsPerAPI: CloudFront's DescribeKeyValueStore and
// CloudFront KeyValueStore's each have their own ETag ("Work with key value
// data", CloudFront Developer Guide): key writes change only the data
// plane's, UpdateKeyValueStore only CloudFront's, and neither is accepted
// for the other. This is the sequence of terraform destroy of a store and
// a key: delete the key, then the store with the ETag from its creation.
func TestKeyValueStore_ETagsPerAPI(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	e.c.SetClock(func() time.Time { return at })
	kvs, err := e.c.CreateKeyValueStore(e.ctx, control.KVSInput{Name: "routes"})
	if err != nil {
		t.Fatal(err)
	}
	d0, err := e.c.DescribeKeyValueStoreData(e.ctx, kvs.ARN)
	if err != nil || d0.ETag == kvs.ETag {
		t.Fatalf("data plane %+v (CloudFront ETag %q) %v", d0, kvs.ETag, err)
	}
	_, err = e.c.PutKey(e.ctx, kvs.ARN, kvs.ETag, "k", "v")
	wantCode(t, err, control.CodeKVSConflict)

	at = at.Add(time.Minute)
	put, err := e.c.PutKey(e.ctx, kvs.ARN, d0.ETag, "k", "v")
	if err != nil || put.ETag == d0.ETag || put.ETag == kvs.ETag {
		t.Fatalf("put %+v %v", put, err)
	}
	cp, err := e.c.DescribeKeyValueStore(e.ctx, "routes")
	if err != nil || cp.ETag != kvs.ETag {
		t.Fatalf("after PutKey, CloudFront's ETag is %q, not %q as created (%v)", cp.ETag, kvs.ETag, err)
	}
	// LastModifiedTime follows the keys (what OpenFront did before; the
	// reference does not say otherwise).
	if !cp.LastModified.Equal(at) {
		t.Errorf("LastModifiedTime %v after a PutKey at %v", cp.LastModified, at)
	}
	d1, _ := e.c.DescribeKeyValueStoreData(e.ctx, kvs.ARN)
	if d1.ETag != put.ETag || !d1.LastModified.Equal(at) {
		t.Errorf("data plane after the put: %+v", d1)
	}

	// UpdateKeyValueStore takes the creation's ETag and changes only it.
	at = at.Add(time.Minute)
	_, err = e.c.UpdateKeyValueStore(e.ctx, "routes", put.ETag, "x")
	wantCode(t, err, "PreconditionFailed")
	up, err := e.c.UpdateKeyValueStore(e.ctx, "routes", kvs.ETag, "x")
	if err != nil || up.ETag == kvs.ETag || !up.LastModified.Equal(at) {
		t.Fatalf("update %+v %v", up, err)
	}
	d2, _ := e.c.DescribeKeyValueStoreData(e.ctx, kvs.ARN)
	if d2.ETag != put.ETag || !d2.LastModified.Equal(at.Add(-time.Minute)) || d2.ItemCount != 1 {
		t.Errorf("data plane after UpdateKeyValueStore: %+v (want ETag %q, LastModified of the put)", d2, put.ETag)
	}

	del, err := e.c.DeleteKey(e.ctx, kvs.ARN, put.ETag, "k")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.DeleteKey(e.ctx, kvs.ARN, put.ETag, "k")
	wantCode(t, err, control.CodeKVSConflict)
	if err := e.c.DeleteKeyValueStore(e.ctx, "routes", del.ETag); err == nil {
		t.Fatal("DeleteKeyValueStore took the data plane's ETag")
	}
	if err := e.c.DeleteKeyValueStore(e.ctx, "routes", up.ETag); err != nil {
		t.Fatal(err)
	}
}

// TestKeyValueStore_ETagsOfAnOldRecord: a record written before the two
// ETags were apart keeps the CloudFront ETag it had (that of its revision),
// through key writes, and its keys and totals work as before.
func TestKeyValueStore_ETagsOfAnOldRecord(t *testing.T) {
	e := newEnv(t)
	const id = "3f8a1c2e-0000-4000-8000-000000000001"
	old := `{"ID":"` + id + `","Name":"old","Comment":"","Created":"2023-05-06T07:08:09Z","LastModified":"2023-06-07T08:09:10Z","ItemCount":1,"TotalSizeInBytes":2}`
	rev, err := e.store.Update(e.ctx, func(tx store.Txn) error {
		if err := tx.Put(model.KeyValueStoreKey("old"), []byte(old)); err != nil {
			return err
		}
		return tx.Put(model.KeyValueStoreItemKey(id, "a"), []byte("1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := e.c.DescribeKeyValueStore(e.ctx, "old")
	if err != nil || cp.ETag != control.ETag(id, rev) {
		t.Fatalf("old record: ETag %q, want %q as before (%v)", cp.ETag, control.ETag(id, rev), err)
	}
	d, err := e.c.DescribeKeyValueStoreData(e.ctx, cp.ARN)
	if err != nil || d.ItemCount != 1 || d.TotalSizeInBytes != 2 || !d.LastModified.Equal(time.Date(2023, 6, 7, 8, 9, 10, 0, time.UTC)) {
		t.Fatalf("old record, data plane: %+v %v", d, err)
	}
	put, err := e.c.PutKey(e.ctx, cp.ARN, d.ETag, "b", "22")
	if err != nil || put.ItemCount != 2 || put.TotalSizeInBytes != 5 {
		t.Fatalf("put %+v %v", put, err)
	}
	if got, _ := e.c.DescribeKeyValueStore(e.ctx, "old"); got.ETag != cp.ETag {
		t.Fatalf("after PutKey the old record's ETag is %q, not %q", got.ETag, cp.ETag)
	}
	up, err := e.c.UpdateKeyValueStore(e.ctx, "old", cp.ETag, "now with a comment")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.PutKey(e.ctx, cp.ARN, put.ETag, "c", "3"); err != nil {
		t.Fatalf("the data plane's ETag did not survive UpdateKeyValueStore: %v", err)
	}
	if err := e.c.DeleteKeyValueStore(e.ctx, "old", up.ETag); err != nil {
		t.Fatal(err)
	}
}
