package control_test

import (
	"strings"
	"testing"

	"openfront/internal/model"
)

// TestUnservedReferences: a config naming a resource OpenFront cannot have
// yet is refused by CreateDistribution and UpdateDistribution with
// CloudFront's error for a resource that does not exist, and changes
// nothing; the managed response headers policies and well-formed web ACL
// ids are accepted.
func TestUnservedReferences(t *testing.T) {
	defaultBehavior := func(set func(b model.Tree)) func(model.Tree) {
		return func(c model.Tree) { set(model.Sub(c, "DefaultCacheBehavior")) }
	}
	otherBehavior := func(set func(b model.Tree)) func(model.Tree) {
		return func(c model.Tree) {
			b := behavior("web")
			b["PathPattern"] = "/api/*"
			set(b)
			c["CacheBehaviors"] = wrap(b)
		}
	}
	tests := []struct {
		name   string
		change func(model.Tree)
		code   string // "" = accepted
		names  string // the message names it
	}{
		{"custom response headers policy", defaultBehavior(func(b model.Tree) { b["ResponseHeadersPolicyId"] = "a1b2c3d4-0000-0000-0000-000000000000" }), "NoSuchResponseHeadersPolicy", "a1b2c3d4-0000"},
		{"custom response headers policy on a path behaviour", otherBehavior(func(b model.Tree) { b["ResponseHeadersPolicyId"] = "mine" }), "NoSuchResponseHeadersPolicy", "\"mine\""},
		{"managed SimpleCORS", defaultBehavior(func(b model.Tree) { b["ResponseHeadersPolicyId"] = "60669652-455b-4ae9-85a4-c4c02393f86c" }), "", ""},
		{"managed SecurityHeadersPolicy", otherBehavior(func(b model.Tree) { b["ResponseHeadersPolicyId"] = "67f7725c-6f97-4210-82d7-5512b31e9d03" }), "", ""},
		{"empty response headers policy", defaultBehavior(func(b model.Tree) { b["ResponseHeadersPolicyId"] = "" }), "", ""},
		{"function association", defaultBehavior(func(b model.Tree) {
			b["FunctionAssociations"] = wrap(model.Tree{"FunctionARN": "arn:aws:cloudfront::123456789012:function/rewrite", "EventType": "viewer-request"})
		}), "InvalidFunctionAssociation", "function/rewrite"},
		{"no function associations", defaultBehavior(func(b model.Tree) { b["FunctionAssociations"] = wrap() }), "", ""},
		{"lambda association", otherBehavior(func(b model.Tree) {
			b["LambdaFunctionAssociations"] = wrap(model.Tree{"LambdaFunctionARN": "arn:aws:lambda:us-east-1:123456789012:function:f:1", "EventType": "origin-request"})
		}), "InvalidLambdaFunctionAssociation", "function:f:1"},
		{"real-time log config", defaultBehavior(func(b model.Tree) {
			b["RealtimeLogConfigArn"] = "arn:aws:cloudfront::123456789012:realtime-log-config/rt"
		}), "NoSuchRealtimeLogConfig", "realtime-log-config/rt"},
		{"field-level encryption", otherBehavior(func(b model.Tree) { b["FieldLevelEncryptionId"] = "C3P0EXAMPLE" }), "NoSuchFieldLevelEncryptionConfig", "C3P0EXAMPLE"},
		{"continuous deployment policy", func(c model.Tree) { c["ContinuousDeploymentPolicyId"] = "cdp-1" }, "NoSuchContinuousDeploymentPolicy", "cdp-1"},
		{"ACM certificate", func(c model.Tree) {
			c["ViewerCertificate"] = model.Tree{"ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc", "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
		}, "InvalidViewerCertificate", "certificate/abc"},
		{"IAM certificate", func(c model.Tree) {
			c["ViewerCertificate"] = model.Tree{"IAMCertificateId": "ASCAEXAMPLE", "SSLSupportMethod": "sni-only"}
		}, "InvalidViewerCertificate", "ASCAEXAMPLE"},
		{"legacy IAM certificate", func(c model.Tree) {
			c["ViewerCertificate"] = model.Tree{"Certificate": "ASCALEGACY", "CertificateSource": "iam", "SSLSupportMethod": "vip"}
		}, "InvalidViewerCertificate", "ASCALEGACY"},
		{"default certificate", func(c model.Tree) {
			c["ViewerCertificate"] = model.Tree{"CloudFrontDefaultCertificate": "true", "MinimumProtocolVersion": "TLSv1"}
		}, "", ""},
		{"malformed web ACL id", func(c model.Tree) { c["WebACLId"] = "acl-1" }, "InvalidWebACLId", "acl-1"},
		{"regional web ACL", func(c model.Tree) {
			c["WebACLId"] = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/a/473e64fd-f30b-4765-81a0-62ad96dd167a"
		}, "InvalidWebACLId", "regional"},
		{"WAF web ACL ARN", func(c model.Tree) {
			c["WebACLId"] = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/ExampleWebACL/473e64fd-f30b-4765-81a0-62ad96dd167a"
		}, "", ""},
		{"WAF Classic web ACL id", func(c model.Tree) { c["WebACLId"] = "473e64fd-f30b-4765-81a0-62ad96dd167a" }, "", ""},
		{"VPC origin", func(c model.Tree) {
			c["Origins"] = wrap(origin("web", "example.com"), model.Tree{"Id": "vpc", "DomainName": "internal.example.com", "VpcOriginConfig": model.Tree{"VpcOriginId": "vo_123"}})
		}, "EntityNotFound", "vo_123"},
		{"origin mTLS certificate", func(c model.Tree) {
			o := origin("web", "example.com")
			model.Sub(o, "CustomOriginConfig")["OriginMtlsConfig"] = model.Tree{"ClientCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/mtls"}
			c["Origins"] = wrap(o)
		}, "EntityNotFound", "certificate/mtls"},
		{"Anycast IP list", func(c model.Tree) { c["AnycastIpListId"] = "aip_1" }, "EntityNotFound", "aip_1"},
		{"trust store", func(c model.Tree) {
			c["ViewerMtlsConfig"] = model.Tree{"Mode": "required", "TrustStoreConfig": model.Tree{"TrustStoreId": "ts_1"}}
		}, "EntityNotFound", "ts_1"},
		{"connection function", func(c model.Tree) { c["ConnectionFunctionAssociation"] = model.Tree{"Id": "cf_1"} }, "EntityNotFound", "cf_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ref := "ref-" + strings.ReplaceAll(tt.name, " ", "-")
			cfg := distConfig(ref)
			tt.change(cfg)
			before := e.revision()
			_, _, err := e.c.CreateDistribution(e.ctx, cfg, nil)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CreateDistribution: %v", err)
				}
				return
			}
			wantCode(t, err, tt.code)
			if !strings.Contains(err.Error(), tt.names) {
				t.Errorf("message %q does not name %q", err, tt.names)
			}
			if e.revision() != before {
				t.Error("a refused create changed the store")
			}

			// The same reference added by an update is refused too, and the
			// stored config stays as it was.
			d := e.create(distConfig("plain"))
			next := model.Clone(d.Config)
			tt.change(next)
			before = e.revision()
			_, err = e.update(d.ID, d.ETag, next)
			wantCode(t, err, tt.code)
			if e.revision() != before {
				t.Error("a refused update changed the store")
			}
		})
	}
}
