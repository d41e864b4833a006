package control_test

import (
	"strconv"
	"testing"

	"openfront/internal/control"
	"openfront/internal/model"
)

func rtConfig(name string, rate int64, fields ...string) model.Tree {
	fs := make([]any, len(fields))
	for i, f := range fields {
		fs[i] = f
	}
	return model.Tree{"Name": name, "SamplingRate": itoa(rate), "Fields": fs, "EndPoints": []any{model.Tree{
		"StreamType": "Kinesis", "KinesisStreamConfig": model.Tree{
			"RoleARN": "arn:aws:iam::123456789012:role/rt", "StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s"}}}}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func withRealtimeLog(ref, arn string) model.Tree {
	c := distConfig(ref)
	c["DefaultCacheBehavior"].(model.Tree)["RealtimeLogConfigArn"] = arn
	return c
}

// TestRealtimeLogConfig_references: a behaviour may name an existing
// configuration of this account only; a configuration in use cannot be
// deleted until every distribution lets go of it; the index lists the
// distributions that use it.
func TestRealtimeLogConfig_references(t *testing.T) {
	e := newEnv(t)
	rec, err := e.c.CreateRealtimeLogConfig(e.ctx, rtConfig("rt", 100, "timestamp"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.ARN != "arn:aws:cloudfront::123456789012:realtime-log-config/rt" {
		t.Fatalf("ARN %q", rec.ARN)
	}
	_, _, err = e.c.CreateDistribution(e.ctx, withRealtimeLog("r0", "arn:aws:cloudfront::123456789012:realtime-log-config/nope"), nil)
	wantCode(t, err, "NoSuchRealtimeLogConfig")
	_, _, err = e.c.CreateDistribution(e.ctx, withRealtimeLog("r0", "arn:aws:cloudfront::999999999999:realtime-log-config/rt"), nil)
	wantCode(t, err, "RealtimeLogConfigOwnerMismatch")
	_, _, err = e.c.CreateDistribution(e.ctx, withRealtimeLog("r0", "arn:aws:cloudfront::123456789012:realtime-log-config/../rt"), nil)
	wantCode(t, err, "NoSuchRealtimeLogConfig")

	d := e.create(withRealtimeLog("r1", rec.ARN))
	wantCode(t, e.c.DeleteRealtimeLogConfig(e.ctx, control.RealtimeLogConfigRef{Name: "rt"}), "RealtimeLogConfigInUse")
	ids, err := e.c.DistributionsUsingRealtimeLogConfig(e.ctx, control.RealtimeLogConfigRef{ARN: rec.ARN})
	if err != nil || len(ids) != 1 || !ids[d.ID] {
		t.Fatalf("distributions using rt: %v %v", ids, err)
	}
	e.mustUpdate(d.ID, func(c model.Tree) { delete(c["DefaultCacheBehavior"].(model.Tree), "RealtimeLogConfigArn") })
	if ids, _ := e.c.DistributionsUsingRealtimeLogConfig(e.ctx, control.RealtimeLogConfigRef{Name: "rt"}); len(ids) != 0 {
		t.Errorf("still listed after the distribution let go: %v", ids)
	}
	if err := e.c.DeleteRealtimeLogConfig(e.ctx, control.RealtimeLogConfigRef{ARN: rec.ARN}); err != nil {
		t.Errorf("delete after the distribution let go: %v", err)
	}
	_, err = e.c.GetRealtimeLogConfig(e.ctx, control.RealtimeLogConfigRef{Name: "rt"})
	wantCode(t, err, "NoSuchRealtimeLogConfig")
}

// TestRealtimeLogConfig_rules: names unique, quota, update keeps the ARN.
func TestRealtimeLogConfig_rules(t *testing.T) {
	e := newEnv(t)
	if _, err := e.c.CreateRealtimeLogConfig(e.ctx, rtConfig("a", 50, "c-ip")); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.CreateRealtimeLogConfig(e.ctx, rtConfig("a", 50, "c-ip"))
	wantCode(t, err, "RealtimeLogConfigAlreadyExists")
	for i := 1; i < 15; i++ {
		if _, err := e.c.CreateRealtimeLogConfig(e.ctx, rtConfig("c"+itoa(int64(i)), 50, "c-ip")); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.c.CreateRealtimeLogConfig(e.ctx, rtConfig("one-too-many", 50, "c-ip"))
	wantCode(t, err, "TooManyRealtimeLogConfigs")

	up, err := e.c.UpdateRealtimeLogConfig(e.ctx, rtConfig("a", 5, "asn", "timestamp"))
	if err != nil {
		t.Fatal(err)
	}
	if up.SamplingRate != 5 || len(up.Fields) != 2 || up.ARN != "arn:aws:cloudfront::123456789012:realtime-log-config/a" {
		t.Errorf("updated %+v", up)
	}
	_, err = e.c.UpdateRealtimeLogConfig(e.ctx, rtConfig("nope", 5, "asn"))
	wantCode(t, err, "NoSuchRealtimeLogConfig")
	list, page, err := e.c.ListRealtimeLogConfigs(e.ctx, control.ListOptions{MaxItems: 2})
	if err != nil || len(list) != 2 || list[0].Name != "a" || !page.IsTruncated || page.NextMarker != list[1].Name {
		t.Errorf("list: %v %+v %v", list, page, err)
	}
}
