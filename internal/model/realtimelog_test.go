package model

import (
	"strings"
	"testing"
)

func rtTree(mut func(Tree)) Tree {
	t := Tree{"Name": "rt", "SamplingRate": "10", "Fields": []any{"timestamp", "c-ip"}, "EndPoints": []any{map[string]any{
		"StreamType": "Kinesis", "KinesisStreamConfig": map[string]any{
			"RoleARN": "arn:aws:iam::123456789012:role/rt", "StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s"}}}}
	if mut != nil {
		mut(t)
	}
	return t
}

func endpoint(t Tree) Tree {
	return t["EndPoints"].([]any)[0].(map[string]any)["KinesisStreamConfig"].(map[string]any)
}

// TestParseRealtimeLogConfig: every rule of a configuration, hostile
// values included, is InvalidArgument.
func TestParseRealtimeLogConfig(t *testing.T) {
	tests := []struct {
		name string
		mut  func(Tree)
		ok   bool
	}{
		{"valid", nil, true},
		{"rate 1", func(t Tree) { t["SamplingRate"] = "1" }, true},
		{"rate 100", func(t Tree) { t["SamplingRate"] = "100" }, true},
		{"rate 0", func(t Tree) { t["SamplingRate"] = "0" }, false},
		{"rate 101", func(t Tree) { t["SamplingRate"] = "101" }, false},
		{"rate negative", func(t Tree) { t["SamplingRate"] = "-5" }, false},
		{"rate missing", func(t Tree) { delete(t, "SamplingRate") }, false},
		{"rate huge", func(t Tree) { t["SamplingRate"] = "99999999999999999999999" }, false},
		{"no name", func(t Tree) { t["Name"] = "" }, false},
		{"name with slash", func(t Tree) { t["Name"] = "a/b" }, false},
		{"name dot segment", func(t Tree) { t["Name"] = ".." }, false},
		{"name too long", func(t Tree) { t["Name"] = strings.Repeat("a", 65) }, false},
		{"no fields", func(t Tree) { t["Fields"] = []any{} }, false},
		{"standard-log field name", func(t Tree) { t["Fields"] = []any{"cs(Host)"} }, false},
		{"field case", func(t Tree) { t["Fields"] = []any{"Timestamp"} }, false},
		{"repeated field", func(t Tree) { t["Fields"] = []any{"c-ip", "c-ip"} }, false},
		{"every field", func(t Tree) {
			fs := make([]any, len(RealtimeLogFields))
			for i, f := range RealtimeLogFields {
				fs[i] = f
			}
			t["Fields"] = fs
		}, true},
		{"no endpoint", func(t Tree) { t["EndPoints"] = []any{} }, false},
		{"two endpoints", func(t Tree) { t["EndPoints"] = append(t["EndPoints"].([]any), t["EndPoints"].([]any)[0]) }, false},
		{"stream type", func(t Tree) { t["EndPoints"].([]any)[0].(map[string]any)["StreamType"] = "kinesis" }, false},
		{"stream ARN of another service", func(t Tree) { endpoint(t)["StreamARN"] = "arn:aws:firehose:us-east-1:123456789012:deliverystream/s" }, false},
		{"stream ARN without account", func(t Tree) { endpoint(t)["StreamARN"] = "arn:aws:kinesis:us-east-1::stream/s" }, false},
		{"stream ARN with newline", func(t Tree) { endpoint(t)["StreamARN"] = "arn:aws:kinesis:us-east-1:123456789012:stream/s\n" }, false},
		{"role ARN", func(t Tree) { endpoint(t)["RoleARN"] = "role" }, false},
		{"china partition", func(t Tree) {
			endpoint(t)["StreamARN"] = "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/s"
			endpoint(t)["RoleARN"] = "arn:aws-cn:iam::123456789012:role/rt"
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := ParseRealtimeLogConfig(rtTree(tt.mut))
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				if e, _ := err.(*Error); e == nil || e.Code != "InvalidArgument" || len(e.Message) > 600 {
					t.Errorf("error %v: want a short InvalidArgument", err)
				}
				return
			}
			if rec.Name == "" || len(rec.EndPoints) != 1 || len(rec.Fields) == 0 {
				t.Errorf("record %+v", rec)
			}
		})
	}
}

func TestRealtimeLogConfigNameOf(t *testing.T) {
	tests := []struct {
		arn, name string
		ok        bool
	}{
		{"arn:aws:cloudfront::123456789012:realtime-log-config/rt", "rt", true},
		{"arn:aws-cn:cloudfront::123456789012:realtime-log-config/a_b-1", "a_b-1", true},
		{"arn:aws:cloudfront::123456789012:realtime-log-config/", "", false},
		{"arn:aws:cloudfront::123456789012:realtime-log-config/a/b", "", false},
		{"arn:aws:cloudfront::123456789012:realtime-log-config/..", "", false},
		{"arn:aws:cloudfront::123456789012:distribution/E1", "", false},
		{"arn:aws:kinesis:us-east-1:123456789012:realtime-log-config/rt", "", false},
		{"realtime-log-config/rt", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		name, ok := RealtimeLogConfigNameOf(tt.arn)
		if name != tt.name || ok != tt.ok {
			t.Errorf("%q: got %q %v, want %q %v", tt.arn, name, ok, tt.name, tt.ok)
		}
	}
}

func FuzzRealtimeLogConfig(f *testing.F) {
	f.Add("rt", "10", "timestamp", "arn:aws:kinesis:us-east-1:123456789012:stream/s", "arn:aws:cloudfront::123456789012:realtime-log-config/rt")
	f.Add("../x", "1e3", "cs(Host)", "arn:aws:kinesis:::stream/", "arn:aws:cloudfront:::realtime-log-config/a/b")
	f.Fuzz(func(t *testing.T, name, rate, field, stream, arn string) {
		tree := rtTree(func(tr Tree) {
			tr["Name"], tr["SamplingRate"], tr["Fields"] = name, rate, []any{field}
			endpoint(tr)["StreamARN"] = stream
		})
		rec, err := ParseRealtimeLogConfig(tree)
		if err == nil {
			if rec.SamplingRate < 1 || rec.SamplingRate > 100 || strings.ContainsAny(rec.Name, "/.:\n") {
				t.Fatalf("accepted %+v", rec)
			}
			if got, ok := RealtimeLogConfigNameOf("arn:aws:cloudfront::123456789012:realtime-log-config/" + rec.Name); !ok || got != rec.Name {
				t.Fatalf("the ARN of %q does not name it back (%q)", rec.Name, got)
			}
		}
		if n, ok := RealtimeLogConfigNameOf(arn); ok && (n == "" || strings.ContainsAny(n, "/.:")) {
			t.Fatalf("%q names %q", arn, n)
		}
	})
}
