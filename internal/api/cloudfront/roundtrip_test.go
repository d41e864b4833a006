package cloudfront_test

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"openfront/internal/apitest"
)

// minimal2020Config is the least a 2020-05-31 client sends (what boto3
// needs): one origin, a behaviour with a cache policy.
const minimal2020Config = `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <CallerReference>minimal-2020</CallerReference>
  <Origins><Quantity>1</Quantity><Items><Origin><Id>web</Id><DomainName>origin.example.com</DomainName>
    <CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig>
  </Origin></Items></Origins>
  <DefaultCacheBehavior><TargetOriginId>web</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>
    <CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId></DefaultCacheBehavior>
  <Comment></Comment>
  <Enabled>true</Enabled>
</DistributionConfig>`

// minimalLegacy2020Config is the AWS CLI's create-distribution
// --origin-domain-name template: legacy ForwardedValues through 2020-05-31.
const minimalLegacy2020Config = `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <CallerReference>minimal-legacy-2020</CallerReference>
  <Origins><Quantity>1</Quantity><Items><Origin><Id>bucket</Id><DomainName>bucket.s3.amazonaws.com</DomainName><OriginPath></OriginPath>
    <S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig>
  </Origin></Items></Origins>
  <DefaultCacheBehavior><TargetOriginId>bucket</TargetOriginId>
    <ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues>
    <TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>
    <ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><MinTTL>0</MinTTL></DefaultCacheBehavior>
  <Comment></Comment>
  <Enabled>true</Enabled>
</DistributionConfig>`

// minimal2016Config is the least a 2016-01-13 client sends.
const minimal2016Config = `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2016-01-13/">
  <CallerReference>minimal-2016</CallerReference>
  <Origins><Quantity>1</Quantity><Items><Origin><Id>web</Id><DomainName>origin.example.com</DomainName>
    <CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig>
  </Origin></Items></Origins>
  <DefaultCacheBehavior><TargetOriginId>web</TargetOriginId>
    <ForwardedValues><QueryString>true</QueryString><Cookies><Forward>all</Forward></Cookies></ForwardedValues>
    <TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>
    <ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><MinTTL>5</MinTTL></DefaultCacheBehavior>
  <Comment>minimal 2016</Comment>
  <Enabled>true</Enabled>
</DistributionConfig>`

// full2020Config sets most of what a 2020-05-31 config can: origin group,
// S3 and custom origins, an OAC-less S3 origin with Origin Shield, cache
// behaviours with a cache policy and with legacy settings, signers,
// error responses, logging, a protocol floor on the default certificate,
// geo restriction. (Lambda@Edge and ACM/IAM certificates are refused until
// the edge can act on them: internal/control/references.go.)
const full2020Config = `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <CallerReference>full-2020</CallerReference>
  <Aliases><Quantity>2</Quantity><Items><CNAME>a.example.com</CNAME><CNAME>b.example.com</CNAME></Items></Aliases>
  <DefaultRootObject>index.html</DefaultRootObject>
  <Origins><Quantity>3</Quantity><Items>
    <Origin><Id>primary</Id><DomainName>primary.example.com</DomainName><OriginPath>/app</OriginPath>
      <CustomHeaders><Quantity>1</Quantity><Items><OriginCustomHeader><HeaderName>X-Secret</HeaderName><HeaderValue>v</HeaderValue></OriginCustomHeader></Items></CustomHeaders>
      <CustomOriginConfig><HTTPPort>8080</HTTPPort><HTTPSPort>8443</HTTPSPort><OriginProtocolPolicy>match-viewer</OriginProtocolPolicy>
        <OriginSslProtocols><Quantity>2</Quantity><Items><SslProtocol>TLSv1.1</SslProtocol><SslProtocol>TLSv1.2</SslProtocol></Items></OriginSslProtocols>
        <OriginReadTimeout>45</OriginReadTimeout><OriginKeepaliveTimeout>10</OriginKeepaliveTimeout></CustomOriginConfig>
      <ConnectionAttempts>1</ConnectionAttempts><ConnectionTimeout>4</ConnectionTimeout>
      <OriginShield><Enabled>true</Enabled><OriginShieldRegion>us-east-1</OriginShieldRegion></OriginShield></Origin>
    <Origin><Id>secondary</Id><DomainName>secondary.example.com</DomainName>
      <CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>https-only</OriginProtocolPolicy></CustomOriginConfig></Origin>
    <Origin><Id>bucket</Id><DomainName>bucket.s3.amazonaws.com</DomainName>
      <S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig></Origin>
  </Items></Origins>
  <OriginGroups><Quantity>1</Quantity><Items><OriginGroup><Id>group</Id>
    <FailoverCriteria><StatusCodes><Quantity>2</Quantity><Items><StatusCode>500</StatusCode><StatusCode>503</StatusCode></Items></StatusCodes></FailoverCriteria>
    <Members><Quantity>2</Quantity><Items><OriginGroupMember><OriginId>primary</OriginId></OriginGroupMember><OriginGroupMember><OriginId>secondary</OriginId></OriginGroupMember></Items></Members>
  </OriginGroup></Items></OriginGroups>
  <DefaultCacheBehavior><TargetOriginId>group</TargetOriginId>
    <TrustedSigners><Enabled>true</Enabled><Quantity>1</Quantity><Items><AwsAccountNumber>self</AwsAccountNumber></Items></TrustedSigners>
    <ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>
    <AllowedMethods><Quantity>7</Quantity><Items><Method>GET</Method><Method>HEAD</Method><Method>OPTIONS</Method><Method>PUT</Method><Method>PATCH</Method><Method>POST</Method><Method>DELETE</Method></Items>
      <CachedMethods><Quantity>3</Quantity><Items><Method>GET</Method><Method>HEAD</Method><Method>OPTIONS</Method></Items></CachedMethods></AllowedMethods>
    <Compress>true</Compress>
    <LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations>
    <CachePolicyId>4135ea2d-6df8-44a3-9df3-4b5a84be39ad</CachePolicyId>
    <OriginRequestPolicyId>216adef6-5c7f-47e4-b989-5492eafa07d3</OriginRequestPolicyId>
  </DefaultCacheBehavior>
  <CacheBehaviors><Quantity>2</Quantity><Items>
    <CacheBehavior><PathPattern>/static/*</PathPattern><TargetOriginId>bucket</TargetOriginId><ViewerProtocolPolicy>https-only</ViewerProtocolPolicy>
      <CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId></CacheBehavior>
    <CacheBehavior><PathPattern>/api/*</PathPattern><TargetOriginId>primary</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>
      <SmoothStreaming>true</SmoothStreaming>
      <ForwardedValues><QueryString>true</QueryString><Cookies><Forward>whitelist</Forward><WhitelistedNames><Quantity>1</Quantity><Items><Name>sid</Name></Items></WhitelistedNames></Cookies>
        <Headers><Quantity>1</Quantity><Items><Name>Accept</Name></Items></Headers>
        <QueryStringCacheKeys><Quantity>1</Quantity><Items><Name>page</Name></Items></QueryStringCacheKeys></ForwardedValues>
      <MinTTL>1</MinTTL><DefaultTTL>60</DefaultTTL><MaxTTL>600</MaxTTL></CacheBehavior>
  </Items></CacheBehaviors>
  <CustomErrorResponses><Quantity>2</Quantity><Items>
    <CustomErrorResponse><ErrorCode>404</ErrorCode><ResponsePagePath>/404.html</ResponsePagePath><ResponseCode>404</ResponseCode><ErrorCachingMinTTL>30</ErrorCachingMinTTL></CustomErrorResponse>
    <CustomErrorResponse><ErrorCode>503</ErrorCode></CustomErrorResponse>
  </Items></CustomErrorResponses>
  <Comment>full 2020</Comment>
  <Logging><Enabled>true</Enabled><IncludeCookies>true</IncludeCookies><Bucket>logs.s3.amazonaws.com</Bucket><Prefix>cf/</Prefix></Logging>
  <PriceClass>PriceClass_200</PriceClass>
  <Enabled>true</Enabled>
  <ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate><MinimumProtocolVersion>TLSv1.2_2021</MinimumProtocolVersion></ViewerCertificate>
  <Restrictions><GeoRestriction><RestrictionType>whitelist</RestrictionType><Quantity>2</Quantity><Items><Location>DE</Location><Location>FR</Location></Items></GeoRestriction></Restrictions>
  <WebACLId>arn:aws:wafv2:us-east-1:123456789012:global/webacl/w/1</WebACLId>
  <HttpVersion>http2and3</HttpVersion>
  <IsIPV6Enabled>false</IsIPV6Enabled>
</DistributionConfig>`

// full2016Config sets most of what a 2016-01-13 config can, including the
// legacy CertificateSource member.
const full2016Config = `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2016-01-13/">
  <CallerReference>full-2016</CallerReference>
  <Aliases><Quantity>1</Quantity><Items><CNAME>old.example.com</CNAME></Items></Aliases>
  <DefaultRootObject>index.html</DefaultRootObject>
  <Origins><Quantity>2</Quantity><Items>
    <Origin><Id>web</Id><DomainName>web.example.com</DomainName><OriginPath>/v1</OriginPath>
      <CustomHeaders><Quantity>1</Quantity><Items><OriginCustomHeader><HeaderName>X-From</HeaderName><HeaderValue>cf</HeaderValue></OriginCustomHeader></Items></CustomHeaders>
      <CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>match-viewer</OriginProtocolPolicy>
        <OriginSslProtocols><Quantity>1</Quantity><Items><SslProtocol>TLSv1.2</SslProtocol></Items></OriginSslProtocols></CustomOriginConfig></Origin>
    <Origin><Id>bucket</Id><DomainName>bucket.s3.amazonaws.com</DomainName><OriginPath></OriginPath>
      <S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig></Origin>
  </Items></Origins>
  <DefaultCacheBehavior><TargetOriginId>web</TargetOriginId>
    <ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies><Headers><Quantity>0</Quantity></Headers></ForwardedValues>
    <TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>
    <ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy><MinTTL>0</MinTTL>
    <AllowedMethods><Quantity>3</Quantity><Items><Method>GET</Method><Method>HEAD</Method><Method>OPTIONS</Method></Items></AllowedMethods>
    <SmoothStreaming>false</SmoothStreaming><DefaultTTL>3600</DefaultTTL><MaxTTL>86400</MaxTTL><Compress>true</Compress></DefaultCacheBehavior>
  <CacheBehaviors><Quantity>1</Quantity><Items><CacheBehavior><PathPattern>*.jpg</PathPattern><TargetOriginId>bucket</TargetOriginId>
    <ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues>
    <TrustedSigners><Enabled>true</Enabled><Quantity>1</Quantity><Items><AwsAccountNumber>self</AwsAccountNumber></Items></TrustedSigners>
    <ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><MinTTL>100000</MinTTL></CacheBehavior></Items></CacheBehaviors>
  <CustomErrorResponses><Quantity>1</Quantity><Items><CustomErrorResponse><ErrorCode>500</ErrorCode><ErrorCachingMinTTL>0</ErrorCachingMinTTL></CustomErrorResponse></Items></CustomErrorResponses>
  <Comment>full 2016</Comment>
  <Logging><Enabled>false</Enabled><IncludeCookies>false</IncludeCookies><Bucket></Bucket><Prefix></Prefix></Logging>
  <PriceClass>PriceClass_100</PriceClass>
  <Enabled>false</Enabled>
  <ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate><CertificateSource>cloudfront</CertificateSource><MinimumProtocolVersion>TLSv1</MinimumProtocolVersion></ViewerCertificate>
  <Restrictions><GeoRestriction><RestrictionType>blacklist</RestrictionType><Quantity>1</Quantity><Items><Location>KP</Location></Items></GeoRestriction></Restrictions>
  <WebACLId></WebACLId>
</DistributionConfig>`

// roundTripConfigs are the config shapes of the round-trip test: the ones
// above and every CreateDistribution request of the golden cases.
func roundTripConfigs(t *testing.T) map[string]string {
	configs := map[string]string{
		"2020-05-31/minimal":        minimal2020Config,
		"2020-05-31/minimal-legacy": minimalLegacy2020Config,
		"2020-05-31/full":           full2020Config,
		"2020-05-31/cross-version":  crossVersionConfig,
		"2016-01-13/minimal":        minimal2016Config,
		"2016-01-13/full":           full2016Config,
	}
	files, err := filepath.Glob(filepath.Join("testdata", "CreateDistribution", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, af := range a.Files {
			head, body, _ := strings.Cut(string(af.Data), "\n\n")
			line, _, _ := strings.Cut(head, "\n")
			version, ok := strings.CutPrefix(line, "POST /")
			if !strings.HasSuffix(af.Name, ".request") || !ok || !strings.HasSuffix(version, "/distribution") {
				continue
			}
			// Setup steps succeed; other steps only when their golden
			// response says so (error cases are not configs).
			if !strings.HasPrefix(af.Name, "setup") && (i+1 >= len(a.Files) || !strings.HasPrefix(string(a.Files[i+1].Data), "HTTP 2")) {
				continue
			}
			version = strings.TrimSuffix(version, "/distribution")
			name := version + "/golden-" + strings.TrimSuffix(filepath.Base(f), ".txtar") + "-" + af.Name
			configs[name] = body
		}
	}
	return configs
}

// TestDistributionConfig_roundTrip: a config read back with
// GetDistributionConfig and sent unchanged to UpdateDistribution with its
// ETag is accepted and changes nothing: the next GetDistributionConfig is
// byte-identical, in the version used and in the other one. Every config
// shape is created, then round-tripped through each version in turn.
func TestDistributionConfig_roundTrip(t *testing.T) {
	for name, body := range roundTripConfigs(t) {
		t.Run(name, func(t *testing.T) {
			s := apitest.NewServer(t)
			version, _, _ := strings.Cut(name, "/")
			created := s.Call(t, "POST", "/"+version+"/distribution", body)
			if created.Status != http.StatusCreated {
				t.Fatalf("create: %s", created)
			}
			id := regexp.MustCompile(`<Id>(E[A-Z0-9]+)</Id>`).FindStringSubmatch(string(created.Body))[1]
			read := func(v string) *apitest.Response {
				t.Helper()
				r := s.Call(t, "GET", "/"+v+"/distribution/"+id+"/config", "")
				if r.Status != http.StatusOK {
					t.Fatalf("%s GetDistributionConfig: %s", v, r)
				}
				return r
			}
			for _, via := range []string{"2020-05-31", "2016-01-13", "2020-05-31"} {
				before := map[string]string{}
				for _, v := range []string{"2016-01-13", "2020-05-31"} {
					before[v] = string(read(v).Body)
				}
				got := read(via)
				u := s.Call(t, "PUT", "/"+via+"/distribution/"+id+"/config", string(got.Body), "If-Match", got.Header.Get("ETag"))
				if u.Status != http.StatusOK {
					t.Fatalf("%s UpdateDistribution with the config just read: %s\nconfig:\n%s", via, u, got.Body)
				}
				for _, v := range []string{"2016-01-13", "2020-05-31"} {
					if after := string(read(v).Body); after != before[v] {
						t.Errorf("%s round trip through %s changed the %s config:\nbefore: %s\nafter:  %s", name, via, v, before[v], after)
					}
				}
			}
		})
	}
}

// TestDistributionConfig_defaults: a config that leaves members out is
// returned with every member CloudFront returns, valued as CloudFront
// does (the AWS CLI reference's create-distribution and
// get-distribution-config example outputs), in both versions.
func TestDistributionConfig_defaults(t *testing.T) {
	common := []string{
		"<Aliases><Quantity>0</Quantity></Aliases>",
		"<DefaultRootObject></DefaultRootObject>",
		"<OriginPath></OriginPath><CustomHeaders><Quantity>0</Quantity></CustomHeaders>",
		"<CacheBehaviors><Quantity>0</Quantity></CacheBehaviors>",
		"<CustomErrorResponses><Quantity>0</Quantity></CustomErrorResponses>",
		"<Logging><Enabled>false</Enabled><IncludeCookies>false</IncludeCookies><Bucket></Bucket><Prefix></Prefix></Logging>",
		"<PriceClass>PriceClass_All</PriceClass>",
		"<Restrictions><GeoRestriction><RestrictionType>none</RestrictionType><Quantity>0</Quantity></GeoRestriction></Restrictions>",
		"<WebACLId></WebACLId>",
		"<TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>",
		"<AllowedMethods><Quantity>2</Quantity><Items><Method>HEAD</Method><Method>GET</Method></Items><CachedMethods><Quantity>2</Quantity><Items><Method>HEAD</Method><Method>GET</Method></Items></CachedMethods></AllowedMethods>",
		"<SmoothStreaming>false</SmoothStreaming>",
		"<Compress>false</Compress>",
		"<Headers><Quantity>0</Quantity></Headers>",
		"<MinTTL>0</MinTTL>", "<DefaultTTL>86400</DefaultTTL>", "<MaxTTL>31536000</MaxTTL>",
	}
	want := map[string][]string{
		"2020-05-31": append([]string{
			"<OriginGroups><Quantity>0</Quantity></OriginGroups>",
			"<ConnectionAttempts>3</ConnectionAttempts><ConnectionTimeout>10</ConnectionTimeout><OriginShield><Enabled>false</Enabled></OriginShield><OriginAccessControlId></OriginAccessControlId>",
			"<TrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></TrustedKeyGroups>",
			"<LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations><FunctionAssociations><Quantity>0</Quantity></FunctionAssociations><FieldLevelEncryptionId></FieldLevelEncryptionId>",
			"<GrpcConfig><Enabled>false</Enabled></GrpcConfig>",
			"<QueryStringCacheKeys><Quantity>0</Quantity></QueryStringCacheKeys>",
			"<ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate><SSLSupportMethod>vip</SSLSupportMethod><MinimumProtocolVersion>TLSv1</MinimumProtocolVersion><CertificateSource>cloudfront</CertificateSource></ViewerCertificate>",
			"<HttpVersion>http2</HttpVersion><IsIPV6Enabled>true</IsIPV6Enabled><ContinuousDeploymentPolicyId></ContinuousDeploymentPolicyId><Staging>false</Staging>",
		}, common...),
		"2016-01-13": append([]string{
			"<ViewerCertificate><CertificateSource>cloudfront</CertificateSource><SSLSupportMethod>vip</SSLSupportMethod><MinimumProtocolVersion>TLSv1</MinimumProtocolVersion><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate></ViewerCertificate>",
		}, common...),
	}
	s := apitest.NewServer(t)
	created := s.Call(t, "POST", "/2020-05-31/distribution", minimalLegacy2020Config)
	if created.Status != http.StatusCreated {
		t.Fatalf("create: %s", created)
	}
	id := regexp.MustCompile(`<Id>(E[A-Z0-9]+)</Id>`).FindStringSubmatch(string(created.Body))[1]
	for version, members := range want {
		got := s.Call(t, "GET", "/"+version+"/distribution/"+id+"/config", "")
		for _, m := range members {
			if !strings.Contains(string(got.Body), m) {
				t.Errorf("%s GetDistributionConfig lacks %s", version, m)
			}
		}
	}
	// A custom origin gets CloudFront's timeouts.
	created = s.Call(t, "POST", "/2020-05-31/distribution", minimal2020Config)
	id = regexp.MustCompile(`<Id>(E[A-Z0-9]+)</Id>`).FindStringSubmatch(string(created.Body))[1]
	got := s.Call(t, "GET", "/2020-05-31/distribution/"+id+"/config", "")
	if m := "<OriginReadTimeout>30</OriginReadTimeout><OriginKeepaliveTimeout>5</OriginKeepaliveTimeout></CustomOriginConfig>"; !strings.Contains(string(got.Body), m) {
		t.Errorf("GetDistributionConfig lacks %s:\n%s", m, got.Body)
	}
}

// TestOtherConfigs_roundTrip: the same round trip for every other resource
// with an updatable config, in every version that serves it: the config
// read back and sent unchanged with its ETag is accepted and the next read
// is byte-identical.
func TestOtherConfigs_roundTrip(t *testing.T) {
	ns := func(v string) string { return `xmlns="http://cloudfront.amazonaws.com/doc/` + v + `/"` }
	const v20 = "2020-05-31"
	type resource struct {
		version, path, body string
		configSuffix        string // GET <path>/<id><configSuffix>
		updateSuffix        string // PUT <path>/<id><updateSuffix>
		id                  *regexp.Regexp
	}
	idRE := regexp.MustCompile(`<Id>([^<]+)</Id>`)
	var cases []resource
	for _, v := range []string{"2016-01-13", v20} {
		cases = append(cases,
			resource{v, "/origin-access-identity/cloudfront", `<CloudFrontOriginAccessIdentityConfig ` + ns(v) + `><CallerReference>o</CallerReference><Comment></Comment></CloudFrontOriginAccessIdentityConfig>`, "/config", "/config", idRE},
			resource{v, "/streaming-distribution", `<StreamingDistributionConfig ` + ns(v) + `><CallerReference>s</CallerReference><S3Origin><DomainName>m.s3.amazonaws.com</DomainName><OriginAccessIdentity></OriginAccessIdentity></S3Origin><Comment></Comment><TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners><Enabled>true</Enabled></StreamingDistributionConfig>`, "/config", "/config", idRE},
		)
	}
	cases = append(cases,
		resource{v20, "/public-key", `<PublicKeyConfig ` + ns(v20) + `><CallerReference>k</CallerReference><Name>k</Name><EncodedKey>` + ecPublicKey + `</EncodedKey></PublicKeyConfig>`, "/config", "/config", idRE},
		resource{v20, "/origin-access-control", `<OriginAccessControlConfig ` + ns(v20) + `><Name>o</Name><SigningProtocol>sigv4</SigningProtocol><SigningBehavior>no-override</SigningBehavior><OriginAccessControlOriginType>s3</OriginAccessControlOriginType></OriginAccessControlConfig>`, "/config", "/config", idRE},
		resource{v20, "/cache-policy", `<CachePolicyConfig ` + ns(v20) + `><Name>c</Name><MinTTL>0</MinTTL><ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>false</EnableAcceptEncodingGzip><HeadersConfig><HeaderBehavior>none</HeaderBehavior></HeadersConfig><CookiesConfig><CookieBehavior>all</CookieBehavior></CookiesConfig><QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior></QueryStringsConfig></ParametersInCacheKeyAndForwardedToOrigin></CachePolicyConfig>`, "/config", "", idRE},
		resource{v20, "/origin-request-policy", `<OriginRequestPolicyConfig ` + ns(v20) + `><Name>r</Name><HeadersConfig><HeaderBehavior>allViewer</HeaderBehavior></HeadersConfig><CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig><QueryStringsConfig><QueryStringBehavior>all</QueryStringBehavior></QueryStringsConfig></OriginRequestPolicyConfig>`, "/config", "", idRE},
	)
	for _, c := range cases {
		t.Run(c.version+c.path, func(t *testing.T) {
			s := apitest.NewServer(t)
			p := "/" + c.version + c.path
			created := s.Call(t, "POST", p, c.body)
			if created.Status != http.StatusCreated {
				t.Fatalf("create: %s", created)
			}
			id := c.id.FindStringSubmatch(string(created.Body))[1]
			before := s.Call(t, "GET", p+"/"+id+c.configSuffix, "")
			if before.Status != http.StatusOK {
				t.Fatalf("get config: %s", before)
			}
			u := s.Call(t, "PUT", p+"/"+id+c.updateSuffix, string(before.Body), "If-Match", before.Header.Get("ETag"))
			if u.Status != http.StatusOK {
				t.Fatalf("update with the config just read: %s", u)
			}
			if after := s.Call(t, "GET", p+"/"+id+c.configSuffix, ""); string(after.Body) != string(before.Body) {
				t.Errorf("round trip changed the config:\nbefore: %s\nafter:  %s", before.Body, after.Body)
			}
		})
	}
}

// TestListDistributions_2016FollowsCachePolicy: a 2016-01-13 summary shows
// a behaviour's cache policy as legacy settings, and a change of the policy
// (which leaves the distribution's ETag alone) shows in the next list.
func TestListDistributions_2016FollowsCachePolicy(t *testing.T) {
	s := apitest.NewServer(t)
	policy := func(minTTL string) string {
		return `<CachePolicyConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Name>p</Name><MinTTL>` + minTTL + `</MinTTL>` +
			`<ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>false</EnableAcceptEncodingGzip><HeadersConfig><HeaderBehavior>none</HeaderBehavior></HeadersConfig>` +
			`<CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig><QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior></QueryStringsConfig></ParametersInCacheKeyAndForwardedToOrigin></CachePolicyConfig>`
	}
	created := s.Call(t, "POST", "/2020-05-31/cache-policy", policy("5"))
	if created.Status != http.StatusCreated {
		t.Fatalf("create policy: %s", created)
	}
	id := regexp.MustCompile(`<Id>([^<]+)</Id>`).FindStringSubmatch(string(created.Body))[1]
	if r := s.Call(t, "POST", "/2020-05-31/distribution", strings.Replace(minimal2020Config, "658327ea-f89d-4fab-a63d-7e88639e58f6", id, 1)); r.Status != http.StatusCreated {
		t.Fatalf("create distribution: %s", r)
	}
	for _, want := range []string{"<MinTTL>5</MinTTL>", "<MinTTL>7</MinTTL>"} {
		if l := s.Call(t, "GET", "/2016-01-13/distribution", ""); !strings.Contains(string(l.Body), want) {
			t.Errorf("2016 list lacks %s:\n%s", want, l.Body)
		}
		u := s.Call(t, "PUT", "/2020-05-31/cache-policy/"+id, policy("7"), "If-Match", s.Call(t, "GET", "/2020-05-31/cache-policy/"+id, "").Header.Get("ETag"))
		if u.Status != http.StatusOK {
			t.Fatalf("update policy: %s", u)
		}
	}
}
