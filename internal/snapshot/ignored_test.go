package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"openfront/internal/model"
	"openfront/internal/shape"
	"openfront/internal/store"
)

// TestDistributionFields_coverModel: the list names every leaf member of
// the 2020-05-31 DistributionConfig once, in model order, and no other;
// every 2016-01-13 member is among them.
func TestDistributionFields_coverModel(t *testing.T) {
	m, err := shape.Load("2020-05-31")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range DistributionFields {
		paths = append(paths, f.Path)
		if len(f.Defaults) > 0 && f.Support != NotActedOn && f.Support != Refused {
			t.Errorf("%s: Defaults on a member that is %s", f.Path, f.Support)
		}
	}
	want := m.LeafPaths("DistributionConfig")
	if !slices.Equal(paths, want) {
		for _, p := range want {
			if !slices.Contains(paths, p) {
				t.Errorf("model member %s is not classified", p)
			}
		}
		for _, p := range paths {
			if !slices.Contains(want, p) {
				t.Errorf("classified %s is no model member", p)
			}
		}
		if !t.Failed() {
			t.Errorf("DistributionFields is not in model order")
		}
	}
	old, err := shape.Load("2016-01-13")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range old.LeafPaths("DistributionConfig") {
		if !slices.Contains(paths, p) {
			t.Errorf("2016-01-13 member %s is not classified", p)
		}
	}
}

func TestIgnoredFields(t *testing.T) {
	behavior := func(c model.Tree) model.Tree { return model.Sub(c, "DefaultCacheBehavior") }
	tests := []struct {
		name   string
		change func(c model.Tree)
		want   []string
	}{
		{"plain config", func(model.Tree) {}, nil},
		{"defaults spelled out", func(c model.Tree) {
			c["PriceClass"], c["HttpVersion"], c["IsIPV6Enabled"], c["Staging"], c["WebACLId"] = "PriceClass_All", "http2", "true", "false", ""
			c["ViewerCertificate"] = model.Tree{"CloudFrontDefaultCertificate": "true", "MinimumProtocolVersion": "TLSv1", "CertificateSource": "cloudfront"}
			behavior(c)["SmoothStreaming"] = "false"
			behavior(c)["FunctionAssociations"] = model.Wrapper[model.Tree](nil)
			behavior(c)["GrpcConfig"] = model.Tree{"Enabled": "false"}
		}, nil},
		{"IPv6 and price class", func(c model.Tree) { c["IsIPV6Enabled"], c["PriceClass"] = "false", "PriceClass_100" }, []string{"PriceClass"}},
		// IsIPV6Enabled only decides CloudFront's AAAA answers (API
		// Reference, DistributionConfig); OpenFront answers no DNS and the
		// edge serves both families on its listeners: neither value is
		// reported (the Terraform AWS provider always sends false).
		{"IPv6 off", func(c model.Tree) { c["IsIPV6Enabled"] = "false" }, nil},
		{"IPv6 on", func(c model.Tree) { c["IsIPV6Enabled"] = "true" }, nil},
		{"HTTP/3 is acted on", func(c model.Tree) { c["HttpVersion"] = "http2and3" }, nil},
		{"web ACL", func(c model.Tree) { c["WebACLId"] = "473e64fd-f30b-4765-81a0-62ad96dd167a" }, []string{"WebACLId"}},
		{"TLS policy", func(c model.Tree) {
			c["ViewerCertificate"] = model.Tree{"CloudFrontDefaultCertificate": "true", "MinimumProtocolVersion": "TLSv1.2_2021", "SSLSupportMethod": "vip"}
		}, nil}, // the default certificate is shown as vip, and served to every viewer
		{"dedicated IP for an own certificate", func(c model.Tree) {
			c["ViewerCertificate"] = model.Tree{"ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/c", "SSLSupportMethod": "vip"}
		}, []string{"ViewerCertificate.SSLSupportMethod"}},
		{"smooth streaming on a path behaviour", func(c model.Tree) {
			b := model.Clone(behavior(c))
			b["PathPattern"], b["SmoothStreaming"] = "/video/*", "true"
			c["CacheBehaviors"] = model.Wrapper([]model.Tree{b})
		}, []string{"CacheBehaviors.Items[].SmoothStreaming"}},
		{"managed response headers policy is acted on", func(c model.Tree) {
			behavior(c)["ResponseHeadersPolicyId"] = "60669652-455b-4ae9-85a4-c4c02393f86c"
		}, nil},
		{"origin shield on the second origin", func(c model.Tree) {
			o := model.Clone(model.StructItems(c, "Origins")[0])
			o["Id"], o["OriginShield"] = "o2", model.Tree{"Enabled": "true", "OriginShieldRegion": "us-east-1"}
			c["Origins"] = model.Wrapper([]model.Tree{model.StructItems(c, "Origins")[0], o})
		}, []string{"Origins.Items[].OriginShield.Enabled", "Origins.Items[].OriginShield.OriginShieldRegion"}},
		{"stored before references were refused", func(c model.Tree) {
			behavior(c)["LambdaFunctionAssociations"] = model.Wrapper([]model.Tree{{"LambdaFunctionARN": "arn:aws:lambda:us-east-1:1:function:f:1", "EventType": "viewer-request"}})
		}, []string{"DefaultCacheBehavior.LambdaFunctionAssociations.Items[].LambdaFunctionARN", "DefaultCacheBehavior.LambdaFunctionAssociations.Items[].EventType"}},
		{"function associations are acted on", func(c model.Tree) {
			behavior(c)["FunctionAssociations"] = model.Wrapper([]model.Tree{{"FunctionARN": "arn:aws:cloudfront::1:function/f", "EventType": "viewer-request"}})
		}, nil},
		{"multi-tenant", func(c model.Tree) {
			c["ConnectionMode"] = "tenant-only"
			c["TenantConfig"] = model.Tree{"ParameterDefinitions": []any{model.Tree{"Name": "p", "Definition": model.Tree{"StringSchema": model.Tree{"Required": "true"}}}}}
		}, []string{"TenantConfig.ParameterDefinitions[].Name", "TenantConfig.ParameterDefinitions[].Definition.StringSchema.Required", "ConnectionMode"}},
		{"direct connection mode", func(c model.Tree) { c["ConnectionMode"] = "direct" }, nil},
		{"wrong shapes are not reported", func(c model.Tree) {
			c["OriginGroups"] = "not a structure"
			c["CacheBehaviors"] = model.Tree{"Items": "not a list"}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := distRecord("E1", "d1.example").Config
			tt.change(c)
			if got := IgnoredFields(c); !slices.Equal(got, tt.want) {
				t.Errorf("IgnoredFields = %q, want %q", got, tt.want)
			}
		})
	}
}

// lockedBuffer collects log output written from the watcher's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestWatcher_reportsIgnoredFields: deploying a distribution revision that
// sets members the edge does not act on logs one WARN line per member,
// naming distribution and member, and counts each once; recompiling for
// another distribution's change reports nothing again; a new revision of
// the distribution is reported again.
func TestWatcher_reportsIgnoredFields(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := openStore(t)
	put := func(rec *model.DistributionRecord) int64 {
		t.Helper()
		b, _ := json.Marshal(rec)
		rev, err := st.Update(ctx, func(tx store.Txn) error { return tx.Put(model.DistributionKey(rec.ID), b) })
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	ignoring := distRecord("E1", "d1.example")
	ignoring.LastModified = time.Unix(1000, 0)
	ignoring.Config["PriceClass"] = "PriceClass_100"
	ignoring.Config["IsIPV6Enabled"] = "false" // as the Terraform AWS provider sends it: not reported
	model.Sub(ignoring.Config, "DefaultCacheBehavior")["SmoothStreaming"] = "true"
	put(ignoring)

	var logs lockedBuffer
	var mu sync.Mutex
	counts := map[string]int{}
	applied := make(chan int64, 16)
	w := NewWatcher(st, func(_ context.Context, s *Snapshot, _ []model.InvalidationRecord) error {
		applied <- s.Revision
		return nil
	}, slog.New(slog.NewTextHandler(&logs, nil)))
	w.CountIgnoredFields(func(field string) {
		mu.Lock()
		defer mu.Unlock()
		counts[field]++
	})
	go w.Run(ctx)
	waitFor := func(rev int64) {
		t.Helper()
		for {
			select {
			case got := <-applied:
				if got >= rev {
					return
				}
			case <-ctx.Done():
				t.Fatalf("revision %d never applied", rev)
			}
		}
	}
	snapshotCounts := func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(counts)
	}
	waitFor(0)
	want := map[string]int{"DefaultCacheBehavior.SmoothStreaming": 1, "PriceClass": 1}
	if got := snapshotCounts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts after the first deploy = %v, want %v", got, want)
	}
	for _, field := range []string{"PriceClass", "DefaultCacheBehavior.SmoothStreaming"} {
		line := "level=WARN msg=\"distribution sets a field the edge does not act on\" dist_id=E1 field=" + field
		if strings.Count(logs.String(), line) != 1 {
			t.Errorf("want one log line %q in:\n%s", line, logs.String())
		}
	}

	if strings.Contains(logs.String(), "field=IsIPV6Enabled") {
		t.Errorf("IsIPV6Enabled=false was reported:\n%s", logs.String())
	}

	// Another distribution changes: E1 is compiled again, not reported again.
	waitFor(put(distRecord("E2", "d2.example")))
	if got := snapshotCounts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts after another distribution's change = %v, want %v", got, want)
	}

	// A new revision of E1 still setting PriceClass is reported again.
	model.Sub(ignoring.Config, "DefaultCacheBehavior")["SmoothStreaming"] = "false"
	ignoring.LastModified = time.Unix(2000, 0)
	waitFor(put(ignoring))
	want["PriceClass"] = 2
	if got := snapshotCounts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts after E1's new revision = %v, want %v", got, want)
	}
	if n := strings.Count(logs.String(), "field=DefaultCacheBehavior.SmoothStreaming"); n != 1 {
		t.Errorf("SmoothStreaming logged %d times, want 1 (the new revision leaves it at its default)", n)
	}
}

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's field table from DistributionFields")

// TestREADME_fieldTable: the README's "What the edge acts on" table is
// DistributionFields rendered; run with -update-readme to rewrite it.
func TestREADME_fieldTable(t *testing.T) {
	const path = "../../README.md"
	const begin, end = "<!-- distribution-fields:begin (generated by go test ./internal/snapshot -update-readme) -->\n", "<!-- distribution-fields:end -->\n"
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(readme, []byte(begin)), bytes.Index(readme, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", begin, end)
	}
	table := FieldTable()
	if got := string(readme[i+len(begin) : j]); got != table {
		if *updateREADME {
			out := append(append(slices.Clone(readme[:i+len(begin)]), table...), readme[j:]...)
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's field table differs from DistributionFields: run go test ./internal/snapshot -run TestREADME_fieldTable -update-readme")
	}
}
