package lightsail

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"openfront/internal/control"
	"openfront/internal/model"
	"openfront/internal/store"
	"openfront/internal/store/boltstore"
)

// TestGetOperation_everyChangeIsFound: the operation each change returns
// is found again by GetOperation with the same members, GetOperations
// lists them oldest first, GetOperationsForResource keeps one resource's.
func TestGetOperation_everyChangeIsFound(t *testing.T) {
	f := newFixture(t)
	calls := []struct{ op, body, wantType string }{
		{"CreateDistribution", `{"distributionName":"site",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"}}`, "CreateDistribution"},
		{"CreateDistribution", `{"distributionName":"other",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"}}`, "CreateDistribution"},
		{"UpdateDistribution", `{"distributionName":"site","isEnabled":false}`, "UpdateDistribution"},
		{"UpdateDistributionBundle", `{"distributionName":"site","bundleId":"medium_1_0"}`, "UpdateDistributionBundle"},
		{"ResetDistributionCache", `{"distributionName":"site"}`, "ResetDistributionCache"},
		{"SetIpAddressType", `{"resourceType":"Distribution","resourceName":"site","ipAddressType":"ipv4"}`, "SetIpAddressType"},
		{"TagResource", `{"resourceName":"site","tags":[{"key":"env","value":"test"}]}`, "TagResource"},
		{"UntagResource", `{"resourceName":"site","tagKeys":["env"]}`, "UntagResource"},
		{"DeleteDistribution", `{"distributionName":"site"}`, "DeleteDistribution"},
	}
	var ids []string
	for _, c := range calls {
		code, out := f.call(t, c.op, c.body)
		if code != 200 {
			t.Fatalf("%s: %d %v", c.op, code, out)
		}
		op, _ := out["operation"].(map[string]any)
		if ops, ok := out["operations"].([]any); ok && len(ops) == 1 {
			op = ops[0].(map[string]any)
		}
		if op == nil || op["operationType"] != c.wantType {
			t.Fatalf("%s: operation %v", c.op, out)
		}
		code, got := f.call(t, "GetOperation", fmt.Sprintf(`{"operationId":%q}`, op["id"]))
		if code != 200 {
			t.Fatalf("GetOperation after %s: %d %v", c.op, code, got)
		}
		if fmt.Sprint(got["operation"]) != fmt.Sprint(op) {
			t.Errorf("GetOperation after %s:\n got %v\nwant %v", c.op, got["operation"], op)
		}
		ids = append(ids, op["id"].(string))
	}
	_, out := f.call(t, "GetOperations", `{}`)
	var listed []string
	for _, op := range out["operations"].([]any) {
		listed = append(listed, op.(map[string]any)["id"].(string))
	}
	if fmt.Sprint(listed) != fmt.Sprint(ids) {
		t.Errorf("GetOperations ids %v, want oldest first %v", listed, ids)
	}
	if _, ok := out["nextPageToken"]; ok {
		t.Errorf("a single page has a nextPageToken: %v", out)
	}
	_, out = f.call(t, "GetOperationsForResource", `{"resourceName":"other"}`)
	if ops := out["operations"].([]any); len(ops) != 1 || ops[0].(map[string]any)["id"] != ids[1] {
		t.Errorf("GetOperationsForResource(other) = %v", out)
	}
	// SetIpAddressType changed the distribution too.
	if d, err := f.ctl.LightsailDistribution(context.Background(), "other"); err != nil || d.Settings.IPAddressType != "dualstack" {
		t.Errorf("other: %v %v", d, err)
	}
}

func TestGetOperation_errors(t *testing.T) {
	f := newFixture(t)
	f.call(t, "CreateDistribution", `{"distributionName":"site",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"}}`)
	tests := []struct{ name, op, body, code, msg string }{
		{"unknown id", "GetOperation", `{"operationId":"00000000-0000-0000-0000-000000000000"}`, codeNotFound, "00000000"},
		{"missing id", "GetOperation", `{}`, codeInvalidInput, "operationId"},
		{"empty id", "GetOperation", `{"operationId":""}`, codeInvalidInput, "operationId"},
		{"id outside the prefix", "GetOperation", `{"operationId":"../lsdist/site"}`, codeNotFound, "../lsdist/site"},
		{"id naming a distribution key", "GetOperation", `{"operationId":"x/../../lsdist/site"}`, codeNotFound, "lsdist"},
		{"huge id", "GetOperation", `{"operationId":"` + strings.Repeat("a", 100000) + `"}`, codeNotFound, "aaaa..."},
		{"id with NUL and unicode", "GetOperation", `{"operationId":"a\u0000\u00e9\ud83d\ude00"}`, codeNotFound, "operation"},
		{"ip type missing resource", "SetIpAddressType", `{"resourceType":"Distribution","ipAddressType":"ipv4"}`, codeInvalidInput, "resourceName"},
		{"ip type missing type", "SetIpAddressType", `{"resourceName":"site","ipAddressType":"ipv4"}`, codeInvalidInput, "resourceType"},
		{"wrong type", "GetOperation", `{"operationId":5}`, codeInvalidInput, "operationId"},
		{"bad token", "GetOperations", `{"pageToken":"!!"}`, codeInvalidInput, "pageToken"},
		{"resource required", "GetOperationsForResource", `{}`, codeInvalidInput, "resourceName"},
		{"ip type unknown dist", "SetIpAddressType", `{"resourceType":"Distribution","resourceName":"nope","ipAddressType":"ipv4"}`, codeNotFound, "nope"},
		{"ip type ipv6 for a distribution", "SetIpAddressType", `{"resourceType":"Distribution","resourceName":"site","ipAddressType":"ipv6"}`, codeInvalidInput, "ipAddressType"},
		{"ip type bad type", "SetIpAddressType", `{"resourceType":"Distribution","resourceName":"site","ipAddressType":"ipv5"}`, codeInvalidInput, "ipAddressType"},
		{"ip type bad resource type", "SetIpAddressType", `{"resourceType":"Bucket","resourceName":"site","ipAddressType":"ipv4"}`, codeInvalidInput, "resourceType"},
		{"ip type instance", "SetIpAddressType", `{"resourceType":"Instance","resourceName":"site","ipAddressType":"ipv4"}`, codeNotFound, "Instance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := f.call(t, tt.op, tt.body)
			if code != 400 || out["__type"] != tt.code {
				t.Fatalf("got %d %v, want 400 %s", code, out, tt.code)
			}
			if msg, _ := out["message"].(string); !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q does not name %q", msg, tt.msg)
			}
		})
	}
}

// TestGetOperation_survivesRestart: operations are in the store, so a new
// process (or another node) on the same store finds them.
func TestGetOperation_survivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "openfront.db")
	open := func() (*fixture, func()) {
		st, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctl := control.New(st, nil, control.Settings{AccountID: "123456789012", DomainSuffix: "cloudfront.localhost",
			LightsailOrigins: map[string]string{"web": "127.0.0.1:8081"}})
		return &fixture{h: New(ctl, nil, slog.New(slog.NewTextHandler(io.Discard, nil))), store: st, ctl: ctl}, func() { st.Close() }
	}
	f, closeStore := open()
	_, out := f.call(t, "CreateDistribution", `{"distributionName":"site",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"}}`)
	id := out["operation"].(map[string]any)["id"].(string)
	closeStore()
	f, closeStore = open()
	defer closeStore()
	if code, out := f.call(t, "GetOperation", fmt.Sprintf(`{"operationId":%q}`, id)); code != 200 || out["operation"].(map[string]any)["status"] != "Succeeded" {
		t.Fatalf("after restart: %d %v", code, out)
	}
}

// TestGetOperations_pagesAndRetention: pages of LightsailOperationPageSize
// oldest first, and only the newest LightsailOperationRetain are kept.
func TestGetOperations_pagesAndRetention(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n := model.LightsailOperationRetain + 5
	for i := range n {
		op := model.LightsailOperationRecord{ID: fmt.Sprintf("op-%04d", i), ResourceName: "site", ResourceType: "Distribution", OperationType: "UpdateDistribution", Status: "Succeeded"}
		if err := f.ctl.RecordLightsailOperation(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	if code, _ := f.call(t, "GetOperation", `{"operationId":"op-0004"}`); code != 400 {
		t.Errorf("op-0004 should have been trimmed (code %d)", code)
	}
	var got []string
	token := ""
	for pages := 0; ; pages++ {
		body := `{}`
		if token != "" {
			body = fmt.Sprintf(`{"pageToken":%q}`, token)
		}
		code, out := f.call(t, "GetOperations", body)
		if code != 200 {
			t.Fatalf("page %d: %v", pages, out)
		}
		ops := out["operations"].([]any)
		if len(ops) > control.LightsailOperationPageSize {
			t.Fatalf("page of %d", len(ops))
		}
		for _, op := range ops {
			got = append(got, op.(map[string]any)["id"].(string))
		}
		next, _ := out["nextPageToken"].(string)
		if next == "" {
			break
		}
		token = next
	}
	if len(got) != model.LightsailOperationRetain || got[0] != "op-0005" || got[len(got)-1] != fmt.Sprintf("op-%04d", n-1) {
		t.Errorf("listed %d operations, first %s last %s", len(got), got[0], got[len(got)-1])
	}
}

// TestForwardedHeaders_defaultOption: "default" (sent by the Terraform AWS
// provider) is accepted, returned as given, and forwards what "none"
// forwards; it takes no allow-list.
func TestForwardedHeaders_defaultOption(t *testing.T) {
	f := newFixture(t)
	for _, opt := range []string{"none", "default"} {
		code, out := f.call(t, "CreateDistribution", fmt.Sprintf(`{"distributionName":"h-%s",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"},
			"cacheBehaviorSettings":{"forwardedHeaders":{"option":%q}}}`, opt, opt))
		if code != 200 {
			t.Fatalf("%s: %d %v", opt, code, out)
		}
		got := out["distribution"].(map[string]any)["cacheBehaviorSettings"].(map[string]any)["forwardedHeaders"].(map[string]any)
		if got["option"] != opt {
			t.Errorf("%s: returned option %v", opt, got["option"])
		}
	}
	none, def := f.config(t, "h-none"), f.config(t, "h-default")
	if fmt.Sprint(none["DefaultCacheBehavior"]) != fmt.Sprint(def["DefaultCacheBehavior"]) {
		t.Errorf("default and none derive different behaviours:\n%v\n%v", none["DefaultCacheBehavior"], def["DefaultCacheBehavior"])
	}
	code, out := f.call(t, "CreateDistribution", `{"distributionName":"h-bad",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"},
		"cacheBehaviorSettings":{"forwardedHeaders":{"option":"default","headersAllowList":["Host"]}}}`)
	if code != 400 || out["__type"] != codeInvalidInput {
		t.Errorf("default with an allow-list: %d %v", code, out)
	}
	// Cookies keep the model's enumeration.
	code, out = f.call(t, "CreateDistribution", `{"distributionName":"c-bad",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"},
		"cacheBehaviorSettings":{"forwardedCookies":{"option":"default"}}}`)
	if code != 400 || out["__type"] != codeInvalidInput {
		t.Errorf("cookies option default: %d %v", code, out)
	}
}

// TestOperation_committedWithItsChange: a change and its operation are one
// commit (one revision), and a change that fails records no operation.
func TestOperation_committedWithItsChange(t *testing.T) {
	f := newFixture(t)
	before := f.revision(t)
	_, out := f.call(t, "CreateDistribution", `{"distributionName":"site",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"}}`)
	id := out["operation"].(map[string]any)["id"].(string)
	if got := f.revision(t); got != before+1 {
		t.Errorf("create took revisions %d..%d, want one commit", before, got)
	}
	var distRev, opRev int64
	f.store.View(context.Background(), func(tx store.ReadTxn) error {
		kv, _, _ := tx.Get(model.LightsailDistributionKey("site"))
		distRev = kv.ModRevision
		kv, _, _ = tx.Get(model.LightsailOperationKey(id))
		opRev = kv.ModRevision
		return nil
	})
	if distRev == 0 || distRev != opRev {
		t.Errorf("distribution at revision %d, its operation at %d", distRev, opRev)
	}
	rev := f.revision(t)
	if code, _ := f.call(t, "CreateDistribution", `{"distributionName":"site",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"}}`); code != 400 {
		t.Fatal("a second create of the same name succeeded")
	}
	if f.revision(t) != rev {
		t.Error("a failed create wrote to the store")
	}
	if _, out := f.call(t, "GetOperations", `{}`); len(out["operations"].([]any)) != 1 {
		t.Errorf("operations after a failed change: %v", out)
	}
}
