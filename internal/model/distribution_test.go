package model_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"openfront/internal/model"
)

// The configs below are document trees in the canonical 2020-05-31 shape,
// as shape.Decode produces them: structures are maps, lists []any, scalars
// strings.

// wrap is a Quantity/Items wrapper of the items.
func wrap(items ...any) model.Tree { return model.Wrapper(items) }

func strs(ss ...string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func customOrigin(id, domain string) model.Tree {
	return model.Tree{
		"Id": id, "DomainName": domain, "OriginPath": "",
		"CustomHeaders": wrap(),
		"CustomOriginConfig": model.Tree{
			"HTTPPort": "80", "HTTPSPort": "443", "OriginProtocolPolicy": "http-only",
		},
	}
}

func s3Origin(id, bucket string) model.Tree {
	return model.Tree{
		"Id": id, "DomainName": bucket + ".s3.amazonaws.com", "OriginPath": "",
		"S3OriginConfig": model.Tree{"OriginAccessIdentity": ""},
	}
}

func legacyBehavior(target string) model.Tree {
	return model.Tree{
		"TargetOriginId":       target,
		"ViewerProtocolPolicy": "allow-all",
		"TrustedSigners":       model.Tree{"Enabled": "false", "Quantity": "0"},
		"ForwardedValues": model.Tree{
			"QueryString": "false",
			"Cookies":     model.Tree{"Forward": "none"},
		},
		"MinTTL": "0",
	}
}

// baseConfig is a valid config: a custom origin "web" behind the default
// behaviour and an S3 origin "s3" behind /img/*.
func baseConfig() model.Tree {
	img := legacyBehavior("s3")
	img["PathPattern"] = "/img/*"
	return model.Tree{
		"CallerReference":      "ref-1",
		"Aliases":              wrap(),
		"DefaultRootObject":    "",
		"Origins":              wrap(customOrigin("web", "example.com"), s3Origin("s3", "bucket")),
		"DefaultCacheBehavior": legacyBehavior("web"),
		"CacheBehaviors":       wrap(img),
		"CustomErrorResponses": wrap(),
		"Comment":              "test",
		"PriceClass":           "PriceClass_All",
		"Enabled":              "true",
	}
}

// Paths into baseConfig used by the cases.
func defaultBehavior(c model.Tree) model.Tree { return model.Sub(c, "DefaultCacheBehavior") }
func imgBehavior(c model.Tree) model.Tree     { return model.StructItems(c, "CacheBehaviors")[0] }
func webOrigin(c model.Tree) model.Tree       { return model.StructItems(c, "Origins")[0] }
func bucketOrigin(c model.Tree) model.Tree    { return model.StructItems(c, "Origins")[1] }

func forwarded(b model.Tree) model.Tree { return model.Sub(b, "ForwardedValues") }

func originGroup(id string, codes []string, members ...string) model.Tree {
	var ms []any
	for _, m := range members {
		ms = append(ms, model.Tree{"OriginId": m})
	}
	return model.Tree{
		"Id":               id,
		"FailoverCriteria": model.Tree{"StatusCodes": wrap(strs(codes...)...)},
		"Members":          wrap(ms...),
	}
}

func errorResponse(code string, extra ...string) model.Tree {
	e := model.Tree{"ErrorCode": code}
	for i := 0; i+1 < len(extra); i += 2 {
		e[extra[i]] = extra[i+1]
	}
	return e
}

func viewerCert(kv ...string) func(model.Tree) {
	return func(c model.Tree) {
		v := model.Tree{}
		for i := 0; i+1 < len(kv); i += 2 {
			v[kv[i]] = kv[i+1]
		}
		c["ViewerCertificate"] = v
	}
}

func geo(typ string, codes ...string) func(model.Tree) {
	return func(c model.Tree) {
		g := wrap(strs(codes...)...)
		g["RestrictionType"] = typ
		c["Restrictions"] = model.Tree{"GeoRestriction": g}
	}
}

func aliases(as ...string) func(model.Tree) {
	return func(c model.Tree) { c["Aliases"] = wrap(strs(as...)...) }
}

func methods(allowed []string, cached []string) func(model.Tree) {
	return func(c model.Tree) {
		am := wrap(strs(allowed...)...)
		if cached != nil {
			am["CachedMethods"] = wrap(strs(cached...)...)
		}
		defaultBehavior(c)["AllowedMethods"] = am
	}
}

func codeOf(err error) string {
	var me *model.Error
	if errors.As(err, &me) {
		return me.Code
	}
	if err != nil {
		return "not a *model.Error: " + err.Error()
	}
	return ""
}

// TestParseDistributionConfig_rules runs one named case per rule of
// model/distribution.go. want is the CloudFront error code,
// "" for an accepted config.
func TestParseDistributionConfig_rules(t *testing.T) {
	sevenMethods := []string{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
	cases := []struct {
		name   string
		modify func(c model.Tree)
		want   string
	}{
		{"valid base", func(model.Tree) {}, ""},

		// General members.
		{"Comment of 128 chars", func(c model.Tree) { c["Comment"] = strings.Repeat("c", 128) }, ""},
		{"Comment of 129 chars", func(c model.Tree) { c["Comment"] = strings.Repeat("c", 129) }, "InvalidArgument"},
		{"DefaultRootObject index.html", func(c model.Tree) { c["DefaultRootObject"] = "index.html" }, ""},
		{"DefaultRootObject leading slash", func(c model.Tree) { c["DefaultRootObject"] = "/index.html" }, "InvalidDefaultRootObject"},
		{"DefaultRootObject with space", func(c model.Tree) { c["DefaultRootObject"] = "a b.html" }, "InvalidDefaultRootObject"},
		{"DefaultRootObject of 256 chars", func(c model.Tree) { c["DefaultRootObject"] = strings.Repeat("a", 256) }, "InvalidDefaultRootObject"},
		{"Logging enabled without bucket", func(c model.Tree) {
			c["Logging"] = model.Tree{"Enabled": "true", "IncludeCookies": "false", "Bucket": "", "Prefix": ""}
		}, "InvalidArgument"},
		{"Logging enabled with bucket", func(c model.Tree) {
			c["Logging"] = model.Tree{"Enabled": "true", "IncludeCookies": "false", "Bucket": "logs.s3.amazonaws.com", "Prefix": "p/"}
		}, ""},
		{"Logging disabled without bucket", func(c model.Tree) {
			c["Logging"] = model.Tree{"Enabled": "false", "IncludeCookies": "false", "Bucket": "", "Prefix": ""}
		}, ""},

		// Aliases (CNAME syntax).
		{"alias plain", aliases("www.example.com"), ""},
		{"alias wildcard", aliases("*.example.com"), ""},
		{"alias several", aliases("a.example.com", "b.example.com"), ""},
		{"alias without dot", aliases("localhost"), "InvalidArgument"},
		{"alias empty label", aliases("www..example.com"), "InvalidArgument"},
		{"alias leading hyphen", aliases("-www.example.com"), "InvalidArgument"},
		{"alias inner wildcard", aliases("w*.example.com"), "InvalidArgument"},
		{"alias wildcard not first", aliases("www.*.example.com"), "InvalidArgument"},
		{"alias with port", aliases("www.example.com:80"), "InvalidArgument"},
		{"alias too long", aliases(strings.Repeat("a.", 127) + "com"), "InvalidArgument"},
		{"alias duplicate ignoring case", aliases("www.example.com", "WWW.example.com"), "InvalidArgument"},

		// Origins.
		{"no origins", func(c model.Tree) { c["Origins"] = wrap() }, "InvalidArgument"},
		{"duplicated origin id", func(c model.Tree) {
			c["Origins"] = wrap(customOrigin("web", "example.com"), customOrigin("web", "example.org"), s3Origin("s3", "bucket"))
		}, "InvalidArgument"},
		{"empty origin id", func(c model.Tree) { webOrigin(c)["Id"] = "" }, "InvalidArgument"},
		{"origin domain not a host", func(c model.Tree) { webOrigin(c)["DomainName"] = "not a host" }, "InvalidArgument"},
		{"origin domain empty", func(c model.Tree) { webOrigin(c)["DomainName"] = "" }, "InvalidArgument"},
		{"origin domain IPv4", func(c model.Tree) { webOrigin(c)["DomainName"] = "127.0.0.1" }, ""},
		{"origin domain IPv6", func(c model.Tree) { webOrigin(c)["DomainName"] = "[::1]" }, ""},
		{"origin domain localhost", func(c model.Tree) { webOrigin(c)["DomainName"] = "localhost" }, ""},
		{"origin with both S3 and custom config", func(c model.Tree) {
			webOrigin(c)["S3OriginConfig"] = model.Tree{"OriginAccessIdentity": ""}
		}, "InvalidArgument"},
		{"origin with neither S3 nor custom config", func(c model.Tree) { delete(webOrigin(c), "CustomOriginConfig") }, "InvalidArgument"},
		{"OriginPath /images", func(c model.Tree) { webOrigin(c)["OriginPath"] = "/images" }, ""},
		{"OriginPath without leading slash", func(c model.Tree) { webOrigin(c)["OriginPath"] = "images" }, "InvalidArgument"},
		{"OriginPath with trailing slash", func(c model.Tree) { webOrigin(c)["OriginPath"] = "/images/" }, "InvalidArgument"},
		{"OriginPath slash only", func(c model.Tree) { webOrigin(c)["OriginPath"] = "/" }, "InvalidArgument"},
		{"ConnectionAttempts 0", func(c model.Tree) { webOrigin(c)["ConnectionAttempts"] = "0" }, "InvalidArgument"},
		{"ConnectionAttempts 1", func(c model.Tree) { webOrigin(c)["ConnectionAttempts"] = "1" }, ""},
		{"ConnectionAttempts 3", func(c model.Tree) { webOrigin(c)["ConnectionAttempts"] = "3" }, ""},
		{"ConnectionAttempts 4", func(c model.Tree) { webOrigin(c)["ConnectionAttempts"] = "4" }, "InvalidArgument"},
		{"ConnectionTimeout 0", func(c model.Tree) { webOrigin(c)["ConnectionTimeout"] = "0" }, "InvalidArgument"},
		{"ConnectionTimeout 1", func(c model.Tree) { webOrigin(c)["ConnectionTimeout"] = "1" }, ""},
		{"ConnectionTimeout 10", func(c model.Tree) { webOrigin(c)["ConnectionTimeout"] = "10" }, ""},
		{"ConnectionTimeout 11", func(c model.Tree) { webOrigin(c)["ConnectionTimeout"] = "11" }, "InvalidArgument"},
		{"HTTPPort 0", func(c model.Tree) { model.Sub(webOrigin(c), "CustomOriginConfig")["HTTPPort"] = "0" }, "InvalidArgument"},
		{"HTTPSPort 65536", func(c model.Tree) { model.Sub(webOrigin(c), "CustomOriginConfig")["HTTPSPort"] = "65536" }, "InvalidArgument"},
		{"HTTPPort 8080", func(c model.Tree) { model.Sub(webOrigin(c), "CustomOriginConfig")["HTTPPort"] = "8080" }, ""},
		{"custom OriginReadTimeout 0", func(c model.Tree) { model.Sub(webOrigin(c), "CustomOriginConfig")["OriginReadTimeout"] = "0" }, "InvalidOriginReadTimeout"},
		{"custom OriginReadTimeout 120", func(c model.Tree) { model.Sub(webOrigin(c), "CustomOriginConfig")["OriginReadTimeout"] = "120" }, ""},
		{"custom OriginReadTimeout 121", func(c model.Tree) { model.Sub(webOrigin(c), "CustomOriginConfig")["OriginReadTimeout"] = "121" }, "InvalidOriginReadTimeout"},
		{"custom OriginKeepaliveTimeout 0", func(c model.Tree) {
			model.Sub(webOrigin(c), "CustomOriginConfig")["OriginKeepaliveTimeout"] = "0"
		}, "InvalidOriginKeepaliveTimeout"},
		{"custom OriginKeepaliveTimeout 121", func(c model.Tree) {
			model.Sub(webOrigin(c), "CustomOriginConfig")["OriginKeepaliveTimeout"] = "121"
		}, "InvalidOriginKeepaliveTimeout"},
		{"ResponseCompletionTimeout below the default read timeout", func(c model.Tree) { webOrigin(c)["ResponseCompletionTimeout"] = "29" }, "InvalidArgument"},
		{"ResponseCompletionTimeout equal to the read timeout", func(c model.Tree) { webOrigin(c)["ResponseCompletionTimeout"] = "30" }, ""},
		{"ResponseCompletionTimeout below a custom read timeout", func(c model.Tree) {
			model.Sub(webOrigin(c), "CustomOriginConfig")["OriginReadTimeout"] = "60"
			webOrigin(c)["ResponseCompletionTimeout"] = "59"
		}, "InvalidArgument"},
		{"ResponseCompletionTimeout 0 is not set", func(c model.Tree) { webOrigin(c)["ResponseCompletionTimeout"] = "0" }, ""},
		{"ResponseCompletionTimeout negative", func(c model.Tree) { webOrigin(c)["ResponseCompletionTimeout"] = "-1" }, "InvalidArgument"},
		{"S3 ResponseCompletionTimeout below its read timeout", func(c model.Tree) {
			model.Sub(bucketOrigin(c), "S3OriginConfig")["OriginReadTimeout"] = "10"
			bucketOrigin(c)["ResponseCompletionTimeout"] = "9"
		}, "InvalidArgument"},
		{"S3 OriginReadTimeout 121", func(c model.Tree) { model.Sub(bucketOrigin(c), "S3OriginConfig")["OriginReadTimeout"] = "121" }, "InvalidOriginReadTimeout"},
		{"10 custom headers", func(c model.Tree) {
			var hs []any
			for i := range 10 {
				hs = append(hs, model.Tree{"HeaderName": "X-H" + strconv.Itoa(i), "HeaderValue": "v"})
			}
			webOrigin(c)["CustomHeaders"] = wrap(hs...)
		}, ""},
		{"11 custom headers", func(c model.Tree) {
			var hs []any
			for i := range 11 {
				hs = append(hs, model.Tree{"HeaderName": "X-H" + strconv.Itoa(i), "HeaderValue": "v"})
			}
			webOrigin(c)["CustomHeaders"] = wrap(hs...)
		}, "TooManyOriginCustomHeaders"},
		{"OAI and OAC on one origin", func(c model.Tree) {
			model.Sub(bucketOrigin(c), "S3OriginConfig")["OriginAccessIdentity"] = "origin-access-identity/cloudfront/E123"
			bucketOrigin(c)["OriginAccessControlId"] = "E2QWRUHEXAMPLE"
		}, "IllegalOriginAccessConfiguration"},
		{"OAC alone", func(c model.Tree) { bucketOrigin(c)["OriginAccessControlId"] = "E2QWRUHEXAMPLE" }, ""},

		// Behaviours: target origin.
		{"default behaviour targets unknown origin", func(c model.Tree) { defaultBehavior(c)["TargetOriginId"] = "nope" }, "NoSuchOrigin"},
		{"cache behaviour targets unknown origin", func(c model.Tree) { imgBehavior(c)["TargetOriginId"] = "nope" }, "NoSuchOrigin"},
		{"behaviour targets an origin group", func(c model.Tree) {
			c["OriginGroups"] = wrap(originGroup("group1", []string{"500", "503"}, "web", "s3"))
			defaultBehavior(c)["TargetOriginId"] = "group1"
		}, ""},

		// Origin groups.
		{"origin group member unknown", func(c model.Tree) {
			c["OriginGroups"] = wrap(originGroup("group1", []string{"500"}, "web", "nope"))
		}, "NoSuchOrigin"},
		{"origin group of one member", func(c model.Tree) {
			c["OriginGroups"] = wrap(originGroup("group1", []string{"500"}, "web"))
		}, "InvalidArgument"},
		{"origin group failover code 200", func(c model.Tree) {
			c["OriginGroups"] = wrap(originGroup("group1", []string{"200"}, "web", "s3"))
		}, "InvalidArgument"},
		{"origin group id used by an origin", func(c model.Tree) {
			c["OriginGroups"] = wrap(originGroup("web", []string{"500"}, "web", "s3"))
		}, "InvalidArgument"},

		// Behaviours: TTLs (MinTTL <= DefaultTTL <= MaxTTL).
		{"TTLs in order", func(c model.Tree) {
			b := defaultBehavior(c)
			b["MinTTL"], b["DefaultTTL"], b["MaxTTL"] = "10", "20", "30"
		}, ""},
		{"TTLs all equal", func(c model.Tree) {
			b := defaultBehavior(c)
			b["MinTTL"], b["DefaultTTL"], b["MaxTTL"] = "5", "5", "5"
		}, ""},
		{"MinTTL above DefaultTTL", func(c model.Tree) {
			b := defaultBehavior(c)
			b["MinTTL"], b["DefaultTTL"], b["MaxTTL"] = "30", "20", "40"
		}, "InvalidTTLOrder"},
		{"DefaultTTL above MaxTTL", func(c model.Tree) {
			b := defaultBehavior(c)
			b["MinTTL"], b["DefaultTTL"], b["MaxTTL"] = "0", "50", "40"
		}, "InvalidTTLOrder"},
		{"MinTTL above omitted DefaultTTL", func(c model.Tree) { defaultBehavior(c)["MinTTL"] = "86401" }, "InvalidTTLOrder"},
		{"MaxTTL below omitted DefaultTTL", func(c model.Tree) { defaultBehavior(c)["MaxTTL"] = "3600" }, "InvalidTTLOrder"},
		{"TTL order in a cache behaviour", func(c model.Tree) {
			b := imgBehavior(c)
			b["MinTTL"], b["DefaultTTL"], b["MaxTTL"] = "100", "10", "1000"
		}, "InvalidTTLOrder"},
		{"negative MinTTL", func(c model.Tree) { defaultBehavior(c)["MinTTL"] = "-1" }, "InvalidArgument"},

		// Behaviours: cookies and headers.
		{"cookies whitelist with names", func(c model.Tree) {
			forwarded(defaultBehavior(c))["Cookies"] = model.Tree{"Forward": "whitelist", "WhitelistedNames": wrap(strs("session")...)}
		}, ""},
		{"cookies whitelist without names", func(c model.Tree) {
			forwarded(defaultBehavior(c))["Cookies"] = model.Tree{"Forward": "whitelist"}
		}, "InvalidForwardCookies"},
		{"cookies whitelist with empty names", func(c model.Tree) {
			forwarded(defaultBehavior(c))["Cookies"] = model.Tree{"Forward": "whitelist", "WhitelistedNames": wrap()}
		}, "InvalidForwardCookies"},
		{"cookies none with names", func(c model.Tree) {
			forwarded(defaultBehavior(c))["Cookies"] = model.Tree{"Forward": "none", "WhitelistedNames": wrap(strs("session")...)}
		}, "InvalidForwardCookies"},
		{"cookies all with names", func(c model.Tree) {
			forwarded(defaultBehavior(c))["Cookies"] = model.Tree{"Forward": "all", "WhitelistedNames": wrap(strs("session")...)}
		}, "InvalidForwardCookies"},
		{"cookies all with empty names", func(c model.Tree) {
			forwarded(defaultBehavior(c))["Cookies"] = model.Tree{"Forward": "all", "WhitelistedNames": wrap()}
		}, ""},
		{"11 whitelisted cookies", func(c model.Tree) {
			var names []string
			for i := range 11 {
				names = append(names, "c"+strconv.Itoa(i))
			}
			forwarded(defaultBehavior(c))["Cookies"] = model.Tree{"Forward": "whitelist", "WhitelistedNames": wrap(strs(names...)...)}
		}, "TooManyCookieNamesInWhiteList"},
		{"11 forwarded headers", func(c model.Tree) {
			var names []string
			for i := range 11 {
				names = append(names, "X-H"+strconv.Itoa(i))
			}
			forwarded(defaultBehavior(c))["Headers"] = wrap(strs(names...)...)
		}, "TooManyHeadersInForwardedValues"},
		{"headers Authorization to custom origin", func(c model.Tree) {
			forwarded(defaultBehavior(c))["Headers"] = wrap(strs("Authorization", "Host")...)
		}, ""},
		{"headers star to custom origin", func(c model.Tree) {
			forwarded(defaultBehavior(c))["Headers"] = wrap(strs("*")...)
		}, ""},
		{"headers CORS set to S3 origin", func(c model.Tree) {
			forwarded(imgBehavior(c))["Headers"] = wrap(strs("Origin", "Access-Control-Request-Headers", "access-control-request-method")...)
		}, ""},
		{"headers Authorization to S3 origin", func(c model.Tree) {
			forwarded(imgBehavior(c))["Headers"] = wrap(strs("Origin", "Authorization")...)
		}, "InvalidHeadersForS3Origin"},
		{"headers star to S3 origin", func(c model.Tree) {
			forwarded(imgBehavior(c))["Headers"] = wrap(strs("*")...)
		}, "InvalidHeadersForS3Origin"},

		// Behaviours: allowed and cached methods.
		{"methods GET,HEAD", methods([]string{"HEAD", "GET"}, []string{"GET", "HEAD"}), ""},
		{"methods GET,HEAD,OPTIONS cached GET,HEAD,OPTIONS", methods([]string{"GET", "HEAD", "OPTIONS"}, []string{"GET", "HEAD", "OPTIONS"}), ""},
		{"methods all seven", methods(sevenMethods, []string{"GET", "HEAD"}), ""},
		{"methods without CachedMethods", methods(sevenMethods, nil), ""},
		{"methods GET only", methods([]string{"GET"}, nil), "InvalidArgument"},
		{"methods GET,HEAD,POST", methods([]string{"GET", "HEAD", "POST"}, nil), "InvalidArgument"},
		{"methods six of seven", methods(sevenMethods[:6], nil), "InvalidArgument"},
		{"cached GET only", methods([]string{"GET", "HEAD"}, []string{"GET"}), "InvalidArgument"},
		{"cached POST", methods(sevenMethods, []string{"GET", "HEAD", "POST"}), "InvalidArgument"},
		{"gRPC with all methods and http2", func(c model.Tree) {
			methods(sevenMethods, nil)(c)
			defaultBehavior(c)["GrpcConfig"] = model.Tree{"Enabled": "true"}
		}, ""},
		{"gRPC with http2and3", func(c model.Tree) {
			methods(sevenMethods, nil)(c)
			defaultBehavior(c)["GrpcConfig"] = model.Tree{"Enabled": "true"}
			c["HttpVersion"] = "http2and3"
		}, ""},
		{"gRPC without POST", func(c model.Tree) { defaultBehavior(c)["GrpcConfig"] = model.Tree{"Enabled": "true"} }, "InvalidArgument"},
		{"gRPC with http1.1", func(c model.Tree) {
			methods(sevenMethods, nil)(c)
			defaultBehavior(c)["GrpcConfig"] = model.Tree{"Enabled": "true"}
			c["HttpVersion"] = "http1.1"
		}, "InvalidArgument"},
		{"gRPC with http3 only", func(c model.Tree) {
			methods(sevenMethods, nil)(c)
			defaultBehavior(c)["GrpcConfig"] = model.Tree{"Enabled": "true"}
			c["HttpVersion"] = "http3"
		}, "InvalidArgument"},
		{"gRPC disabled with http1.1", func(c model.Tree) {
			defaultBehavior(c)["GrpcConfig"] = model.Tree{"Enabled": "false"}
			c["HttpVersion"] = "http1.1"
		}, ""},
		{"cached OPTIONS not allowed", methods([]string{"GET", "HEAD"}, []string{"GET", "HEAD", "OPTIONS"}), "InvalidArgument"},

		// Behaviours: path patterns.
		{"path pattern duplicate", func(c model.Tree) {
			again := legacyBehavior("web")
			again["PathPattern"] = "/img/*"
			c["CacheBehaviors"] = wrap(imgBehavior(c), again)
		}, "InvalidArgument"},
		{"path pattern with space", func(c model.Tree) { imgBehavior(c)["PathPattern"] = "/img /*" }, "InvalidArgument"},
		{"path pattern empty", func(c model.Tree) { imgBehavior(c)["PathPattern"] = "" }, "InvalidArgument"},
		{"path pattern of 256 chars", func(c model.Tree) { imgBehavior(c)["PathPattern"] = "/" + strings.Repeat("a", 255) }, "InvalidArgument"},
		{"path pattern without leading slash", func(c model.Tree) { imgBehavior(c)["PathPattern"] = "img/*.jpg" }, ""},
		{"path pattern with allowed punctuation", func(c model.Tree) { imgBehavior(c)["PathPattern"] = `/a_b-c.d~e"f'g@h:i+j&k$/*` }, ""},

		// Behaviours: trusted signers.
		{"trusted signers self and account", func(c model.Tree) {
			ts := wrap(strs("self", "123456789012")...)
			ts["Enabled"] = "true"
			defaultBehavior(c)["TrustedSigners"] = ts
		}, ""},
		{"trusted signer not an account", func(c model.Tree) {
			ts := wrap(strs("alice")...)
			ts["Enabled"] = "true"
			defaultBehavior(c)["TrustedSigners"] = ts
		}, "TrustedSignerDoesNotExist"},
		{"trusted signers disabled are not checked", func(c model.Tree) {
			ts := wrap(strs("alice")...)
			ts["Enabled"] = "false"
			defaultBehavior(c)["TrustedSigners"] = ts
		}, ""},
		{"six trusted signers", func(c model.Tree) {
			ts := wrap(strs("self", "111111111111", "222222222222", "333333333333", "444444444444", "555555555555")...)
			ts["Enabled"] = "true"
			defaultBehavior(c)["TrustedSigners"] = ts
		}, "TooManyTrustedSigners"},

		// Behaviours: 2020 cache policies.
		{"cache policy without ForwardedValues", func(c model.Tree) {
			b := defaultBehavior(c)
			delete(b, "ForwardedValues")
			delete(b, "MinTTL")
			b["CachePolicyId"] = "658327ea-f89d-4fab-a63d-7e88639e58f6"
		}, ""},
		{"neither CachePolicyId nor ForwardedValues", func(c model.Tree) { delete(defaultBehavior(c), "ForwardedValues") }, "InvalidArgument"},
		{"neither in a cache behaviour", func(c model.Tree) { delete(imgBehavior(c), "ForwardedValues") }, "InvalidArgument"},
		{"both CachePolicyId and ForwardedValues", func(c model.Tree) {
			defaultBehavior(c)["CachePolicyId"] = "658327ea-f89d-4fab-a63d-7e88639e58f6"
		}, "InvalidArgument"},
		// Unknown policy ids are the control plane's to refuse (the store
		// holds the custom ones): internal/control/policy_test.go.

		// Custom error responses.
		{"error 404 to page with 200", func(c model.Tree) {
			c["CustomErrorResponses"] = wrap(errorResponse("404", "ResponsePagePath", "/404.html", "ResponseCode", "200", "ErrorCachingMinTTL", "10"))
		}, ""},
		{"error 503 caching only", func(c model.Tree) {
			c["CustomErrorResponses"] = wrap(errorResponse("503", "ErrorCachingMinTTL", "0"))
		}, ""},
		{"error with empty page and code", func(c model.Tree) {
			c["CustomErrorResponses"] = wrap(errorResponse("503", "ResponsePagePath", "", "ResponseCode", ""))
		}, ""},
		{"error code 200", func(c model.Tree) { c["CustomErrorResponses"] = wrap(errorResponse("200")) }, "InvalidErrorCode"},
		{"error code 401", func(c model.Tree) { c["CustomErrorResponses"] = wrap(errorResponse("401")) }, "InvalidErrorCode"},
		{"response code 302", func(c model.Tree) {
			c["CustomErrorResponses"] = wrap(errorResponse("404", "ResponsePagePath", "/404.html", "ResponseCode", "302"))
		}, "InvalidResponseCode"},
		{"response code not a number", func(c model.Tree) {
			c["CustomErrorResponses"] = wrap(errorResponse("404", "ResponsePagePath", "/404.html", "ResponseCode", "ok"))
		}, "InvalidResponseCode"},
		{"page without response code", func(c model.Tree) {
			c["CustomErrorResponses"] = wrap(errorResponse("404", "ResponsePagePath", "/404.html"))
		}, "InvalidArgument"},
		{"response code without page", func(c model.Tree) {
			c["CustomErrorResponses"] = wrap(errorResponse("404", "ResponseCode", "200"))
		}, "InvalidArgument"},
		{"page without leading slash", func(c model.Tree) {
			c["CustomErrorResponses"] = wrap(errorResponse("404", "ResponsePagePath", "404.html", "ResponseCode", "404"))
		}, "InvalidRelativePath"},
		{"page too long", func(c model.Tree) {
			c["CustomErrorResponses"] = wrap(errorResponse("404", "ResponsePagePath", "/"+strings.Repeat("p", 4000), "ResponseCode", "404"))
		}, "InvalidRelativePath"},
		{"negative ErrorCachingMinTTL", func(c model.Tree) {
			c["CustomErrorResponses"] = wrap(errorResponse("500", "ErrorCachingMinTTL", "-5"))
		}, "InvalidArgument"},

		// Geo restriction.
		{"geo none", geo("none"), ""},
		{"geo whitelist", geo("whitelist", "US", "DE"), ""},
		{"geo blacklist", geo("blacklist", "CN"), ""},
		{"geo none with items", geo("none", "US"), "InvalidGeoRestrictionParameter"},
		{"geo whitelist empty", geo("whitelist"), "InvalidGeoRestrictionParameter"},
		{"geo blacklist empty", geo("blacklist"), "InvalidGeoRestrictionParameter"},
		{"geo unknown code", geo("whitelist", "US", "XX"), "InvalidLocationCode"},
		{"geo lower-case code", geo("blacklist", "us"), "InvalidLocationCode"},
		{"geo alpha-3 code", geo("blacklist", "USA"), "InvalidLocationCode"},

		// Viewer certificate and protocol settings.
		{"cert default", viewerCert("CloudFrontDefaultCertificate", "true", "MinimumProtocolVersion", "TLSv1"), ""},
		{"cert ACM with sni-only", viewerCert("ACMCertificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/x", "SSLSupportMethod", "sni-only", "MinimumProtocolVersion", "TLSv1.2_2021"), ""},
		{"cert IAM with vip", viewerCert("IAMCertificateId", "ASCAEXAMPLE", "SSLSupportMethod", "vip", "MinimumProtocolVersion", "SSLv3"), ""},
		{"cert default and ACM", viewerCert("CloudFrontDefaultCertificate", "true", "ACMCertificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/x", "SSLSupportMethod", "sni-only"), "InvalidViewerCertificate"},
		{"cert IAM and ACM", viewerCert("IAMCertificateId", "ASCAEXAMPLE", "ACMCertificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/x", "SSLSupportMethod", "sni-only"), "InvalidViewerCertificate"},
		{"cert ACM without SSLSupportMethod", viewerCert("ACMCertificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/x"), "InvalidViewerCertificate"},
		{"cert legacy iam source without SSLSupportMethod", viewerCert("CertificateSource", "iam", "Certificate", "ASCAEXAMPLE"), "InvalidViewerCertificate"},
		{"cert sni-only with SSLv3", viewerCert("ACMCertificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/x", "SSLSupportMethod", "sni-only", "MinimumProtocolVersion", "SSLv3"), "InvalidProtocolSettings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig()
			tc.modify(c)
			before := model.Clone(c)
			got, err := model.ParseDistributionConfig(c)
			if code := codeOf(err); code != tc.want {
				t.Fatalf("ParseDistributionConfig: got code %q (%v), want %q", code, err, tc.want)
			}
			if tc.want == "" && got == nil {
				t.Fatal("no config returned for an accepted document")
			}
			if tc.want != "" && got != nil {
				t.Errorf("config returned along with error %v", err)
			}
			if !equalTrees(before, c) {
				t.Error("ParseDistributionConfig modified its input")
			}
		})
	}
}

func equalTrees(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !equalTrees(v, y[k]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalTrees(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

// TestParseDistributionConfig_defaults checks the typed view of the base
// config: CloudFront's defaults for omitted members (TTLs 0/86400/31536000,
// ConnectionAttempts 3, ConnectionTimeout 10 s, read 30 s, keep-alive 5 s,
// http2, PriceClass_All, default certificate, no geo restriction).
func TestParseDistributionConfig_defaults(t *testing.T) {
	c := baseConfig()
	delete(c, "PriceClass")
	delete(defaultBehavior(c), "MinTTL")
	delete(defaultBehavior(c), "ViewerProtocolPolicy")
	got, err := model.ParseDistributionConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	b := got.DefaultBehavior
	if b.PathPattern != "*" || b.TargetOriginID != "web" {
		t.Errorf("default behaviour: pattern %q target %q", b.PathPattern, b.TargetOriginID)
	}
	if b.MinTTL != 0 || b.DefaultTTL != 86400 || b.MaxTTL != 31536000 {
		t.Errorf("default TTLs = %d/%d/%d, want 0/86400/31536000", b.MinTTL, b.DefaultTTL, b.MaxTTL)
	}
	if b.ViewerProtocolPolicy != "allow-all" {
		t.Errorf("ViewerProtocolPolicy = %q", b.ViewerProtocolPolicy)
	}
	if strings.Join(b.AllowedMethods, ",") != "GET,HEAD" || strings.Join(b.CachedMethods, ",") != "GET,HEAD" {
		t.Errorf("methods = %v / %v", b.AllowedMethods, b.CachedMethods)
	}
	if b.Forwarded == nil || b.Forwarded.CookieForward != "none" || b.Forwarded.QueryString {
		t.Errorf("forwarded = %+v", b.Forwarded)
	}
	if b.TrustedSigners != nil {
		t.Errorf("disabled trusted signers = %v, want nil", b.TrustedSigners)
	}
	if got.PriceClass != "PriceClass_All" || got.HTTPVersion != "http2" || !got.Enabled {
		t.Errorf("PriceClass %q HTTPVersion %q Enabled %v", got.PriceClass, got.HTTPVersion, got.Enabled)
	}
	if !got.ViewerCertificate.CloudFrontDefault {
		t.Errorf("ViewerCertificate = %+v, want the default certificate", got.ViewerCertificate)
	}
	if got.GeoRestriction.Type != "none" || len(got.GeoRestriction.Locations) != 0 {
		t.Errorf("GeoRestriction = %+v", got.GeoRestriction)
	}
	if len(got.Origins) != 2 || len(got.Behaviors) != 1 || got.Behaviors[0].PathPattern != "/img/*" {
		t.Fatalf("origins %d behaviours %+v", len(got.Origins), got.Behaviors)
	}
	web, s3 := got.Origins[0], got.Origins[1]
	if web.ConnectionAttempts != 3 || web.ConnectionTimeout != 10*time.Second {
		t.Errorf("connection defaults = %d / %v", web.ConnectionAttempts, web.ConnectionTimeout)
	}
	if web.Custom == nil || web.S3 != nil || web.Custom.HTTPPort != 80 || web.Custom.HTTPSPort != 443 ||
		web.Custom.ReadTimeout != 30*time.Second || web.Custom.KeepaliveTimeout != 5*time.Second || web.Custom.ProtocolPolicy != "http-only" {
		t.Errorf("custom origin = %+v", web.Custom)
	}
	if s3.S3 == nil || s3.Custom != nil || s3.S3.ReadTimeout != 30*time.Second || s3.S3.OAI != "" {
		t.Errorf("S3 origin = %+v", s3.S3)
	}
}

func TestParseDistributionConfig_typedView(t *testing.T) {
	c := baseConfig()
	aliases("www.example.com", "*.example.org")(c)
	geo("whitelist", "US", "FR")(c)
	webOrigin(c)["ConnectionAttempts"] = "2"
	webOrigin(c)["ConnectionTimeout"] = "4"
	webOrigin(c)["OriginPath"] = "/base"
	webOrigin(c)["CustomHeaders"] = wrap(model.Tree{"HeaderName": "X-Secret", "HeaderValue": "s"})
	co := model.Sub(webOrigin(c), "CustomOriginConfig")
	co["OriginReadTimeout"], co["OriginKeepaliveTimeout"] = "60", "10"
	webOrigin(c)["ResponseCompletionTimeout"] = "90"
	co["OriginSslProtocols"] = wrap(strs("TLSv1.2")...)
	model.Sub(bucketOrigin(c), "S3OriginConfig")["OriginAccessIdentity"] = "origin-access-identity/cloudfront/E1OAI"
	b := defaultBehavior(c)
	b["MinTTL"], b["DefaultTTL"], b["MaxTTL"] = "1", "2", "3"
	fv := forwarded(b)
	fv["QueryString"] = "true"
	fv["QueryStringCacheKeys"] = wrap(strs("v")...)
	fv["Cookies"] = model.Tree{"Forward": "whitelist", "WhitelistedNames": wrap(strs("a", "b")...)}
	fv["Headers"] = wrap(strs("Accept")...)
	c["CustomErrorResponses"] = wrap(errorResponse("404", "ResponsePagePath", "/e.html", "ResponseCode", "200", "ErrorCachingMinTTL", "7"))
	c["HttpVersion"] = "http2and3"

	got, err := model.ParseDistributionConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Aliases, ",") != "www.example.com,*.example.org" {
		t.Errorf("Aliases = %v", got.Aliases)
	}
	web := got.Origins[0]
	if web.ConnectionAttempts != 2 || web.ConnectionTimeout != 4*time.Second || web.OriginPath != "/base" {
		t.Errorf("origin = %+v", web)
	}
	if web.ResponseCompletionTimeout != 90*time.Second {
		t.Errorf("ResponseCompletionTimeout = %v", web.ResponseCompletionTimeout)
	}
	if len(web.CustomHeaders) != 1 || web.CustomHeaders[0] != (model.Header{Name: "X-Secret", Value: "s"}) {
		t.Errorf("CustomHeaders = %+v", web.CustomHeaders)
	}
	if web.Custom.ReadTimeout != 60*time.Second || web.Custom.KeepaliveTimeout != 10*time.Second || strings.Join(web.Custom.SSLProtocols, ",") != "TLSv1.2" {
		t.Errorf("custom = %+v", web.Custom)
	}
	if got.Origins[1].S3.OAI != "origin-access-identity/cloudfront/E1OAI" {
		t.Errorf("OAI = %q", got.Origins[1].S3.OAI)
	}
	db := got.DefaultBehavior
	if db.MinTTL != 1 || db.DefaultTTL != 2 || db.MaxTTL != 3 {
		t.Errorf("TTLs = %d/%d/%d", db.MinTTL, db.DefaultTTL, db.MaxTTL)
	}
	f := db.Forwarded
	if !f.QueryString || strings.Join(f.QueryStringCacheKeys, ",") != "v" || f.CookieForward != "whitelist" ||
		strings.Join(f.CookieNames, ",") != "a,b" || strings.Join(f.Headers, ",") != "Accept" {
		t.Errorf("forwarded = %+v", f)
	}
	if len(got.CustomErrors) != 1 || got.CustomErrors[0] != (model.CustomErrorResponse{ErrorCode: 404, ResponsePagePath: "/e.html", ResponseCode: 200, ErrorCachingMinTTL: 7, HasCachingMinTTL: true}) {
		t.Errorf("CustomErrors = %+v", got.CustomErrors)
	}
	if got.GeoRestriction.Type != "whitelist" || strings.Join(got.GeoRestriction.Locations, ",") != "US,FR" {
		t.Errorf("geo = %+v", got.GeoRestriction)
	}
	if got.HTTPVersion != "http2and3" {
		t.Errorf("HTTPVersion = %q", got.HTTPVersion)
	}
	ids, malformed := got.OAIReferences()
	if strings.Join(ids, ",") != "E1OAI" || malformed != "" {
		t.Errorf("OAIReferences = %v, %q", ids, malformed)
	}
}

func TestParseDistributionConfig_cachePolicyBehavior(t *testing.T) {
	c := baseConfig()
	b := defaultBehavior(c)
	delete(b, "ForwardedValues")
	delete(b, "MinTTL")
	b["CachePolicyId"] = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	got, err := model.ParseDistributionConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if got.DefaultBehavior.Forwarded != nil || got.DefaultBehavior.CachePolicyID != "658327ea-f89d-4fab-a63d-7e88639e58f6" {
		t.Errorf("behaviour = %+v", got.DefaultBehavior)
	}
}

func TestParseDistributionConfig_legacyCertificateSource(t *testing.T) {
	for _, tc := range []struct {
		source, cert string
		want         model.ViewerCertificate
	}{
		{"cloudfront", "", model.ViewerCertificate{CloudFrontDefault: true}},
		{"iam", "ASCAEXAMPLE", model.ViewerCertificate{IAMCertificateID: "ASCAEXAMPLE", SSLSupportMethod: "sni-only"}},
		{"acm", "arn:aws:acm:us-east-1:123456789012:certificate/x", model.ViewerCertificate{ACMCertificateARN: "arn:aws:acm:us-east-1:123456789012:certificate/x", SSLSupportMethod: "sni-only"}},
	} {
		t.Run(tc.source, func(t *testing.T) {
			c := baseConfig()
			kv := []string{"CertificateSource", tc.source, "Certificate", tc.cert}
			if tc.source != "cloudfront" {
				kv = append(kv, "SSLSupportMethod", "sni-only")
			}
			viewerCert(kv...)(c)
			got, err := model.ParseDistributionConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			if got.ViewerCertificate != tc.want {
				t.Errorf("ViewerCertificate = %+v, want %+v", got.ViewerCertificate, tc.want)
			}
		})
	}
}

func TestDistributionConfig_OAIReferences_malformed(t *testing.T) {
	c := baseConfig()
	model.Sub(bucketOrigin(c), "S3OriginConfig")["OriginAccessIdentity"] = "E1OAI"
	got, err := model.ParseDistributionConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, malformed := got.OAIReferences(); malformed != "E1OAI" {
		t.Errorf("malformed = %q, want E1OAI", malformed)
	}
}

func TestModelError(t *testing.T) {
	err := model.Errorf("NoSuchOrigin", "origin %q", "x")
	if err.Code != "NoSuchOrigin" || err.Message != `origin "x"` || err.Error() != `NoSuchOrigin: origin "x"` {
		t.Errorf("got %+v / %q", err, err.Error())
	}
}
