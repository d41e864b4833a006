package cloudfront_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"openfront/internal/apitest"
)

// A P-256 public key, as openssl pkey -pubout writes it.
const ecPublicKey = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIecyEJ0whTYLC1t2ZXvEn7ulZTuz
LMEcBE7Fj/ShuWtCR+2P406iY8GBfvWJR8/h6wt3elY/3V5Uhi51bYApQA==
-----END PUBLIC KEY-----`

const ns2020 = `xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"`

// TestKeysAndOACs_wire walks public keys, key groups and origin access
// controls through the 2020-05-31 wire API: routes (UpdateKeyGroup has no
// /config suffix, "UpdateKeyGroup" in the Amazon CloudFront API Reference),
// headers, list shapes (PublicKeyList and KeyGroupList have no Marker or
// IsTruncated, "PublicKeyList" there), and the error codes and statuses
// of the in-use rules ("DeletePublicKey", "DeleteKeyGroup" and
// "DeleteOriginAccessControl" there).
func TestKeysAndOACs_wire(t *testing.T) {
	s := apitest.NewServer(t)
	vars := map[string]string{}
	expand := func(str string) string {
		for k, v := range vars {
			str = strings.ReplaceAll(str, "{{"+k+"}}", v)
		}
		return str
	}
	capture := func(name, pattern string) func(t *testing.T, r *apitest.Response) {
		return func(t *testing.T, r *apitest.Response) {
			m := regexp.MustCompile(pattern).FindSubmatch(r.Body)
			if m == nil {
				t.Fatalf("no %s in %s", name, r.Body)
			}
			vars[name] = string(m[1])
			vars[name+"ETag"] = r.Header.Get("ETag")
		}
	}
	steps := []struct {
		name, method, path, body string
		ifMatch                  string
		status                   int
		want                     []string // substrings of the body
		then                     func(t *testing.T, r *apitest.Response)
	}{
		{name: "create public key", method: "POST", path: "/2020-05-31/public-key",
			body:   `<PublicKeyConfig ` + ns2020 + `><CallerReference>ref-1</CallerReference><Name>key-1</Name><EncodedKey>` + ecPublicKey + `</EncodedKey></PublicKeyConfig>`,
			status: http.StatusCreated, want: []string{"<PublicKey " + ns2020, "<Name>key-1</Name>", "<CreatedTime>"},
			then: capture("Key", `<Id>(K[A-Z0-9]{13})</Id>`)},
		{name: "bad key", method: "POST", path: "/2020-05-31/public-key",
			body:   `<PublicKeyConfig ` + ns2020 + `><CallerReference>ref-2</CallerReference><Name>key-2</Name><EncodedKey>nope</EncodedKey></PublicKeyConfig>`,
			status: http.StatusBadRequest, want: []string{"<Code>InvalidArgument</Code>"}},
		{name: "list public keys", method: "GET", path: "/2020-05-31/public-key?MaxItems=1",
			status: http.StatusOK, want: []string{`<PublicKeyList ` + ns2020 + `><MaxItems>1</MaxItems><Quantity>1</Quantity><Items><PublicKeySummary><Id>{{Key}}</Id><Name>key-1</Name>`}},
		{name: "change the key", method: "PUT", path: "/2020-05-31/public-key/{{Key}}/config", ifMatch: "{{KeyETag}}",
			body:   `<PublicKeyConfig ` + ns2020 + `><CallerReference>ref-1</CallerReference><Name>key-1</Name><EncodedKey>other</EncodedKey></PublicKeyConfig>`,
			status: http.StatusBadRequest, want: []string{"<Code>CannotChangeImmutablePublicKeyFields</Code>"}},
		{name: "create key group", method: "POST", path: "/2020-05-31/key-group",
			body:   `<KeyGroupConfig ` + ns2020 + `><Name>group-1</Name><Items><PublicKey>{{Key}}</PublicKey></Items></KeyGroupConfig>`,
			status: http.StatusCreated, want: []string{"<KeyGroup " + ns2020, "<KeyGroupConfig><Name>group-1</Name><Items><PublicKey>{{Key}}</PublicKey></Items></KeyGroupConfig>"},
			then: capture("Group", `<Id>([0-9a-f-]{36})</Id>`)},
		{name: "update key group", method: "PUT", path: "/2020-05-31/key-group/{{Group}}", ifMatch: "{{GroupETag}}",
			body:   `<KeyGroupConfig ` + ns2020 + `><Name>group-1</Name><Items><PublicKey>{{Key}}</PublicKey></Items><Comment>c</Comment></KeyGroupConfig>`,
			status: http.StatusOK, want: []string{"<Comment>c</Comment>"},
			then: capture("Group", `<Id>([0-9a-f-]{36})</Id>`)},
		{name: "list key groups", method: "GET", path: "/2020-05-31/key-group",
			status: http.StatusOK, want: []string{`<KeyGroupList ` + ns2020 + `><MaxItems>100</MaxItems><Quantity>1</Quantity><Items><KeyGroupSummary><KeyGroup><Id>{{Group}}</Id>`}},
		{name: "key in a group", method: "DELETE", path: "/2020-05-31/public-key/{{Key}}", ifMatch: "{{KeyETag}}",
			status: http.StatusConflict, want: []string{"<Code>PublicKeyInUse</Code>"}},
		{name: "unknown key group", method: "GET", path: "/2020-05-31/key-group/00000000-0000-4000-8000-000000000000/config",
			status: http.StatusNotFound, want: []string{"<Code>NoSuchResource</Code>"}},
		{name: "create OAC", method: "POST", path: "/2020-05-31/origin-access-control",
			body:   `<OriginAccessControlConfig ` + ns2020 + `><Name>oac-1</Name><SigningProtocol>sigv4</SigningProtocol><SigningBehavior>always</SigningBehavior><OriginAccessControlOriginType>s3</OriginAccessControlOriginType></OriginAccessControlConfig>`,
			status: http.StatusCreated, want: []string{"<OriginAccessControl " + ns2020, "<Description></Description>"},
			then: capture("OAC", `<Id>(E[A-Z0-9]{13})</Id>`)},
		{name: "OAC bad enum", method: "POST", path: "/2020-05-31/origin-access-control",
			body:   `<OriginAccessControlConfig ` + ns2020 + `><Name>oac-2</Name><SigningProtocol>sigv4</SigningProtocol><SigningBehavior>sometimes</SigningBehavior><OriginAccessControlOriginType>s3</OriginAccessControlOriginType></OriginAccessControlConfig>`,
			status: http.StatusBadRequest, want: []string{"<Code>InvalidArgument</Code>"}},
		{name: "list OACs", method: "GET", path: "/2020-05-31/origin-access-control",
			status: http.StatusOK, want: []string{`<OriginAccessControlList ` + ns2020 + `><Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>1</Quantity><Items><OriginAccessControlSummary><Id>{{OAC}}</Id><Description></Description><Name>oac-1</Name>`}},
		{name: "distribution with an unknown key group", method: "POST", path: "/2020-05-31/distribution",
			body:   distributionWith("d1", `<TrustedKeyGroups><Enabled>true</Enabled><Quantity>1</Quantity><Items><KeyGroup>00000000-0000-4000-8000-000000000000</KeyGroup></Items></TrustedKeyGroups>`, ""),
			status: http.StatusBadRequest, want: []string{"<Code>TrustedKeyGroupDoesNotExist</Code>"}},
		{name: "distribution with an unknown OAC", method: "POST", path: "/2020-05-31/distribution",
			body:   distributionWith("d2", "", `<OriginAccessControlId>ENOSUCHOAC0000</OriginAccessControlId>`),
			status: http.StatusNotFound, want: []string{"<Code>NoSuchOriginAccessControl</Code>"}},
		{name: "distribution using both", method: "POST", path: "/2020-05-31/distribution",
			body:   distributionWith("d3", `<TrustedKeyGroups><Enabled>true</Enabled><Quantity>1</Quantity><Items><KeyGroup>{{Group}}</KeyGroup></Items></TrustedKeyGroups>`, `<OriginAccessControlId>{{OAC}}</OriginAccessControlId>`),
			status: http.StatusCreated, want: []string{"<ActiveTrustedKeyGroups><Enabled>true</Enabled><Quantity>1</Quantity><Items><KeyGroup><KeyGroupId>{{Group}}</KeyGroupId>"}},
		{name: "key group in use", method: "DELETE", path: "/2020-05-31/key-group/{{Group}}", ifMatch: "{{GroupETag}}",
			status: http.StatusConflict, want: []string{"<Code>ResourceInUse</Code>"}},
		{name: "OAC in use", method: "DELETE", path: "/2020-05-31/origin-access-control/{{OAC}}", ifMatch: "{{OACETag}}",
			status: http.StatusConflict, want: []string{"<Code>OriginAccessControlInUse</Code>"}},
		{name: "not in 2016-01-13", method: "GET", path: "/2016-01-13/key-group",
			status: http.StatusBadRequest, want: []string{"<Code>InvalidURI</Code>"}},
	}
	for _, st := range steps {
		var header []string
		if st.ifMatch != "" {
			header = []string{"If-Match", expand(st.ifMatch)}
		}
		r := s.Call(t, st.method, expand(st.path), expand(st.body), header...)
		if r.Status != st.status {
			t.Fatalf("%s: status %d, want %d: %s", st.name, r.Status, st.status, r.Body)
		}
		for _, w := range st.want {
			if !strings.Contains(string(r.Body), expand(w)) {
				t.Fatalf("%s: body lacks %s:\n%s", st.name, expand(w), r.Body)
			}
		}
		if r.Status < 300 && r.Header.Get("ETag") == "" && !strings.HasPrefix(st.name, "list") {
			t.Errorf("%s: no ETag", st.name)
		}
		if st.then != nil {
			st.then(t, r)
		}
	}
}

// distributionWith is a 2020-05-31 DistributionConfig whose default
// behaviour has the trusted key groups element and whose S3 origin has
// the OAC element given.
func distributionWith(ref, trustedKeyGroups, oac string) string {
	return `<DistributionConfig ` + ns2020 + `>
  <CallerReference>` + ref + `</CallerReference>
  <Origins><Quantity>1</Quantity><Items><Origin>
    <Id>s3</Id><DomainName>bucket.s3.amazonaws.com</DomainName>
    <S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig>` + oac + `
  </Origin></Items></Origins>
  <DefaultCacheBehavior>
    <TargetOriginId>s3</TargetOriginId>` + trustedKeyGroups + `
    <ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>
    <ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues>
    <MinTTL>0</MinTTL>
  </DefaultCacheBehavior>
  <Comment></Comment>
  <Enabled>true</Enabled>
</DistributionConfig>`
}
