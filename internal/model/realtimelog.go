package model

import (
	"strings"
)

// Real-time log configurations ("Use real-time logs", Amazon CloudFront
// Developer Guide): which fields of which share of the requests of the
// cache behaviours that name the configuration are put to a Kinesis data
// stream. Stored under rtlogconfig/<name>: the name is unique and is the
// last part of the ARN, so a behaviour's ARN finds its record.

// RealtimeLogConfigRecord is one real-time log configuration.
type RealtimeLogConfigRecord struct {
	Name string
	ARN  string
	// SamplingRate is the percentage (1..100) of requests logged.
	SamplingRate int64
	// Fields are the field names in record order.
	Fields    []string
	EndPoints []KinesisEndPoint
}

// KinesisEndPoint is one EndPoint: the only StreamType is Kinesis.
type KinesisEndPoint struct {
	StreamType string
	RoleARN    string
	StreamARN  string
}

// RealtimeLogFields are the field names a configuration may list, in the
// order of "Real-time log configuration fields" (Amazon CloudFront
// Developer Guide, "Use real-time logs").
var RealtimeLogFields = []string{
	"timestamp", "c-ip", "time-to-first-byte", "sc-status", "sc-bytes", "cs-method", "cs-protocol",
	"cs-host", "cs-uri-stem", "cs-bytes", "x-edge-location", "x-edge-request-id", "x-host-header",
	"time-taken", "cs-protocol-version", "c-ip-version", "cs-user-agent", "cs-referer", "cs-cookie",
	"cs-uri-query", "x-edge-response-result-type", "x-forwarded-for", "ssl-protocol", "ssl-cipher",
	"x-edge-result-type", "fle-encrypted-fields", "fle-status", "sc-content-type", "sc-content-len",
	"sc-range-start", "sc-range-end", "c-port", "x-edge-detailed-result-type", "c-country",
	"cs-accept-encoding", "cs-accept", "cache-behavior-path-pattern", "cs-headers", "cs-header-names",
	"cs-headers-count", "primary-distribution-id", "primary-distribution-dns-name", "origin-fbl",
	"origin-lbl", "asn",
}

var realtimeLogFieldSet = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range RealtimeLogFields {
		m[f] = true
	}
	return m
}()

var (
	// A configuration's name: CloudFront's console allows letters,
	// digits, hyphens and underscores, up to 64 characters.
	realtimeLogConfigName = LazyRegexp(`^[A-Za-z0-9_-]{1,64}$`)
	// A Kinesis data stream ARN (Amazon Kinesis Data Streams API
	// Reference, StreamARN pattern).
	kinesisStreamARN = LazyRegexp(`^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:[0-9]{12}:stream/[A-Za-z0-9_.-]{1,128}$`)
	iamRoleARN       = LazyRegexp(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
)

// ParseRealtimeLogConfig reads and checks the members of a Create or
// UpdateRealtimeLogConfigRequest (the decoder checked the types). Every
// problem is InvalidArgument, the error botocore's model lists.
func ParseRealtimeLogConfig(t Tree) (RealtimeLogConfigRecord, error) {
	rec := RealtimeLogConfigRecord{Name: StrOr(t, "", "Name")}
	if !realtimeLogConfigName.MatchString(rec.Name) {
		return rec, Errorf("InvalidArgument", "The real-time log configuration name %q is not valid: use 1 to 64 letters, digits, hyphens or underscores.", rec.Name)
	}
	rate, ok := Int(t, "SamplingRate")
	if !ok || rate < 1 || rate > 100 {
		return rec, Errorf("InvalidArgument", "The sampling rate must be a whole number between 1 and 100, inclusive.")
	}
	rec.SamplingRate = rate
	rec.Fields = listStrings(t, "Fields")
	if len(rec.Fields) == 0 {
		return rec, Errorf("InvalidArgument", "A real-time log configuration must list at least one field.")
	}
	seen := map[string]bool{}
	for _, f := range rec.Fields {
		if !realtimeLogFieldSet[f] {
			return rec, Errorf("InvalidArgument", "The field %q is not a real-time log field.", truncate(f, 64))
		}
		if seen[f] {
			return rec, Errorf("InvalidArgument", "The field %q is listed more than once.", f)
		}
		seen[f] = true
	}
	eps := listStructs(t, "EndPoints")
	if len(eps) != 1 {
		// CloudFront takes exactly one Kinesis data stream per
		// configuration ("Create a real-time log configuration").
		return rec, Errorf("InvalidArgument", "A real-time log configuration must have exactly one endpoint, not %d.", len(eps))
	}
	for _, ep := range eps {
		e := KinesisEndPoint{
			StreamType: StrOr(ep, "", "StreamType"),
			RoleARN:    StrOr(ep, "", "KinesisStreamConfig", "RoleARN"),
			StreamARN:  StrOr(ep, "", "KinesisStreamConfig", "StreamARN"),
		}
		if e.StreamType != "Kinesis" {
			return rec, Errorf("InvalidArgument", "The stream type %q is not valid: the only stream type is Kinesis.", truncate(e.StreamType, 64))
		}
		if !kinesisStreamARN.MatchString(e.StreamARN) {
			return rec, Errorf("InvalidArgument", "The Kinesis stream ARN %q is not valid (arn:aws:kinesis:<region>:<account>:stream/<name>).", truncate(e.StreamARN, 256))
		}
		if !iamRoleARN.MatchString(e.RoleARN) {
			return rec, Errorf("InvalidArgument", "The IAM role ARN %q is not valid (arn:aws:iam::<account>:role/<name>).", truncate(e.RoleARN, 256))
		}
		rec.EndPoints = append(rec.EndPoints, e)
	}
	return rec, nil
}

// Tree is the RealtimeLogConfig document of the record.
func (rec *RealtimeLogConfigRecord) Tree() Tree {
	fields := make([]any, len(rec.Fields))
	for i, f := range rec.Fields {
		fields[i] = f
	}
	eps := make([]any, len(rec.EndPoints))
	for i, e := range rec.EndPoints {
		eps[i] = Tree{"StreamType": e.StreamType, "KinesisStreamConfig": Tree{"RoleARN": e.RoleARN, "StreamARN": e.StreamARN}}
	}
	return Tree{
		"ARN": rec.ARN, "Name": rec.Name, "SamplingRate": itoa(rec.SamplingRate),
		"EndPoints": eps, "Fields": fields,
	}
}

// RealtimeLogConfigNameOf returns the configuration name of a real-time
// log configuration ARN (arn:<partition>:cloudfront::<account>:
// realtime-log-config/<name>).
func RealtimeLogConfigNameOf(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "cloudfront" {
		return "", false
	}
	name, ok := strings.CutPrefix(parts[5], "realtime-log-config/")
	if !ok || !realtimeLogConfigName.MatchString(name) {
		return "", false
	}
	return name, true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// listStrings and listStructs read a plain list member (one without a
// Quantity/Items wrapper, such as FieldList and EndPointList).
func listStrings(t Tree, key string) []string {
	l, _ := t[key].([]any)
	out := make([]string, 0, len(l))
	for _, it := range l {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func listStructs(t Tree, key string) []Tree {
	l, _ := t[key].([]any)
	out := make([]Tree, 0, len(l))
	for _, it := range l {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
