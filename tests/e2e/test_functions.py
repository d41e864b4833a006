"""CloudFront Functions (2020-05-31): the control plane through boto3 and the AWS CLI, TestFunction running the
engine, associations of LIVE functions, and functions running at the edge."""

import json
import os
import time
import unittest

from harness import V2020, ServerTestCase, dist_config, legacy_behavior, new_ref
from test_edge import EdgeTestCase, Origin, origin_for

REWRITE = b"""function handler(event) {
    var request = event.request;
    if (request.uri.endsWith('/')) request.uri += 'index.html';
    console.log('uri ' + request.uri);
    return request;
}
"""

REDIRECT = b"""import cf from 'cloudfront';
async function handler(event) {
    return {statusCode: 302, statusDescription: 'Found',
            headers: {location: {value: 'https://example.com' + event.request.uri}}};
}
"""

# A viewer-request function that rewrites directory URIs and sends /b/* to the distribution's second origin
# ("Helper methods for origin modification").
ROUTER = b"""import cf from 'cloudfront';
function handler(event) {
    var request = event.request;
    if (request.uri.endsWith('/')) request.uri += 'index.html';
    if (request.uri.startsWith('/b/')) cf.selectRequestOriginById('second');
    return request;
}
"""

EVENT = {"version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "198.51.100.11"},
         "request": {"method": "GET", "uri": "/docs/", "headers": {"host": {"value": "example.org"}}}}


def fn_name(prefix="fn"):
    return new_ref(prefix).replace(".", "-")[:64]


def config(comment="e2e", runtime="cloudfront-js-2.0"):
    return {"Comment": comment, "Runtime": runtime}


class TestFunctionsBoto3(ServerTestCase):

    def create(self, code=REWRITE, runtime="cloudfront-js-2.0"):
        name = fn_name()
        out = self.cf.create_function(Name=name, FunctionConfig=config(runtime=runtime), FunctionCode=code)
        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 201)
        return name, out

    def test_lifecycle(self):
        name, created = self.create()
        summary = created["FunctionSummary"]
        self.assertEqual(summary["Name"], name)
        self.assertEqual(summary["Status"], "UNPUBLISHED")
        self.assertEqual(summary["FunctionMetadata"]["Stage"], "DEVELOPMENT")
        self.assertEqual(summary["FunctionMetadata"]["FunctionARN"], "arn:aws:cloudfront::%s:function/%s"
                         % (summary["FunctionMetadata"]["FunctionARN"].split(":")[4], name))
        self.assertTrue(created["ETag"])
        self.assertIn("/function/" + name, created["Location"])

        # Never published: no LIVE stage.
        self.assertClientError("NoSuchFunctionExists", 404, self.cf.describe_function, Name=name, Stage="LIVE")
        dev = self.cf.describe_function(Name=name, Stage="DEVELOPMENT")
        self.assertEqual(dev["ETag"], created["ETag"])
        got = self.cf.get_function(Name=name, Stage="DEVELOPMENT")
        self.assertEqual(got["FunctionCode"].read(), REWRITE)
        self.assertEqual(got["ETag"], created["ETag"])
        self.assertTrue(got["ContentType"])

        # TestFunction runs the DEVELOPMENT code with its ETag.
        tr = self.cf.test_function(Name=name, IfMatch=created["ETag"], Stage="DEVELOPMENT",
                                   EventObject=json.dumps(EVENT).encode())["TestResult"]
        self.assertEqual(tr["FunctionErrorMessage"], "")
        self.assertEqual(tr["FunctionExecutionLogs"], ["uri /docs/index.html"])
        self.assertEqual(json.loads(tr["FunctionOutput"])["request"]["uri"], "/docs/index.html")
        self.assertTrue(0 <= int(tr["ComputeUtilization"]) <= 100)
        self.assertClientError("PreconditionFailed", 412, self.cf.test_function, Name=name, IfMatch="ESTALE",
                               EventObject=json.dumps(EVENT).encode())

        # Update: If-Match checked; boto3 reads the new ETag from the model's ETtag header.
        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.update_function, Name=name, IfMatch="",
                               FunctionConfig=config(), FunctionCode=REDIRECT)
        self.assertClientError("PreconditionFailed", 412, self.cf.update_function, Name=name, IfMatch="ESTALE",
                               FunctionConfig=config(), FunctionCode=REDIRECT)
        up = self.cf.update_function(Name=name, IfMatch=created["ETag"], FunctionConfig=config("v2"),
                                     FunctionCode=REDIRECT)
        self.assertTrue(up["ETag"])
        self.assertNotEqual(up["ETag"], created["ETag"])
        self.assertEqual(up["ResponseMetadata"]["HTTPHeaders"].get("etag"), up["ETag"])

        # Publish with the stale ETag fails; with the update's ETag it copies DEVELOPMENT to LIVE.
        self.assertClientError("PreconditionFailed", 412, self.cf.publish_function, Name=name, IfMatch=created["ETag"])
        pub = self.cf.publish_function(Name=name, IfMatch=up["ETag"])["FunctionSummary"]
        self.assertEqual(pub["FunctionMetadata"]["Stage"], "LIVE")
        self.assertEqual(pub["Status"], "UNASSOCIATED")
        live = self.cf.describe_function(Name=name, Stage="LIVE")
        self.assertEqual(self.cf.get_function(Name=name, Stage="LIVE")["FunctionCode"].read(), REDIRECT)
        tr = self.cf.test_function(Name=name, IfMatch=live["ETag"], Stage="LIVE",
                                   EventObject=json.dumps(EVENT).encode())["TestResult"]
        out = json.loads(tr["FunctionOutput"])["response"]
        self.assertEqual((out["statusCode"], out["headers"]["location"]["value"]), (302, "https://example.com/docs/"))

        # Lists, with the Stage filter.
        names = [(f["Name"], f["FunctionMetadata"]["Stage"]) for f in self.cf.list_functions()["FunctionList"].get("Items", [])]
        self.assertIn((name, "DEVELOPMENT"), names)
        self.assertIn((name, "LIVE"), names)
        live_only = self.cf.list_functions(Stage="LIVE")["FunctionList"]
        self.assertTrue(all(f["FunctionMetadata"]["Stage"] == "LIVE" for f in live_only.get("Items", [])))

        # Delete: If-Match checked, then gone.
        self.assertClientError("PreconditionFailed", 412, self.cf.delete_function, Name=name, IfMatch=created["ETag"])
        dev = self.cf.describe_function(Name=name)
        self.assertEqual(self.cf.delete_function(Name=name, IfMatch=dev["ETag"])["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertClientError("NoSuchFunctionExists", 404, self.cf.describe_function, Name=name)
        self.assertClientError("NoSuchFunctionExists", 404, self.cf.get_function, Name=name)

    def test_errors(self):
        name, created = self.create()
        self.assertClientError("FunctionAlreadyExists", 409, self.cf.create_function, Name=name,
                               FunctionConfig=config(), FunctionCode=REWRITE)
        self.assertClientError("FunctionSizeLimitExceeded", 413, self.cf.create_function, Name=fn_name(),
                               FunctionConfig=config(), FunctionCode=b" " * (10 * 1024 + 1))
        self.assertClientError("InvalidArgument", 400, self.cf.create_function, Name="not.valid",
                               FunctionConfig=config(), FunctionCode=REWRITE)
        self.assertClientError("InvalidArgument", 400, self.cf.create_function, Name=fn_name(),
                               FunctionConfig=config(runtime="nodejs20.x"), FunctionCode=REWRITE)
        self.assertClientError("InvalidArgument", 400, self.cf.create_function, Name=fn_name(),
                               FunctionConfig=config("c" * 129), FunctionCode=REWRITE)
        self.assertClientError("NoSuchFunctionExists", 404, self.cf.publish_function, Name=fn_name(), IfMatch="E1")
        self.assertClientError("InvalidArgument", 400, self.cf.test_function, Name=name, IfMatch=created["ETag"],
                               EventObject=b"not json")

    def test_hostile_functions_are_contained(self):
        """TestFunction reports a runaway or failing function in FunctionErrorMessage; the server keeps serving."""
        cases = [
            (b"function handler(e) { while (true) {} }", "time limit"),
            (b"function handler(e) { return 'x'.repeat(1 << 30); }", "MemoryError"),
            (b"function handler(e) { function f() { return f() + 1; } return f(); }", "RangeError"),
            (b"function handler(e) { throw new Error('boom'); }", "Error: boom"),
            (b"function handler(e) { return eval('e.request'); }", "EvalError"),
            (b"function handler(e) { return require('fs'); }", "Cannot find module"),
            (b"function handler(e) { return {statusCode: 'abc'}; }", "statusCode"),
            (b"function handler(e) {", "SyntaxError"),
        ]
        for code, want in cases:
            with self.subTest(code=code):
                name, created = self.create(code)
                tr = self.cf.test_function(Name=name, IfMatch=created["ETag"],
                                           EventObject=json.dumps(EVENT).encode())["TestResult"]
                self.assertIn(want, tr["FunctionErrorMessage"])
                self.assertTrue(tr["FunctionErrorMessage"].startswith("The CloudFront function associated with"))
                self.assertIn(tr.get("FunctionOutput", ""), ("", None))
        self.assertEqual(self.cf.list_functions(MaxItems="1")["ResponseMetadata"]["HTTPStatusCode"], 200)

    def test_association_needs_a_live_function(self):
        name, created = self.create()
        arn = created["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]

        def with_function(fn_arn):
            cfg = dist_config(V2020)
            cfg["DefaultCacheBehavior"]["FunctionAssociations"] = {
                "Quantity": 1, "Items": [{"FunctionARN": fn_arn, "EventType": "viewer-request"}]}
            return cfg

        e = self.assertClientError("InvalidFunctionAssociation", 400, self.cf.create_distribution,
                                   DistributionConfig=with_function(arn))
        self.assertIn("not published", e.response["Error"]["Message"])
        self.cf.publish_function(Name=name, IfMatch=created["ETag"])
        # Published: accepted, and the function is in use.
        self.cf.create_distribution(DistributionConfig=with_function(arn))
        live = self.cf.describe_function(Name=name, Stage="LIVE")
        self.assertEqual(live["FunctionSummary"]["Status"], "ASSOCIATED")
        self.assertClientError("FunctionInUse", 409, self.cf.delete_function, Name=name, IfMatch=live["ETag"])
        e = self.assertClientError("InvalidFunctionAssociation", 400, self.cf.create_distribution,
                                   DistributionConfig=with_function(arn.rsplit("/", 1)[0] + "/missing-fn"))
        self.assertIn("does not exist", e.response["Error"]["Message"])


class TestKeyValueStores(ServerTestCase):
    """The KeyValueStore resources (their keys: test_key_value_store.py)."""

    def test_lifecycle_boto3(self):
        name = fn_name("kvs")
        created = self.cf.create_key_value_store(Name=name, Comment="e2e")
        self.assertEqual(created["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertEqual(created["KeyValueStore"]["Status"], "PROVISIONING")
        self.assertRegex(created["KeyValueStore"]["ARN"], r"^arn:aws:cloudfront::\d{12}:key-value-store/[0-9a-f-]{36}$")
        got = self.cf.describe_key_value_store(Name=name)
        self.assertEqual(got["KeyValueStore"]["Status"], "READY")
        self.assertEqual(got["ETag"], created["ETag"])
        self.assertClientError("EntityAlreadyExists", 409, self.cf.create_key_value_store, Name=name)
        # ImportSource (read from S3: test_key_value_store.py) must name an S3 object.
        self.assertClientError("InvalidArgument", 400, self.cf.create_key_value_store, Name=fn_name("kvs"),
                               ImportSource={"SourceType": "S3", "SourceARN": "arn:aws:s3:::bucket-only"})
        self.assertClientError("PreconditionFailed", 412, self.cf.update_key_value_store, Name=name, Comment="x",
                               IfMatch="ESTALE")
        up = self.cf.update_key_value_store(Name=name, Comment="changed", IfMatch=got["ETag"])
        self.assertEqual(up["KeyValueStore"]["Comment"], "changed")
        names = [k["Name"] for k in self.cf.list_key_value_stores()["KeyValueStoreList"].get("Items", [])]
        self.assertIn(name, names)
        self.assertClientError("PreconditionFailed", 412, self.cf.delete_key_value_store, Name=name, IfMatch=got["ETag"])
        self.cf.delete_key_value_store(Name=name, IfMatch=up["ETag"])
        self.assertClientError("EntityNotFound", 404, self.cf.describe_key_value_store, Name=name)

    def test_cli(self):
        name = fn_name("kvscli")
        created = self.server.aws("cloudfront", "create-key-value-store", "--name", name, "--comment", "cli")
        got = self.server.aws("cloudfront", "describe-key-value-store", "--name", name)
        self.assertEqual(got["KeyValueStore"]["Id"], created["KeyValueStore"]["Id"])
        self.server.aws("cloudfront", "delete-key-value-store", "--name", name, "--if-match", got["ETag"])
        p = self.server.aws_run("cloudfront", "describe-key-value-store", "--name", name)
        self.assertIn("EntityNotFound", p.stderr)


class TestFunctionsCli(ServerTestCase):

    def _write(self, name, data):
        path = os.path.join(self.server.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_cli_flow(self):
        name = fn_name("cli")
        code = self._write(name + ".js", REWRITE)
        event = self._write(name + "-event.json", json.dumps(EVENT).encode())
        cfg = "Comment=from the cli,Runtime=cloudfront-js-1.0"
        created = self.server.aws("cloudfront", "create-function", "--name", name, "--function-config", cfg,
                                  "--function-code", "fileb://" + code)
        etag = created["ETag"]
        self.assertEqual(created["FunctionSummary"]["FunctionConfig"]["Runtime"], "cloudfront-js-1.0")

        desc = self.server.aws("cloudfront", "describe-function", "--name", name)
        self.assertEqual(desc["ETag"], etag)
        p = self.server.aws_run("cloudfront", "describe-function", "--name", name, "--stage", "LIVE")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("NoSuchFunctionExists", p.stderr)

        outfile = os.path.join(self.server.tmp, name + "-got.js")
        got = self.server.aws("cloudfront", "get-function", "--name", name, outfile)
        self.assertEqual(got["ETag"], etag)
        with open(outfile, "rb") as f:
            self.assertEqual(f.read(), REWRITE)

        tr = self.server.aws("cloudfront", "test-function", "--name", name, "--if-match", etag,
                             "--event-object", "fileb://" + event)["TestResult"]
        self.assertEqual(json.loads(tr["FunctionOutput"])["request"]["uri"], "/docs/index.html")
        self.assertEqual(tr["FunctionExecutionLogs"], ["uri /docs/index.html"])

        new_code = self._write(name + "-v2.js", REDIRECT)
        up = self.server.aws("cloudfront", "update-function", "--name", name, "--if-match", etag,
                             "--function-config", "Comment=v2,Runtime=cloudfront-js-2.0",
                             "--function-code", "fileb://" + new_code)
        self.assertNotEqual(up["ETag"], etag)
        p = self.server.aws_run("cloudfront", "publish-function", "--name", name, "--if-match", etag)
        self.assertIn("PreconditionFailed", p.stderr)
        pub = self.server.aws("cloudfront", "publish-function", "--name", name, "--if-match", up["ETag"])
        self.assertEqual(pub["FunctionSummary"]["FunctionMetadata"]["Stage"], "LIVE")

        listed = self.server.aws("cloudfront", "list-functions", "--stage", "LIVE")
        self.assertIn(name, [f["Name"] for f in listed["FunctionList"].get("Items", [])])

        p = self.server.aws_run("cloudfront", "delete-function", "--name", name, "--if-match", "ESTALE")
        self.assertIn("PreconditionFailed", p.stderr)
        self.server.aws("cloudfront", "delete-function", "--name", name, "--if-match", up["ETag"])
        p = self.server.aws_run("cloudfront", "get-function", "--name", name, outfile)
        self.assertIn("NoSuchFunctionExists", p.stderr)


if __name__ == "__main__":
    unittest.main()


class TestFunctionsAtTheEdge(EdgeTestCase):
    """Functions created, published and associated through boto3 run at the edge; a publish reaches it
    within a second."""

    def publish(self, name, etag):
        return self.cf.publish_function(Name=name, IfMatch=etag)["FunctionSummary"]

    def test_publish_changes_the_edge_within_a_second(self):
        def prefixer(prefix):
            return ("function handler(event) { event.request.uri = '/%s' + event.request.uri; "
                    "return event.request; }" % prefix).encode()

        name = fn_name("edge")
        created = self.cf.create_function(Name=name, FunctionConfig=config(), FunctionCode=prefixer("v1"))
        arn = self.publish(name, created["ETag"])["FunctionMetadata"]["FunctionARN"]
        resp_name = fn_name("edgeresp")
        rc = self.cf.create_function(Name=resp_name, FunctionConfig=config(), FunctionCode=b"""
function handler(event) {
    event.response.headers['x-from-function'] = {value: event.context.eventType};
    return event.response;
}""")
        resp_arn = self.publish(resp_name, rc["ETag"])["FunctionMetadata"]["FunctionARN"]

        behavior = legacy_behavior("web")
        behavior["FunctionAssociations"] = {"Quantity": 2, "Items": [
            {"FunctionARN": arn, "EventType": "viewer-request"},
            {"FunctionARN": resp_arn, "EventType": "viewer-response"}]}
        d = self.create(behavior=behavior)
        self.assertEqual(self.cf.describe_function(Name=name, Stage="LIVE")["FunctionSummary"]["Status"], "ASSOCIATED")

        st, h, body = self.get(d["DomainName"], "/page")
        self.assertEqual(st, 200, body)
        self.assertTrue(body.startswith(b"/v1/page "), body)
        self.assertEqual(h["x-from-function"], "viewer-response")
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        st, h, body = self.get(d["DomainName"], "/page")
        self.assertEqual(h["x-cache"], "Hit from cloudfront")

        # UpdateFunction alone changes DEVELOPMENT only: the edge keeps LIVE.
        dev = self.cf.describe_function(Name=name)["ETag"]
        updated = self.cf.update_function(Name=name, IfMatch=dev, FunctionConfig=config(), FunctionCode=prefixer("v2"))
        st, h, body = self.get(d["DomainName"], "/page")
        self.assertTrue(body.startswith(b"/v1/page "), body)
        self.publish(name, updated["ETag"])
        published = time.monotonic()
        while True:
            st, h, body = self.get(d["DomainName"], "/page")
            if body.startswith(b"/v2/page "):
                break
            self.assertLess(time.monotonic() - published, 1.0, "the edge still runs the old code a second after the publish")
            time.sleep(0.02)
        self.assertEqual(h["x-cache"], "Miss from cloudfront")  # a new URI: a new cache key
        self.assertEqual(self.origin.count("/v2/page"), 1)

        # The function cannot be deleted while a behaviour uses it.
        live = self.cf.describe_function(Name=name, Stage="LIVE")
        self.assertClientError("FunctionInUse", 409, self.cf.delete_function, Name=name, IfMatch=live["ETag"])

    def test_generated_response_and_failures(self):
        name = fn_name("gen")
        created = self.cf.create_function(Name=name, FunctionConfig=config(), FunctionCode=REDIRECT)
        arn = self.publish(name, created["ETag"])["FunctionMetadata"]["FunctionARN"]
        broken = fn_name("throw")
        bc = self.cf.create_function(Name=broken, FunctionConfig=config(),
                                     FunctionCode=b"function handler(event) { throw new Error('no'); }")
        broken_arn = self.publish(broken, bc["ETag"])["FunctionMetadata"]["FunctionARN"]
        loop = fn_name("loop")
        lc = self.cf.create_function(Name=loop, FunctionConfig=config(),
                                     FunctionCode=b"function handler(event) { for (;;) {} }")
        loop_arn = self.publish(loop, lc["ETag"])["FunctionMetadata"]["FunctionARN"]

        def with_fn(pattern, fn_arn):
            b = legacy_behavior("web")
            b["PathPattern"] = pattern
            b["FunctionAssociations"] = {"Quantity": 1, "Items": [{"FunctionARN": fn_arn, "EventType": "viewer-request"}]}
            return b

        behaviors = [with_fn("/go/*", arn), with_fn("/broken/*", broken_arn), with_fn("/loop/*", loop_arn)]
        d = self.create(CacheBehaviors={"Quantity": 3, "Items": behaviors})
        st, h, _ = self.get(d["DomainName"], "/go/there")
        self.assertEqual((st, h["location"], h["x-cache"]),
                         (302, "https://example.com/go/there", "FunctionGeneratedResponse from cloudfront"))
        self.assertEqual(self.origin.count("/go/there"), 0)
        st, h, body = self.get(d["DomainName"], "/broken/x")
        self.assertEqual((st, h["x-cache"]), (503, "FunctionExecutionError from cloudfront"))
        st, h, body = self.get(d["DomainName"], "/loop/x")
        self.assertEqual((st, h["x-cache"]), (503, "FunctionThrottledError from cloudfront"))
        # The default behaviour, without functions, is served as before.
        st, h, body = self.get(d["DomainName"], "/plain")
        self.assertEqual((st, h["x-cache"]), (200, "Miss from cloudfront"))

    def test_restrictions_on_edge_functions(self):
        """"Restrictions on all edge functions": disallowed headers are not in the event, adding one or editing a
        read-only one is a FunctionValidationError (502), as is a query string with a space or #, or a URI of 8,192
        characters or more; non-ASCII in a query string reaches the origin percent-encoded."""
        req_name = fn_name("rules")
        rc = self.cf.create_function(Name=req_name, FunctionConfig=config(), FunctionCode=b"""
function handler(event) {
    var r = event.request;
    if (r.uri === '/show') return {statusCode: 200, body: Object.keys(r.headers).sort().join(',')};
    if (r.uri === '/host') r.headers.host = {value: 'evil.example'};
    if (r.uri === '/cfid') r.headers['x-amz-cf-id'] = {value: 'forged'};
    if (r.uri === '/space') r.querystring.q = {value: 'a b'};
    if (r.uri === '/frag') r.querystring.q = {value: 'a#frag'};
    if (r.uri === '/utf') r.querystring.q = {value: '\u00e9'};
    if (r.uri === '/long') r.uri = '/' + 'a'.repeat(9000);
    return r;
}""")
        req_arn = self.publish(req_name, rc["ETag"])["FunctionMetadata"]["FunctionARN"]
        resp_name = fn_name("rulesresp")
        vc = self.cf.create_function(Name=resp_name, FunctionConfig=config(), FunctionCode=b"""
function handler(event) {
    var r = event.response;
    r.headers['x-seen'] = {value: Object.keys(r.headers).sort().join(',')};
    if (event.request.uri === '/forge') r.headers['x-cache'] = {value: 'Hit from cloudfront'};
    return r;
}""")
        resp_arn = self.publish(resp_name, vc["ETag"])["FunctionMetadata"]["FunctionARN"]
        behavior = legacy_behavior("web")
        behavior["ForwardedValues"]["QueryString"] = True
        behavior["FunctionAssociations"] = {"Quantity": 2, "Items": [
            {"FunctionARN": req_arn, "EventType": "viewer-request"},
            {"FunctionARN": resp_arn, "EventType": "viewer-response"}]}
        d = self.create(behavior=behavior)
        host = d["DomainName"]

        st, _, body = self.get(host, "/show", {"X-Amz-Cf-Id": "viewer", "X-Real-IP": "6.6.6.6", "X-Edge-Foo": "1",
                                               "CloudFront-Viewer-Country": "FR", "X-Custom": "kept"})
        self.assertEqual(st, 200, body)
        self.assertIn(b"x-custom", body)
        for hidden in (b"x-amz-cf-id", b"x-real-ip", b"x-edge-foo", b"cloudfront-viewer-country"):
            self.assertNotIn(hidden, body)
        st, h, body = self.get(host, "/page")
        self.assertEqual(st, 200, body)
        self.assertNotIn("x-cache", h["x-seen"].split(","))
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        for path in ("/host", "/cfid", "/space", "/frag", "/long", "/forge"):
            st, h, _ = self.get(host, path)
            self.assertEqual((st, h["x-cache"]), (502, "FunctionValidationError from cloudfront"), path)
        self.assertEqual(self.origin.count("/host") + self.origin.count("/space") + self.origin.count("/" + "a" * 9000), 0)
        st, _, body = self.get(host, "/utf")
        self.assertEqual(st, 200, body)
        self.assertIn(b"/utf?q=%C3%A9", body)

    def test_cli_flow_through_the_edge(self):
        """aws cloudfront create-function, test-function and publish-function, then traffic through the edge:
        the LIVE code rewrites URIs and sends /b/* to the second origin; a failing function is counted by its
        result type in /metrics."""
        second = Origin()
        self.addCleanup(second.close)
        name = fn_name("cliedge")
        code = os.path.join(self.server.tmp, name + ".js")
        with open(code, "wb") as f:
            f.write(ROUTER)
        event = os.path.join(self.server.tmp, name + "-event.json")
        with open(event, "w") as f:
            json.dump(dict(EVENT, request=dict(EVENT["request"], uri="/b/")), f)
        created = self.server.aws("cloudfront", "create-function", "--name", name,
                                  "--function-config", "Comment=router,Runtime=cloudfront-js-2.0",
                                  "--function-code", "fileb://" + code)
        tr = self.server.aws("cloudfront", "test-function", "--name", name, "--if-match", created["ETag"],
                             "--event-object", "fileb://" + event)["TestResult"]
        self.assertEqual(json.loads(tr["FunctionOutput"])["request"]["uri"], "/b/index.html")
        self.assertEqual(tr.get("FunctionErrorMessage", ""), "")
        pub = self.server.aws("cloudfront", "publish-function", "--name", name, "--if-match", created["ETag"])
        arn = pub["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]

        behavior = legacy_behavior("web")
        behavior["FunctionAssociations"] = {"Quantity": 1, "Items": [{"FunctionARN": arn, "EventType": "viewer-request"}]}
        d = self.create(behavior=behavior, origins=[origin_for(self.origin), origin_for(second, "second")])
        st, h, body = self.get(d["DomainName"], "/a/")
        self.assertEqual((st, h["x-cache"]), (200, "Miss from cloudfront"), body)
        self.assertTrue(body.startswith(b"/a/index.html "), body)
        st, h, body = self.get(d["DomainName"], "/b/")
        self.assertEqual(st, 200, body)
        self.assertTrue(body.startswith(b"/b/index.html "), body)
        self.assertEqual((second.count("/b/index.html"), self.origin.count("/b/index.html")), (1, 0))
        st, h, body = self.get(d["DomainName"], "/b/index.html")
        self.assertEqual(h["x-cache"], "Hit from cloudfront")

        # A new version that throws: published through the CLI, counted by its result type.
        with open(code, "wb") as f:
            f.write(b"function handler(event) { throw new Error('broken'); }")
        dev = self.server.aws("cloudfront", "describe-function", "--name", name)["ETag"]
        up = self.server.aws("cloudfront", "update-function", "--name", name, "--if-match", dev,
                             "--function-config", "Comment=broken,Runtime=cloudfront-js-2.0",
                             "--function-code", "fileb://" + code)
        self.server.aws("cloudfront", "publish-function", "--name", name, "--if-match", up["ETag"])
        published = time.monotonic()
        while True:
            st, h, body = self.get(d["DomainName"], "/a/")
            if st == 503:
                break
            self.assertLess(time.monotonic() - published, 1.0, "the edge still runs the old code a second after the publish")
            time.sleep(0.02)
        self.assertEqual(h["x-cache"], "FunctionExecutionError from cloudfront")
        r = self.server.raw("GET", "/metrics", sign=False)
        self.assertEqual(r.status, 200)
        self.assertRegex(r.body.decode(), r'openfront_edge_requests_total\{result="FunctionExecutionError"\} [1-9]')
        # Per function and distribution: its runs, and the failure by type.
        labels = r'distribution_id="%s",function="%s",node="[^"]+"' % (d["Id"], name)
        self.assertRegex(r.body.decode(), r'openfront_function_invocations_total\{%s\} [4-9]' % labels)
        self.assertRegex(r.body.decode(),
                         r'openfront_function_errors_total\{%s,type="FunctionExecutionError"\} [1-9]' % labels)
        self.assertRegex(r.body.decode(), r'openfront_function_compute_utilization_count\{%s\} [4-9]' % labels)
