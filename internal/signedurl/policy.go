package signedurl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// MaxExpires is the largest Expires a canned policy accepts (a 32-bit
// epoch; OpenFront's choice, matching the 10-digit Unix times of "Create a
// signed URL using a canned policy").
const MaxExpires = math.MaxInt32

// Policy is a parsed policy statement.
type Policy struct {
	// Resource is the URL pattern the policy grants, with wildcards * and
	// ? in custom policies; "" grants any URL.
	Resource string
	// DateLessThan is the expiry: the policy is valid while now < it.
	DateLessThan time.Time
	// DateGreaterThan, when not zero, is the start: valid from it on.
	DateGreaterThan time.Time
	// SourceIP, when valid, is the prefix the client IP must be in.
	SourceIP netip.Prefix

	canned bool // Resource is compared exactly, not as a pattern
	res    resourcePattern
}

// CannedPolicy returns the policy CloudFront signs for a canned signed URL
// or cookie, byte for byte ("Create a signed URL using a canned policy",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-canned-policy.html):
// {"Statement":[{"Resource":"<resource>","Condition":{"DateLessThan":{"AWS:EpochTime":<expires>}}}]}.
// The resource is written as a JSON string the way the AWS signers write
// it (Go's encoding/json without HTML escaping).
func CannedPolicy(resource string, expires int64) []byte {
	b := make([]byte, 0, len(resource)+90)
	b = append(b, `{"Statement":[{"Resource":`...)
	b = appendJSONString(b, resource)
	b = append(b, `,"Condition":{"DateLessThan":{"AWS:EpochTime":`...)
	b = strconv.AppendInt(b, expires, 10)
	b = append(b, `}}}]}`...)
	return b
}

// appendJSONString appends s as a JSON string; plain URLs (the usual
// case) are copied as they are.
func appendJSONString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...)
}

// ParsePolicy parses a custom policy: exactly one statement, an optional
// Resource starting with a scheme pattern and "://" (or "*"), and a
// Condition with the required DateLessThan and optional DateGreaterThan
// and IpAddress. Epoch times are JSON integers; AWS:SourceIp is an IPv4
// or IPv6 address or CIDR prefix. Unknown keys are refused, so a policy
// meant to be narrower than OpenFront understands is never granted.
func ParsePolicy(b []byte) (*Policy, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("parse policy: %w", err)
	}
	if err := onlyKeys(top, "Statement"); err != nil {
		return nil, err
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(top["Statement"], &stmts); err != nil {
		return nil, fmt.Errorf("parse policy Statement: %w", err)
	}
	if len(stmts) != 1 {
		return nil, fmt.Errorf("parse policy: %d statements, want 1", len(stmts))
	}
	st := stmts[0]
	if err := onlyKeys(st, "Resource", "Condition"); err != nil {
		return nil, err
	}
	p := &Policy{}
	if raw, ok := st["Resource"]; ok {
		if err := json.Unmarshal(raw, &p.Resource); err != nil {
			return nil, fmt.Errorf("parse policy Resource: %w", err)
		}
		res, err := compileResource(p.Resource)
		if err != nil {
			return nil, err
		}
		p.res = res
	} else {
		p.res = resourcePattern{any: true}
	}
	var cond map[string]json.RawMessage
	if err := json.Unmarshal(st["Condition"], &cond); err != nil || cond == nil {
		return nil, errors.New("parse policy: missing or invalid Condition")
	}
	if err := onlyKeys(cond, "DateLessThan", "DateGreaterThan", "IpAddress"); err != nil {
		return nil, err
	}
	t, ok, err := epochCondition(cond, "DateLessThan")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("parse policy: missing DateLessThan")
	}
	p.DateLessThan = t
	if p.DateGreaterThan, _, err = epochCondition(cond, "DateGreaterThan"); err != nil {
		return nil, err
	}
	if raw, ok := cond["IpAddress"]; ok {
		var ipc map[string]json.RawMessage
		if err := json.Unmarshal(raw, &ipc); err != nil || ipc == nil {
			return nil, errors.New("parse policy: invalid IpAddress")
		}
		if err := onlyKeys(ipc, "AWS:SourceIp"); err != nil {
			return nil, err
		}
		var s string
		if err := json.Unmarshal(ipc["AWS:SourceIp"], &s); err != nil {
			return nil, fmt.Errorf("parse policy AWS:SourceIp: %w", err)
		}
		if p.SourceIP, err = parseSourceIP(s); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func onlyKeys(m map[string]json.RawMessage, keys ...string) error {
	if m == nil {
		return errors.New("parse policy: expected an object")
	}
	for k := range m {
		found := false
		for _, want := range keys {
			if k == want {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("parse policy: unknown key %q", k)
		}
	}
	return nil
}

// epochCondition reads cond[name]."AWS:EpochTime", a JSON integer.
func epochCondition(cond map[string]json.RawMessage, name string) (time.Time, bool, error) {
	raw, ok := cond[name]
	if !ok {
		return time.Time{}, false, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return time.Time{}, false, fmt.Errorf("parse policy %s: not an object", name)
	}
	if err := onlyKeys(m, "AWS:EpochTime"); err != nil {
		return time.Time{}, false, err
	}
	v, ok := m["AWS:EpochTime"]
	if !ok {
		return time.Time{}, false, fmt.Errorf("parse policy %s: missing AWS:EpochTime", name)
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/2 {
		return time.Time{}, false, fmt.Errorf("parse policy %s: AWS:EpochTime %s is not an epoch integer", name, v)
	}
	return time.Unix(n, 0).UTC(), true, nil
}

func parseSourceIP(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("parse policy AWS:SourceIp: %w", err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("parse policy AWS:SourceIp: %w", err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// check applies the conditions to the request: time first, then IP, then
// resource.
func (p *Policy) check(t *target, ip netip.Addr, now time.Time) error {
	sec := now.Unix()
	if sec >= p.DateLessThan.Unix() {
		return ErrExpired
	}
	if !p.DateGreaterThan.IsZero() && sec < p.DateGreaterThan.Unix() {
		return ErrNotYetValid
	}
	if p.SourceIP.IsValid() && !p.SourceIP.Contains(ip.Unmap()) {
		return ErrIPMismatch
	}
	if p.canned {
		if t.url != p.Resource {
			return ErrResourceMismatch
		}
	} else if !p.res.match(t) {
		return ErrResourceMismatch
	}
	return nil
}
