package control_test

import (
	"strings"
	"testing"

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
