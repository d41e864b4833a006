"""Cache policies and origin request policies (2020-05-31): CRUD, managed
policies, listing by Type, the distributions that reference them, and what
the edge does with a custom policy over real HTTP to a counting origin."""

import http.client
import json
import os
import re
import time
import unittest
import uuid

from botocore.exceptions import ClientError

from harness import (DEPLOY_TIMEOUT, MANAGED_CACHING_OPTIMIZED, NS, V2016, V2020, Server, ServerTestCase, dist_config,
                     new_ref, policy_behavior, serialize_body, wait_deployed)
from test_edge import EdgeTestCase, Origin, origin_for

POLICY_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NO_SUCH_POLICY = "00000000-0000-4000-8000-000000000000"
MANAGED_CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
MANAGED_ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
MANAGED_CORS_S3_ORIGIN = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf"


# --------------------------------------------------------------------------
# config builders
# --------------------------------------------------------------------------

def _names(items):
    return {"Quantity": len(items), "Items": list(items)}


def _selection(kind, plural, sel):
    """kind 'Header'/'Cookie'/'QueryString'; sel is (behavior, names)."""
    behavior, items = sel
    out = {"%sBehavior" % kind: behavior}
    if items:
        out[plural] = _names(items)
    return out


def cp_config(name=None, min_ttl=0, default_ttl=3600, max_ttl=86400, headers=("none", ()), cookies=("none", ()),
              query=("none", ()), gzip=True, brotli=True, comment="e2e cache policy"):
    """A complete CachePolicyConfig; headers/cookies/query are (behavior, names)."""
    return {
        "Name": name or new_ref("cp"),
        "Comment": comment,
        "MinTTL": min_ttl,
        "DefaultTTL": default_ttl,
        "MaxTTL": max_ttl,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": gzip,
            "EnableAcceptEncodingBrotli": brotli,
            "HeadersConfig": _selection("Header", "Headers", headers),
            "CookiesConfig": _selection("Cookie", "Cookies", cookies),
            "QueryStringsConfig": _selection("QueryString", "QueryStrings", query),
        },
    }


def orp_config(name=None, headers=("none", ()), cookies=("none", ()), query=("none", ()),
               comment="e2e origin request policy"):
    return {
        "Name": name or new_ref("orp"),
        "Comment": comment,
        "HeadersConfig": _selection("Header", "Headers", headers),
        "CookiesConfig": _selection("Cookie", "Cookies", cookies),
        "QueryStringsConfig": _selection("QueryString", "QueryStrings", query),
    }


def norm(v):
    """A config with empty {Quantity: 0} lists dropped (sent or echoed, they mean the same)."""
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items() if x != {"Quantity": 0}}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v


def params(cfg):
    return cfg["ParametersInCacheKeyAndForwardedToOrigin"]


# --------------------------------------------------------------------------
# base
# --------------------------------------------------------------------------

class PolicyHelpers:
    """Create/delete helpers that also register a best-effort cleanup (the
    account has a quota of custom policies, so a failed test must not leak)."""

    def create_cp(self, cfg=None, **kw):
        r = self.cf.create_cache_policy(CachePolicyConfig=cfg or cp_config(**kw))
        self.addCleanup(self._quietly_delete, self.cf.get_cache_policy, self.cf.delete_cache_policy,
                        r["CachePolicy"]["Id"])
        return r

    def create_orp(self, cfg=None, **kw):
        r = self.cf.create_origin_request_policy(OriginRequestPolicyConfig=cfg or orp_config(**kw))
        self.addCleanup(self._quietly_delete, self.cf.get_origin_request_policy,
                        self.cf.delete_origin_request_policy, r["OriginRequestPolicy"]["Id"])
        return r

    def delete_cp(self, pid):
        return self.cf.delete_cache_policy(Id=pid, IfMatch=self.cf.get_cache_policy(Id=pid)["ETag"])

    def delete_orp(self, pid):
        return self.cf.delete_origin_request_policy(Id=pid, IfMatch=self.cf.get_origin_request_policy(Id=pid)["ETag"])

    def create_dist_cleaned(self, cfg):
        r = self.cf.create_distribution(DistributionConfig=cfg)
        self.addCleanup(self._quietly_delete_dist, r["Distribution"]["Id"])
        return r

    @staticmethod
    def _quietly_delete(get, delete, pid):
        try:
            delete(Id=pid, IfMatch=get(Id=pid)["ETag"])
        except ClientError:
            pass

    def _quietly_delete_dist(self, did):
        try:
            self.delete_dist(did)
        except (ClientError, AssertionError):
            pass

    def walk(self, fn, key, **kw):
        """All pages of a policy list at MaxItems=2; checks the paging members on the way."""
        pages, marker = [], None
        while True:
            args = dict(kw, MaxItems="2")
            if marker is not None:
                args["Marker"] = marker
            lst = fn(**args)[key]
            self.assertEqual(lst["MaxItems"], 2)
            self.assertEqual(lst["Quantity"], len(lst.get("Items", [])))
            self.assertLessEqual(lst["Quantity"], 2)
            pages.append(lst)
            marker = lst.get("NextMarker")
            if not marker:
                break
            self.assertEqual(lst["Quantity"], 2, "a page with a NextMarker must be full")
            self.assertLess(len(pages), 100, "pagination does not end")
        return pages


class PolicyTestCase(PolicyHelpers, ServerTestCase):
    pass


# --------------------------------------------------------------------------
# cache policies
# --------------------------------------------------------------------------

class TestCachePolicies(PolicyTestCase):

    def test_lifecycle(self):
        cfg = cp_config(comment="first", query=("whitelist", ["v"]), headers=("whitelist", ["X-Device"]))
        r = self.cf.create_cache_policy(CachePolicyConfig=cfg)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        cp, etag0 = r["CachePolicy"], r["ETag"]
        pid = cp["Id"]
        self.addCleanup(self._quietly_delete, self.cf.get_cache_policy, self.cf.delete_cache_policy, pid)
        self.assertRegex(pid, POLICY_ID_RE)
        self.assertTrue(etag0)
        self.assertTrue(r["Location"].endswith("/2020-05-31/cache-policy/" + pid), r["Location"])
        self.assertIn("LastModifiedTime", cp)
        self.assertEqual(norm(cp["CachePolicyConfig"]), norm(cfg))

        g = self.cf.get_cache_policy(Id=pid)
        self.assertEqual(g["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual((g["ETag"], g["CachePolicy"]["Id"], norm(g["CachePolicy"]["CachePolicyConfig"])),
                         (etag0, pid, norm(cfg)))
        gc = self.cf.get_cache_policy_config(Id=pid)
        self.assertEqual((gc["ETag"], norm(gc["CachePolicyConfig"])), (etag0, norm(cfg)))

        # UpdateCachePolicy is PUT /cache-policy/{Id} (no /config) and replaces the whole config.
        new_cfg = cp_config(name=cfg["Name"], comment="second", min_ttl=5, default_ttl=50, max_ttl=500,
                            query=("all", ()), cookies=("whitelist", ["session"]), gzip=False, brotli=False)
        u = self.cf.update_cache_policy(Id=pid, IfMatch=etag0, CachePolicyConfig=new_cfg)
        self.assertEqual(u["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertNotEqual(u["ETag"], etag0)
        self.assertEqual(u["CachePolicy"]["Id"], pid)
        self.assertEqual(norm(u["CachePolicy"]["CachePolicyConfig"]), norm(new_cfg))
        self.assertGreaterEqual(u["CachePolicy"]["LastModifiedTime"], cp["LastModifiedTime"])
        g = self.cf.get_cache_policy(Id=pid)
        self.assertEqual((g["ETag"], norm(g["CachePolicy"]["CachePolicyConfig"])), (u["ETag"], norm(new_cfg)))
        self.assertEqual(self.cf.get_cache_policy_config(Id=pid)["ETag"], u["ETag"])

        # A rename to a fresh name is fine.
        renamed = dict(new_cfg, Name=new_ref("cp-renamed"))
        u2 = self.cf.update_cache_policy(Id=pid, IfMatch=u["ETag"], CachePolicyConfig=renamed)
        self.assertEqual(u2["CachePolicy"]["CachePolicyConfig"]["Name"], renamed["Name"])

        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.update_cache_policy, Id=pid,
                               CachePolicyConfig=renamed)
        self.assertClientError("PreconditionFailed", 412, self.cf.update_cache_policy, Id=pid, IfMatch=etag0,
                               CachePolicyConfig=renamed)
        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.delete_cache_policy, Id=pid)
        self.assertClientError("PreconditionFailed", 412, self.cf.delete_cache_policy, Id=pid, IfMatch=u["ETag"])
        self.assertEqual(self.cf.get_cache_policy(Id=pid)["ETag"], u2["ETag"], "refused calls changed the policy")
        d = self.cf.delete_cache_policy(Id=pid, IfMatch=u2["ETag"])
        self.assertEqual(d["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.get_cache_policy, Id=pid)
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.get_cache_policy_config, Id=pid)
        self.assertNotIn(pid, [s["CachePolicy"]["Id"] for s in
                               self.cf.list_cache_policies()["CachePolicyList"].get("Items", [])])
        # The name is free again.
        again = self.create_cp(cfg=renamed)
        self.assertNotEqual(again["CachePolicy"]["Id"], pid)

    def test_already_exists(self):
        a = self.create_cp()
        b = self.create_cp()
        name_a = a["CachePolicy"]["CachePolicyConfig"]["Name"]
        self.assertClientError("CachePolicyAlreadyExists", 409, self.cf.create_cache_policy,
                               CachePolicyConfig=cp_config(name=name_a))
        # Even the identical config: cache policies have no CallerReference to make a retry safe.
        self.assertClientError("CachePolicyAlreadyExists", 409, self.cf.create_cache_policy,
                               CachePolicyConfig=a["CachePolicy"]["CachePolicyConfig"])
        self.assertClientError("CachePolicyAlreadyExists", 409, self.cf.update_cache_policy,
                               Id=b["CachePolicy"]["Id"], IfMatch=b["ETag"], CachePolicyConfig=cp_config(name=name_a))
        self.assertEqual(self.cf.get_cache_policy(Id=b["CachePolicy"]["Id"])["ETag"], b["ETag"])
        # Updating a policy keeping its own name is not a conflict.
        u = self.cf.update_cache_policy(Id=a["CachePolicy"]["Id"], IfMatch=a["ETag"],
                                        CachePolicyConfig=cp_config(name=name_a, comment="same name"))
        self.assertEqual(u["CachePolicy"]["CachePolicyConfig"]["Comment"], "same name")
        # A rename frees the old name and claims the new one.
        new_name = new_ref("cp-renamed")
        self.cf.update_cache_policy(Id=a["CachePolicy"]["Id"], IfMatch=u["ETag"],
                                    CachePolicyConfig=cp_config(name=new_name))
        self.assertClientError("CachePolicyAlreadyExists", 409, self.cf.create_cache_policy,
                               CachePolicyConfig=cp_config(name=new_name))
        c = self.create_cp(name=name_a)
        self.assertEqual(c["CachePolicy"]["CachePolicyConfig"]["Name"], name_a)

    def test_validation(self):
        eleven = ["n%d" % i for i in range(11)]
        cases = {
            "MinTTL > DefaultTTL": ("InvalidArgument", cp_config(min_ttl=100, default_ttl=10, max_ttl=1000)),
            "DefaultTTL > MaxTTL": ("InvalidArgument", cp_config(min_ttl=0, default_ttl=1000, max_ttl=100)),
            "MinTTL > MaxTTL": ("InvalidArgument", cp_config(min_ttl=500, default_ttl=500, max_ttl=100)),
            "11 headers": ("TooManyHeadersInCachePolicy",
                           cp_config(headers=("whitelist", ["X-H%d" % i for i in range(11)]))),
            "11 cookies": ("TooManyCookiesInCachePolicy", cp_config(cookies=("whitelist", eleven))),
            "11 cookies allExcept": ("TooManyCookiesInCachePolicy", cp_config(cookies=("allExcept", eleven))),
            "11 query strings": ("TooManyQueryStringsInCachePolicy", cp_config(query=("whitelist", eleven))),
            "header behavior not in enum": ("InvalidArgument", cp_config(headers=("allViewer", ()))),
            "query behavior not in enum": ("InvalidArgument", cp_config(query=("sometimes", ()))),
            # ParametersInCacheKeyAndForwardedToOrigin: Accept-Encoding is a
            # header like any other only while both flags are false.
            "Accept-Encoding with gzip on": ("InvalidArgument",
                                             cp_config(headers=("whitelist", ["Accept-Encoding"]), gzip=True,
                                                       brotli=False)),
        }
        for label, (code, cfg) in cases.items():
            with self.subTest(case=label):
                self.assertClientError(code, 400, self.cf.create_cache_policy, CachePolicyConfig=cfg)

        inconsistent = cp_config(headers=("whitelist", ["X-A"]))
        params(inconsistent)["HeadersConfig"]["Headers"]["Quantity"] = 2
        with self.subTest(case="Quantity 2, one header"):
            self.assertClientError("InconsistentQuantities", 400, self.cf.create_cache_policy,
                                   CachePolicyConfig=inconsistent)
        inconsistent = cp_config(query=("whitelist", ["a", "b"]))
        params(inconsistent)["QueryStringsConfig"]["QueryStrings"]["Quantity"] = 1
        with self.subTest(case="Quantity 1, two query strings"):
            self.assertClientError("InconsistentQuantities", 400, self.cf.create_cache_policy,
                                   CachePolicyConfig=inconsistent)

        # Ten of each is the limit, not over it; equal TTLs are in order.
        ok = self.create_cp(headers=("whitelist", ["X-H%d" % i for i in range(10)]),
                            cookies=("whitelist", eleven[:10]), query=("whitelist", eleven[:10]),
                            min_ttl=60, default_ttl=60, max_ttl=60)
        self.assertEqual(ok["ResponseMetadata"]["HTTPStatusCode"], 201)
        pid, etag = ok["CachePolicy"]["Id"], ok["ETag"]
        cfg = ok["CachePolicy"]["CachePolicyConfig"]

        # The same rules on update; a refused update leaves the policy as it was.
        for label, code, bad in (
                ("TTL order", "InvalidArgument", dict(cfg, MinTTL=61)),
                ("11 headers", "TooManyHeadersInCachePolicy",
                 cp_config(name=cfg["Name"], headers=("whitelist", ["X-H%d" % i for i in range(11)]))),
                ("11 query strings", "TooManyQueryStringsInCachePolicy",
                 cp_config(name=cfg["Name"], query=("whitelist", eleven)))):
            with self.subTest(update=label):
                self.assertClientError(code, 400, self.cf.update_cache_policy, Id=pid, IfMatch=etag,
                                       CachePolicyConfig=bad)
        self.assertEqual(self.cf.get_cache_policy(Id=pid)["ETag"], etag, "refused updates changed the policy")

    def test_unknown(self):
        pid = NO_SUCH_POLICY
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.get_cache_policy, Id=pid)
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.get_cache_policy_config, Id=pid)
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.update_cache_policy, Id=pid, IfMatch="E1",
                               CachePolicyConfig=cp_config())
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.delete_cache_policy, Id=pid, IfMatch="E1")

    def test_managed(self):
        g = self.cf.get_cache_policy(Id=MANAGED_CACHING_OPTIMIZED)
        cp, etag = g["CachePolicy"], g["ETag"]
        self.assertTrue(etag)
        self.assertEqual(cp["Id"], MANAGED_CACHING_OPTIMIZED)
        cfg = cp["CachePolicyConfig"]
        self.assertEqual((cfg["Name"], cfg["MinTTL"], cfg.get("DefaultTTL"), cfg.get("MaxTTL")),
                         ("Managed-CachingOptimized", 1, 86400, 31536000))
        p = params(cfg)
        self.assertEqual((p["HeadersConfig"]["HeaderBehavior"], p["CookiesConfig"]["CookieBehavior"],
                          p["QueryStringsConfig"]["QueryStringBehavior"]), ("none", "none", "none"))
        self.assertTrue(p["EnableAcceptEncodingGzip"])
        gc = self.cf.get_cache_policy_config(Id=MANAGED_CACHING_OPTIMIZED)
        self.assertEqual((gc["ETag"], gc["CachePolicyConfig"]), (etag, cfg))

        disabled = self.cf.get_cache_policy(Id=MANAGED_CACHING_DISABLED)["CachePolicy"]["CachePolicyConfig"]
        self.assertEqual((disabled["Name"], disabled["MinTTL"], disabled.get("MaxTTL")),
                         ("Managed-CachingDisabled", 0, 0))

        changed = dict(cfg, Comment="mine now")
        self.assertClientError("IllegalUpdate", 400, self.cf.update_cache_policy, Id=MANAGED_CACHING_OPTIMIZED,
                               IfMatch=etag, CachePolicyConfig=changed)
        self.assertClientError("IllegalDelete", 400, self.cf.delete_cache_policy, Id=MANAGED_CACHING_OPTIMIZED,
                               IfMatch=etag)
        g2 = self.cf.get_cache_policy(Id=MANAGED_CACHING_OPTIMIZED)
        self.assertEqual((g2["ETag"], g2["CachePolicy"]["CachePolicyConfig"]), (etag, cfg))

    def test_list_by_type(self):
        mine = [self.create_cp()["CachePolicy"]["Id"] for _ in range(2)]

        managed = self.cf.list_cache_policies(Type="managed")["CachePolicyList"]
        self.assertEqual(managed["Quantity"], len(managed.get("Items", [])))
        self.assertEqual({s["Type"] for s in managed["Items"]}, {"managed"})
        by_id = {s["CachePolicy"]["Id"]: s["CachePolicy"] for s in managed["Items"]}
        self.assertIn(MANAGED_CACHING_OPTIMIZED, by_id)
        self.assertIn(MANAGED_CACHING_DISABLED, by_id)
        opt = by_id[MANAGED_CACHING_OPTIMIZED]["CachePolicyConfig"]
        self.assertEqual((opt["Name"], opt["MinTTL"], opt.get("DefaultTTL"), opt.get("MaxTTL")),
                         ("Managed-CachingOptimized", 1, 86400, 31536000))
        self.assertFalse(set(mine) & set(by_id), "custom policies listed as managed")

        custom = self.cf.list_cache_policies(Type="custom")["CachePolicyList"]
        self.assertEqual(custom["Quantity"], len(custom.get("Items", [])))
        self.assertEqual({s["Type"] for s in custom["Items"]}, {"custom"})
        custom_ids = [s["CachePolicy"]["Id"] for s in custom["Items"]]
        self.assertTrue(set(mine) <= set(custom_ids), custom_ids)
        self.assertFalse(set(custom_ids) & set(by_id), "managed policies listed as custom")
        for s in custom["Items"]:
            if s["CachePolicy"]["Id"] in mine:
                self.assertIn("LastModifiedTime", s["CachePolicy"])
                self.assertTrue(s["CachePolicy"]["CachePolicyConfig"]["Name"].startswith("cp-"))

        both = self.cf.list_cache_policies()["CachePolicyList"]
        types = {s["CachePolicy"]["Id"]: s["Type"] for s in both["Items"]}
        for pid in mine:
            self.assertEqual(types.get(pid), "custom")
        for pid in by_id:
            self.assertEqual(types.get(pid), "managed")
        self.assertEqual(both["Quantity"], len(by_id) + len(custom_ids))

        self.assertClientError("InvalidArgument", 400, self.cf.list_cache_policies, Type="other")

    def test_pagination(self):
        mine = [self.create_cp()["CachePolicy"]["Id"] for _ in range(3)]
        for typ in ("custom", "managed", None):
            with self.subTest(Type=typ):
                kw = {"Type": typ} if typ else {}
                pages = self.walk(self.cf.list_cache_policies, "CachePolicyList", **kw)
                ids = [s["CachePolicy"]["Id"] for p in pages for s in p.get("Items", [])]
                self.assertEqual(len(ids), len(set(ids)), "duplicates across pages: %s" % ids)
                full = [s["CachePolicy"]["Id"] for s in
                        self.cf.list_cache_policies(**kw)["CachePolicyList"].get("Items", [])]
                self.assertEqual(ids, full, "paged order must equal unpaged order")
                self.assertGreaterEqual(len(pages), 2)
                self.assertIn("NextMarker", pages[0])
                self.assertNotIn("NextMarker", pages[-1])
                if typ != "managed":
                    self.assertTrue(set(mine) <= set(ids))
                if typ != "custom":
                    self.assertIn(MANAGED_CACHING_OPTIMIZED, ids)
        for bad in ("abc", "-1"):
            with self.subTest(max_items=bad):
                self.assertClientError("InvalidArgument", 400, self.cf.list_cache_policies, MaxItems=bad)

    def test_not_in_2016(self):
        r = self.server.raw("GET", "/%s/cache-policy" % V2016)
        self.assertRawError(r, "InvalidURI", 400, V2016)
        r = self.server.raw("GET", "/%s/cache-policy" % V2020)
        self.assertEqual(r.status, 200, r.body[:600])

    def _raw(self, method, path, body, **headers):
        return self.server.raw(method, "/%s%s" % (V2020, path), body=body,
                               headers=dict({"Content-Type": "application/xml"}, **headers))

    def test_malformed_bodies(self):
        """botocore checks required members itself, so these go as raw signed requests."""
        cfg = cp_config()
        body = serialize_body(self.cf, "CreateCachePolicy", {"CachePolicyConfig": cfg})
        name_el = ("<Name>%s</Name>" % cfg["Name"]).encode()
        self.assertEqual(body.count(name_el), 1, body)
        self.assertEqual(body.count(b"<MinTTL>0</MinTTL>"), 1, body)
        cases = {
            "no Name": ("InvalidArgument", body.replace(name_el, b"")),
            "no MinTTL": ("InvalidArgument", body.replace(b"<MinTTL>0</MinTTL>", b"")),
            "no HeadersConfig": ("InvalidArgument",
                                 re.sub(rb"<HeadersConfig>.*?</HeadersConfig>", b"", body)),
            "MinTTL not a number": ("InvalidArgument", body.replace(b"<MinTTL>0</MinTTL>", b"<MinTTL>soon</MinTTL>")),
            "truncated": ("MalformedXML", body[: len(body) // 2]),
            "not xml": ("MalformedXML", b"this is not xml at all"),
            "wrong root": ("MalformedXML", body.replace(b"CachePolicyConfig", b"OriginRequestPolicyConfig")),
            "empty": ("MissingBody", b""),
        }
        for label, (code, bad) in cases.items():
            with self.subTest(op="create", case=label):
                r = self._raw("POST", "/cache-policy", bad)
                self.assertRawError(r, code, 400, V2020)

        created = self.create_cp()
        pid, etag = created["CachePolicy"]["Id"], created["ETag"]
        for label in ("no Name", "no MinTTL", "truncated", "empty"):
            with self.subTest(op="update", case=label):
                r = self._raw("PUT", "/cache-policy/" + pid, cases[label][1], **{"If-Match": etag})
                self.assertRawError(r, cases[label][0], 400, V2020)
        self.assertEqual(self.cf.get_cache_policy(Id=pid)["ETag"], etag)

        # Without a namespace the body is still accepted (as for distributions).
        ok = serialize_body(self.cf, "CreateCachePolicy", {"CachePolicyConfig": cp_config()})
        ok = ok.replace(b' xmlns="%s"' % NS[V2020].encode(), b"")
        r = self._raw("POST", "/cache-policy", ok)
        self.assertEqual(r.status, 201, r.body[:600])
        self.assertEqual(r.xml().tag, "{%s}CachePolicy" % NS[V2020])
        self.assertTrue(r.headers.get("etag"))
        self.assertTrue(r.headers.get("location"))
        new_id = r.xml().find("{%s}Id" % NS[V2020]).text
        self.delete_cp(new_id)

    def test_aws_cli(self):
        path = os.path.join(self.server.tmp, "cp-%s.json" % new_ref())
        cfg = cp_config(comment="from the cli", query=("whitelist", ["v"]))
        with open(path, "w") as f:
            json.dump(cfg, f)
        out = self.server.aws("cloudfront", "create-cache-policy", "--cache-policy-config", "file://" + path)
        pid = out["CachePolicy"]["Id"]
        self.addCleanup(self._quietly_delete, self.cf.get_cache_policy, self.cf.delete_cache_policy, pid)
        self.assertRegex(pid, POLICY_ID_RE)
        self.assertTrue(out.get("ETag"))
        self.assertTrue(out.get("Location", "").endswith("/cache-policy/" + pid))
        self.assertEqual(norm(out["CachePolicy"]["CachePolicyConfig"]), norm(cfg))

        got = self.server.aws("cloudfront", "get-cache-policy-config", "--id", pid)
        self.assertEqual((got["ETag"], norm(got["CachePolicyConfig"])), (out["ETag"], norm(cfg)))
        lst = self.server.aws("cloudfront", "list-cache-policies", "--type", "custom")
        self.assertIn(pid, [s["CachePolicy"]["Id"] for s in lst["CachePolicyList"]["Items"]])
        lst = self.server.aws("cloudfront", "list-cache-policies", "--type", "managed")
        self.assertIn("Managed-CachingOptimized",
                      [s["CachePolicy"]["CachePolicyConfig"]["Name"] for s in lst["CachePolicyList"]["Items"]])

        with open(path, "w") as f:
            json.dump(dict(cfg, Comment="updated by the cli"), f)
        up = self.server.aws("cloudfront", "update-cache-policy", "--id", pid, "--if-match", out["ETag"],
                             "--cache-policy-config", "file://" + path)
        self.assertEqual(up["CachePolicy"]["CachePolicyConfig"]["Comment"], "updated by the cli")
        self.assertNotEqual(up["ETag"], out["ETag"])

        p = self.server.aws_run("cloudfront", "create-cache-policy", "--cache-policy-config", "file://" + path)
        self.assertIn(p.returncode, (254, 255))
        self.assertIn("CachePolicyAlreadyExists", p.stderr)
        p = self.server.aws_run("cloudfront", "get-cache-policy", "--id", NO_SUCH_POLICY)
        self.assertIn(p.returncode, (254, 255))
        self.assertIn("NoSuchCachePolicy", p.stderr)

        self.server.aws("cloudfront", "delete-cache-policy", "--id", pid, "--if-match", up["ETag"])
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.get_cache_policy, Id=pid)


# --------------------------------------------------------------------------
# origin request policies
# --------------------------------------------------------------------------

class TestOriginRequestPolicies(PolicyTestCase):

    def test_lifecycle(self):
        cfg = orp_config(comment="first", headers=("whitelist", ["X-Trace"]), query=("whitelist", ["track"]),
                         cookies=("all", ()))
        r = self.cf.create_origin_request_policy(OriginRequestPolicyConfig=cfg)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        orp, etag0 = r["OriginRequestPolicy"], r["ETag"]
        pid = orp["Id"]
        self.addCleanup(self._quietly_delete, self.cf.get_origin_request_policy,
                        self.cf.delete_origin_request_policy, pid)
        self.assertRegex(pid, POLICY_ID_RE)
        self.assertTrue(etag0)
        self.assertTrue(r["Location"].endswith("/2020-05-31/origin-request-policy/" + pid), r["Location"])
        self.assertIn("LastModifiedTime", orp)
        self.assertEqual(norm(orp["OriginRequestPolicyConfig"]), norm(cfg))

        g = self.cf.get_origin_request_policy(Id=pid)
        self.assertEqual((g["ETag"], g["OriginRequestPolicy"]["Id"], norm(g["OriginRequestPolicy"]["OriginRequestPolicyConfig"])),
                         (etag0, pid, norm(cfg)))
        gc = self.cf.get_origin_request_policy_config(Id=pid)
        self.assertEqual((gc["ETag"], norm(gc["OriginRequestPolicyConfig"])), (etag0, norm(cfg)))

        new_cfg = orp_config(name=cfg["Name"], comment="second", headers=("allViewer", ()),
                             cookies=("whitelist", ["session"]), query=("allExcept", ["secret"]))
        u = self.cf.update_origin_request_policy(Id=pid, IfMatch=etag0, OriginRequestPolicyConfig=new_cfg)
        self.assertEqual(u["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertNotEqual(u["ETag"], etag0)
        self.assertEqual(norm(u["OriginRequestPolicy"]["OriginRequestPolicyConfig"]), norm(new_cfg))
        g = self.cf.get_origin_request_policy(Id=pid)
        self.assertEqual((g["ETag"], norm(g["OriginRequestPolicy"]["OriginRequestPolicyConfig"])),
                         (u["ETag"], norm(new_cfg)))

        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.update_origin_request_policy, Id=pid,
                               OriginRequestPolicyConfig=new_cfg)
        self.assertClientError("PreconditionFailed", 412, self.cf.update_origin_request_policy, Id=pid,
                               IfMatch=etag0, OriginRequestPolicyConfig=new_cfg)
        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.delete_origin_request_policy, Id=pid)
        self.assertClientError("PreconditionFailed", 412, self.cf.delete_origin_request_policy, Id=pid, IfMatch=etag0)
        d = self.cf.delete_origin_request_policy(Id=pid, IfMatch=u["ETag"])
        self.assertEqual(d["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertClientError("NoSuchOriginRequestPolicy", 404, self.cf.get_origin_request_policy, Id=pid)
        self.assertClientError("NoSuchOriginRequestPolicy", 404, self.cf.get_origin_request_policy_config, Id=pid)

    def test_already_exists(self):
        a = self.create_orp()
        b = self.create_orp()
        name_a = a["OriginRequestPolicy"]["OriginRequestPolicyConfig"]["Name"]
        self.assertClientError("OriginRequestPolicyAlreadyExists", 409, self.cf.create_origin_request_policy,
                               OriginRequestPolicyConfig=orp_config(name=name_a))
        self.assertClientError("OriginRequestPolicyAlreadyExists", 409, self.cf.update_origin_request_policy,
                               Id=b["OriginRequestPolicy"]["Id"], IfMatch=b["ETag"],
                               OriginRequestPolicyConfig=orp_config(name=name_a))
        # A cache policy and an origin request policy may share a name (separate namespaces).
        self.create_cp(name=name_a)
        # Deleting a policy frees its name.
        self.delete_orp(a["OriginRequestPolicy"]["Id"])
        c = self.create_orp(name=name_a)
        self.assertNotEqual(c["OriginRequestPolicy"]["Id"], a["OriginRequestPolicy"]["Id"])

    def test_validation(self):
        eleven = ["n%d" % i for i in range(11)]
        cases = {
            "11 headers": ("TooManyHeadersInOriginRequestPolicy",
                           orp_config(headers=("whitelist", ["X-H%d" % i for i in range(11)]))),
            "11 cookies": ("TooManyCookiesInOriginRequestPolicy", orp_config(cookies=("whitelist", eleven))),
            "11 query strings": ("TooManyQueryStringsInOriginRequestPolicy",
                                 orp_config(query=("whitelist", eleven))),
            "header behavior not in enum": ("InvalidArgument", orp_config(headers=("everything", ()))),
            # Knowledge Center "How do I configure CloudFront to forward the
            # Authorization header to the origin?": a cache policy's job.
            "whitelist Authorization": ("InvalidArgument", orp_config(headers=("whitelist", ["Authorization"]))),
            "whitelist accept-encoding": ("InvalidArgument",
                                          orp_config(headers=("whitelist", ["X-Trace", "accept-encoding"]))),
        }
        for label, (code, cfg) in cases.items():
            with self.subTest(case=label):
                self.assertClientError(code, 400, self.cf.create_origin_request_policy,
                                       OriginRequestPolicyConfig=cfg)
        # Host may be forwarded (the managed HostHeaderOnly policy does),
        # and Accept-Encoding may key a cache policy that does not compress.
        self.create_orp(headers=("whitelist", ["Host"]))
        self.create_cp(headers=("whitelist", ["Accept-Encoding", "Authorization"]), gzip=False, brotli=False)
        ok = self.create_orp(headers=("whitelist", ["X-Trace"]))
        pid, etag = ok["OriginRequestPolicy"]["Id"], ok["ETag"]
        self.assertClientError("InvalidArgument", 400, self.cf.update_origin_request_policy, Id=pid, IfMatch=etag,
                               OriginRequestPolicyConfig=orp_config(
                                   name=ok["OriginRequestPolicy"]["OriginRequestPolicyConfig"]["Name"],
                                   headers=("whitelist", ["Authorization"])))
        got = self.cf.get_origin_request_policy(Id=pid)
        self.assertEqual(got["ETag"], etag, "a refused update changed the policy")
        self.assertEqual(got["OriginRequestPolicy"]["OriginRequestPolicyConfig"]["HeadersConfig"]["Headers"]["Items"],
                         ["X-Trace"])

        inconsistent = orp_config(cookies=("whitelist", ["a"]))
        inconsistent["CookiesConfig"]["Cookies"]["Quantity"] = 3
        self.assertClientError("InconsistentQuantities", 400, self.cf.create_origin_request_policy,
                               OriginRequestPolicyConfig=inconsistent)

        cfg = orp_config()
        body = serialize_body(self.cf, "CreateOriginRequestPolicy", {"OriginRequestPolicyConfig": cfg})
        name_el = ("<Name>%s</Name>" % cfg["Name"]).encode()
        self.assertEqual(body.count(name_el), 1, body)
        for label, code, bad in (
                ("no Name", "InvalidArgument", body.replace(name_el, b"")),
                ("no QueryStringsConfig", "InvalidArgument",
                 re.sub(rb"<QueryStringsConfig>.*?</QueryStringsConfig>", b"", body)),
                ("truncated", "MalformedXML", body[: len(body) // 2])):
            with self.subTest(raw=label):
                r = self.server.raw("POST", "/%s/origin-request-policy" % V2020, body=bad,
                                    headers={"Content-Type": "application/xml"})
                self.assertRawError(r, code, 400, V2020)

    def test_unknown(self):
        pid = NO_SUCH_POLICY
        self.assertClientError("NoSuchOriginRequestPolicy", 404, self.cf.get_origin_request_policy, Id=pid)
        self.assertClientError("NoSuchOriginRequestPolicy", 404, self.cf.get_origin_request_policy_config, Id=pid)
        self.assertClientError("NoSuchOriginRequestPolicy", 404, self.cf.update_origin_request_policy, Id=pid,
                               IfMatch="E1", OriginRequestPolicyConfig=orp_config())
        self.assertClientError("NoSuchOriginRequestPolicy", 404, self.cf.delete_origin_request_policy, Id=pid,
                               IfMatch="E1")
        # The two kinds of policy do not share ids.
        self.assertClientError("NoSuchOriginRequestPolicy", 404, self.cf.get_origin_request_policy,
                               Id=MANAGED_CACHING_OPTIMIZED)
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.get_cache_policy, Id=MANAGED_ALL_VIEWER)

    def test_managed(self):
        g = self.cf.get_origin_request_policy(Id=MANAGED_ALL_VIEWER)
        orp, etag = g["OriginRequestPolicy"], g["ETag"]
        self.assertTrue(etag)
        self.assertEqual(orp["Id"], MANAGED_ALL_VIEWER)
        cfg = orp["OriginRequestPolicyConfig"]
        self.assertEqual((cfg["Name"], cfg["HeadersConfig"]["HeaderBehavior"], cfg["CookiesConfig"]["CookieBehavior"],
                          cfg["QueryStringsConfig"]["QueryStringBehavior"]),
                         ("Managed-AllViewer", "allViewer", "all", "all"))
        cors = self.cf.get_origin_request_policy_config(Id=MANAGED_CORS_S3_ORIGIN)["OriginRequestPolicyConfig"]
        self.assertEqual(cors["Name"], "Managed-CORS-S3Origin")
        self.assertEqual(cors["HeadersConfig"]["HeaderBehavior"], "whitelist")
        self.assertEqual(sorted(cors["HeadersConfig"]["Headers"]["Items"]),
                         sorted(["Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method"]))

        self.assertClientError("IllegalUpdate", 400, self.cf.update_origin_request_policy, Id=MANAGED_ALL_VIEWER,
                               IfMatch=etag, OriginRequestPolicyConfig=dict(cfg, Comment="mine now"))
        self.assertClientError("IllegalDelete", 400, self.cf.delete_origin_request_policy, Id=MANAGED_ALL_VIEWER,
                               IfMatch=etag)
        g2 = self.cf.get_origin_request_policy(Id=MANAGED_ALL_VIEWER)
        self.assertEqual((g2["ETag"], g2["OriginRequestPolicy"]["OriginRequestPolicyConfig"]), (etag, cfg))

    def test_list_by_type_and_pagination(self):
        mine = [self.create_orp()["OriginRequestPolicy"]["Id"] for _ in range(3)]
        managed = self.cf.list_origin_request_policies(Type="managed")["OriginRequestPolicyList"]
        self.assertEqual({s["Type"] for s in managed["Items"]}, {"managed"})
        managed_ids = {s["OriginRequestPolicy"]["Id"] for s in managed["Items"]}
        self.assertIn(MANAGED_ALL_VIEWER, managed_ids)
        self.assertFalse(set(mine) & managed_ids)
        custom = self.cf.list_origin_request_policies(Type="custom")["OriginRequestPolicyList"]
        self.assertEqual({s["Type"] for s in custom["Items"]}, {"custom"})
        custom_ids = {s["OriginRequestPolicy"]["Id"] for s in custom["Items"]}
        self.assertTrue(set(mine) <= custom_ids)
        self.assertFalse(custom_ids & managed_ids)
        both = self.cf.list_origin_request_policies()["OriginRequestPolicyList"]
        self.assertEqual({s["OriginRequestPolicy"]["Id"]: s["Type"] for s in both["Items"]},
                         dict({i: "managed" for i in managed_ids}, **{i: "custom" for i in custom_ids}))

        for typ in ("custom", None):
            with self.subTest(Type=typ):
                kw = {"Type": typ} if typ else {}
                pages = self.walk(self.cf.list_origin_request_policies, "OriginRequestPolicyList", **kw)
                ids = [s["OriginRequestPolicy"]["Id"] for p in pages for s in p.get("Items", [])]
                full = [s["OriginRequestPolicy"]["Id"] for s in
                        self.cf.list_origin_request_policies(**kw)["OriginRequestPolicyList"].get("Items", [])]
                self.assertEqual(ids, full, "paged order must equal unpaged order")
                self.assertEqual(len(ids), len(set(ids)))
                self.assertGreaterEqual(len(pages), 2)
                self.assertTrue(set(mine) <= set(ids))
        self.assertClientError("InvalidArgument", 400, self.cf.list_origin_request_policies, MaxItems="-1")

    def test_aws_cli(self):
        path = os.path.join(self.server.tmp, "orp-%s.json" % new_ref())
        cfg = orp_config(comment="from the cli", query=("whitelist", ["track"]))
        with open(path, "w") as f:
            json.dump(cfg, f)
        out = self.server.aws("cloudfront", "create-origin-request-policy",
                              "--origin-request-policy-config", "file://" + path)
        pid = out["OriginRequestPolicy"]["Id"]
        self.addCleanup(self._quietly_delete, self.cf.get_origin_request_policy,
                        self.cf.delete_origin_request_policy, pid)
        self.assertRegex(pid, POLICY_ID_RE)
        self.assertTrue(out.get("ETag"))
        lst = self.server.aws("cloudfront", "list-origin-request-policies", "--type", "managed")
        self.assertIn("Managed-AllViewer", [s["OriginRequestPolicy"]["OriginRequestPolicyConfig"]["Name"]
                                            for s in lst["OriginRequestPolicyList"]["Items"]])
        p = self.server.aws_run("cloudfront", "delete-origin-request-policy", "--id", MANAGED_ALL_VIEWER,
                                "--if-match", self.cf.get_origin_request_policy(Id=MANAGED_ALL_VIEWER)["ETag"])
        self.assertIn(p.returncode, (254, 255))
        self.assertIn("IllegalDelete", p.stderr)
        self.server.aws("cloudfront", "delete-origin-request-policy", "--id", pid, "--if-match", out["ETag"])
        self.assertClientError("NoSuchOriginRequestPolicy", 404, self.cf.get_origin_request_policy, Id=pid)


# --------------------------------------------------------------------------
# distributions referencing policies
# --------------------------------------------------------------------------

class TestPolicyReferences(PolicyTestCase):

    def test_distribution_uses_custom_cache_policy(self):
        pid = self.create_cp()["CachePolicy"]["Id"]
        # Created before the distribution so that the cleanups (last in, first out) delete it after.
        oid = self.create_orp(query=("whitelist", ["track"]))["OriginRequestPolicy"]["Id"]
        cfg = dist_config(V2020, behavior=policy_behavior("origin1", pid))
        r = self.create_dist_cleaned(cfg)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        did = r["Distribution"]["Id"]
        dcb = r["Distribution"]["DistributionConfig"]["DefaultCacheBehavior"]
        self.assertEqual(dcb["CachePolicyId"], pid)
        self.assertNotIn("ForwardedValues", dcb)
        g = self.cf.get_distribution_config(Id=did)
        self.assertEqual(g["DistributionConfig"]["DefaultCacheBehavior"]["CachePolicyId"], pid)
        wait_deployed(self.cf, did)

        # Unknown ids are refused on create and on update.
        bad = dist_config(V2020, behavior=policy_behavior("origin1", NO_SUCH_POLICY))
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.create_distribution, DistributionConfig=bad)
        b = policy_behavior("origin1")
        b["OriginRequestPolicyId"] = NO_SUCH_POLICY
        self.assertClientError("NoSuchOriginRequestPolicy", 404, self.cf.create_distribution,
                               DistributionConfig=dist_config(V2020, behavior=b))
        g = self.cf.get_distribution_config(Id=did)
        cfg2 = g["DistributionConfig"]
        cfg2["DefaultCacheBehavior"]["CachePolicyId"] = NO_SUCH_POLICY
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.update_distribution, Id=did, IfMatch=g["ETag"],
                               DistributionConfig=cfg2)
        self.assertEqual(self.cf.get_distribution_config(Id=did)["ETag"], g["ETag"])

        # A custom origin request policy can be added next to it.
        cfg2["DefaultCacheBehavior"]["CachePolicyId"] = pid
        cfg2["DefaultCacheBehavior"]["OriginRequestPolicyId"] = oid
        u = self.cf.update_distribution(Id=did, IfMatch=g["ETag"], DistributionConfig=cfg2)
        dcb = u["Distribution"]["DistributionConfig"]["DefaultCacheBehavior"]
        self.assertEqual((dcb["CachePolicyId"], dcb["OriginRequestPolicyId"]), (pid, oid))

        # A deleted policy cannot be referenced any more.
        other = self.create_cp()["CachePolicy"]["Id"]
        self.delete_cp(other)
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.create_distribution,
                               DistributionConfig=dist_config(V2020, behavior=policy_behavior("origin1", other)))

    def test_cache_policy_in_use(self):
        pid = self.create_cp()["CachePolicy"]["Id"]
        did = self.create_dist_cleaned(dist_config(V2020, behavior=policy_behavior("origin1", pid)))["Distribution"]["Id"]
        etag = self.cf.get_cache_policy(Id=pid)["ETag"]
        self.assertClientError("CachePolicyInUse", 409, self.cf.delete_cache_policy, Id=pid, IfMatch=etag)
        self.assertEqual(self.cf.get_cache_policy(Id=pid)["ETag"], etag)

        # An in-use policy can still be updated.
        cfg = self.cf.get_cache_policy_config(Id=pid)["CachePolicyConfig"]
        etag = self.cf.update_cache_policy(Id=pid, IfMatch=etag, CachePolicyConfig=dict(cfg, Comment="in use"))["ETag"]

        g = self.cf.get_distribution_config(Id=did)
        dcfg = g["DistributionConfig"]
        dcfg["DefaultCacheBehavior"]["CachePolicyId"] = MANAGED_CACHING_OPTIMIZED
        self.cf.update_distribution(Id=did, IfMatch=g["ETag"], DistributionConfig=dcfg)
        wait_deployed(self.cf, did)
        d = self.cf.delete_cache_policy(Id=pid, IfMatch=etag)
        self.assertEqual(d["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.get_cache_policy, Id=pid)
        self.assertEqual(self.cf.get_distribution_config(Id=did)["DistributionConfig"]["DefaultCacheBehavior"]
                         ["CachePolicyId"], MANAGED_CACHING_OPTIMIZED)

    def test_policies_in_use_by_a_cache_behavior(self):
        pid = self.create_cp()["CachePolicy"]["Id"]
        oid = self.create_orp()["OriginRequestPolicy"]["Id"]
        beh = policy_behavior("origin1", pid)
        beh["PathPattern"] = "/api/*"
        beh["OriginRequestPolicyId"] = oid
        did = self.create_dist_cleaned(dist_config(V2020, CacheBehaviors={"Quantity": 1, "Items": [beh]}))[
            "Distribution"]["Id"]
        self.assertClientError("CachePolicyInUse", 409, self.cf.delete_cache_policy, Id=pid,
                               IfMatch=self.cf.get_cache_policy(Id=pid)["ETag"])
        self.assertClientError("OriginRequestPolicyInUse", 409, self.cf.delete_origin_request_policy, Id=oid,
                               IfMatch=self.cf.get_origin_request_policy(Id=oid)["ETag"])
        # Deleting the distribution frees both.
        self.delete_dist(did)
        self.assertEqual(self.delete_cp(pid)["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertEqual(self.delete_orp(oid)["ResponseMetadata"]["HTTPStatusCode"], 204)

    def test_origin_request_policy_in_use_then_replaced(self):
        oid = self.create_orp()["OriginRequestPolicy"]["Id"]
        b = policy_behavior("origin1")
        b["OriginRequestPolicyId"] = oid
        did = self.create_dist_cleaned(dist_config(V2020, behavior=b))["Distribution"]["Id"]
        etag = self.cf.get_origin_request_policy(Id=oid)["ETag"]
        self.assertClientError("OriginRequestPolicyInUse", 409, self.cf.delete_origin_request_policy, Id=oid,
                               IfMatch=etag)
        g = self.cf.get_distribution_config(Id=did)
        dcfg = g["DistributionConfig"]
        dcfg["DefaultCacheBehavior"]["OriginRequestPolicyId"] = MANAGED_ALL_VIEWER
        self.cf.update_distribution(Id=did, IfMatch=g["ETag"], DistributionConfig=dcfg)
        wait_deployed(self.cf, did)
        d = self.cf.delete_origin_request_policy(Id=oid, IfMatch=etag)
        self.assertEqual(d["ResponseMetadata"]["HTTPStatusCode"], 204)


# --------------------------------------------------------------------------
# the edge applies custom policies
# --------------------------------------------------------------------------

class TestPolicyEdge(PolicyHelpers, EdgeTestCase):

    def serve_with(self, cache_policy_id=MANAGED_CACHING_OPTIMIZED, origin_request_policy_id=None):
        b = policy_behavior("web", cache_policy_id)
        if origin_request_policy_id:
            b["OriginRequestPolicyId"] = origin_request_policy_id
        d = self.create(behavior=b)
        self.addCleanup(self._quietly_delete_dist, d["Id"])
        return d

    def eventually(self, probe, what, timeout=DEPLOY_TIMEOUT):
        """Poll probe(n) (n = 1, 2, ...) until it is true; fail after `timeout` s."""
        deadline = time.time() + timeout
        n = 0
        while True:
            n += 1
            if probe(n):
                return n
            if time.time() > deadline:
                self.fail("%s not in effect at the edge within %.1fs" % (what, timeout))
            time.sleep(0.05)

    def test_query_string_whitelist_then_all(self):
        r = self.create_cp(min_ttl=0, default_ttl=3600, max_ttl=86400, query=("whitelist", ["v"]))
        pid, etag = r["CachePolicy"]["Id"], r["ETag"]
        cfg = r["CachePolicy"]["CachePolicyConfig"]
        d = self.serve_with(pid)
        host, tag = d["DomainName"], uuid.uuid4().hex[:8]
        obj = "/obj-" + tag

        st, h1, b1 = self.get(host, obj + "?v=1&x=1")
        self.assertEqual((st, h1["x-cache"]), (200, "Miss from cloudfront"))
        self.assertIn(b"v=1", b1, "the keyed query string is forwarded")
        self.assertNotIn(b"x=1", b1, "a query string outside the policy is not forwarded")
        _, h2, b2 = self.get(host, obj + "?v=1&x=2")
        self.assertEqual(h2["x-cache"], "Hit from cloudfront", "only v is in the cache key")
        self.assertEqual(b2, b1)
        self.assertEqual(self.origin.count(obj), 1)
        _, h3, b3 = self.get(host, obj + "?v=2")
        self.assertEqual(h3["x-cache"], "Miss from cloudfront")
        self.assertIn(b"v=2", b3)
        self.assertEqual(self.origin.count(obj), 2)
        _, h4, _ = self.get(host, obj)
        self.assertEqual(h4["x-cache"], "Miss from cloudfront", "no v is a key of its own")
        self.assertEqual(self.origin.count(obj), 3)

        # The policy changes under the distribution: every query string is keyed now.
        new_cfg = dict(cfg)
        new_cfg["ParametersInCacheKeyAndForwardedToOrigin"] = dict(
            params(cfg), QueryStringsConfig={"QueryStringBehavior": "all"})
        u = self.cf.update_cache_policy(Id=pid, IfMatch=etag, CachePolicyConfig=new_cfg)
        self.assertEqual(u["CachePolicy"]["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
                         ["QueryStringsConfig"]["QueryStringBehavior"], "all")
        wait_deployed(self.cf, d["Id"])

        def x_is_keyed(n):
            probe = "/probe-%s-%d" % (tag, n)
            self.get(host, probe + "?x=1")
            return self.get(host, probe + "?x=2")[1]["x-cache"] == "Miss from cloudfront"
        self.eventually(x_is_keyed, "QueryStringBehavior all")

        obj2 = "/obj-all-" + tag
        _, h1, b1 = self.get(host, obj2 + "?v=1&x=1")
        self.assertEqual(h1["x-cache"], "Miss from cloudfront")
        self.assertIn(b"x=1", b1, "with 'all' every query string is forwarded")
        _, h2, _ = self.get(host, obj2 + "?v=1&x=2")
        self.assertEqual(h2["x-cache"], "Miss from cloudfront", "x separates objects now")
        _, h3, _ = self.get(host, obj2 + "?v=1&x=1")
        self.assertEqual(h3["x-cache"], "Hit from cloudfront")
        self.assertEqual(self.origin.count(obj2), 2)

    def test_header_whitelist_keys_the_cache(self):
        pid = self.create_cp(headers=("whitelist", ["X-Device"]))["CachePolicy"]["Id"]
        d = self.serve_with(pid)
        host, path = d["DomainName"], "/dev-" + uuid.uuid4().hex[:8]

        _, h, _ = self.get(host, path, {"X-Device": "phone", "X-Other": "1"})
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        seen = self.origin.seen[path]
        self.assertEqual(seen.get("X-Device"), "phone", "a keyed header is forwarded")
        self.assertNotIn("X-Other", seen, "a header outside the policy is not forwarded")
        _, h, _ = self.get(host, path, {"X-Device": "phone", "X-Other": "2"})
        self.assertEqual(h["x-cache"], "Hit from cloudfront")
        _, h, _ = self.get(host, path + "?q=1", {"X-Device": "phone"})
        self.assertEqual(h["x-cache"], "Hit from cloudfront", "query strings are not in this key")
        self.assertEqual(self.origin.count(path), 1)
        _, h, _ = self.get(host, path, {"X-Device": "tablet"})
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        self.assertEqual(self.origin.seen[path].get("X-Device"), "tablet")
        self.assertEqual(self.origin.count(path), 2)
        _, h, _ = self.get(host, path)
        self.assertEqual(h["x-cache"], "Miss from cloudfront", "no X-Device is a key of its own")
        self.assertEqual(self.origin.count(path), 3)
        _, h, _ = self.get(host, path, {"x-device": "tablet"})
        self.assertEqual(h["x-cache"], "Hit from cloudfront", "header names are case-insensitive")
        self.assertEqual(self.origin.count(path), 3)

    def test_cookie_whitelist_keys_the_cache(self):
        pid = self.create_cp(cookies=("whitelist", ["session"]))["CachePolicy"]["Id"]
        d = self.serve_with(pid)
        host, path = d["DomainName"], "/ck-" + uuid.uuid4().hex[:8]
        _, h, _ = self.get(host, path, {"Cookie": "session=a; other=1"})
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        cookie = self.origin.seen[path].get("Cookie", "")
        self.assertIn("session=a", cookie)
        self.assertNotIn("other", cookie, "a cookie outside the policy is not forwarded")
        _, h, _ = self.get(host, path, {"Cookie": "other=2; session=a"})
        self.assertEqual(h["x-cache"], "Hit from cloudfront")
        _, h, _ = self.get(host, path, {"Cookie": "session=b"})
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        self.assertEqual(self.origin.count(path), 2)

    def test_policy_ttls(self):
        # MaxTTL 0: nothing is cached.
        off = self.create_cp(min_ttl=0, default_ttl=0, max_ttl=0, gzip=False, brotli=False)["CachePolicy"]["Id"]
        d = self.serve_with(off)
        path = "/nocache-" + uuid.uuid4().hex[:8]
        for _ in range(2):
            _, h, _ = self.get(d["DomainName"], path)
            self.assertEqual(h["x-cache"], "Miss from cloudfront")
        self.assertEqual(self.origin.count(path), 2)

        # MinTTL 60 outlives the origin's max-age=1.
        long = self.create_cp(min_ttl=60, default_ttl=60, max_ttl=3600)["CachePolicy"]["Id"]
        d = self.serve_with(long)
        path = "/short-" + uuid.uuid4().hex[:8]
        _, h, body = self.get(d["DomainName"], path)
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        time.sleep(1.3)
        _, h, body2 = self.get(d["DomainName"], path)
        self.assertEqual(h["x-cache"], "Hit from cloudfront", "MinTTL 60 keeps a max-age=1 object fresh")
        self.assertEqual(body2, body)
        self.assertEqual(self.origin.count(path), 1)

    def test_origin_request_policy_forwards_without_keying(self):
        r = self.create_orp(headers=("whitelist", ["X-Trace"]), query=("whitelist", ["track"]))
        oid, etag = r["OriginRequestPolicy"]["Id"], r["ETag"]
        cfg = r["OriginRequestPolicy"]["OriginRequestPolicyConfig"]
        d = self.serve_with(MANAGED_CACHING_OPTIMIZED, oid)
        self.assertEqual(self.cf.get_distribution_config(Id=d["Id"])["DistributionConfig"]["DefaultCacheBehavior"]
                         .get("OriginRequestPolicyId"), oid)
        host, tag = d["DomainName"], uuid.uuid4().hex[:8]
        path = "/o-" + tag

        _, h, body = self.get(host, path + "?track=1&other=9", {"X-Trace": "t1"})
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        self.assertIn(b"track=1", body, "the origin sees the whitelisted query string")
        self.assertNotIn(b"other=9", body, "but not one outside both policies")
        self.assertEqual(self.origin.seen[path].get("X-Trace"), "t1", "the whitelisted header is forwarded")
        _, h, body2 = self.get(host, path + "?track=2", {"X-Trace": "t2"})
        self.assertEqual(h["x-cache"], "Hit from cloudfront", "neither track nor X-Trace is in the cache key")
        self.assertEqual(body2, body)
        self.assertEqual(self.origin.count(path), 1)

        # Forward `other` too: the edge picks the change up.
        new_cfg = dict(cfg, QueryStringsConfig={"QueryStringBehavior": "whitelist",
                                                "QueryStrings": {"Quantity": 2, "Items": ["track", "other"]}})
        self.cf.update_origin_request_policy(Id=oid, IfMatch=etag, OriginRequestPolicyConfig=new_cfg)
        wait_deployed(self.cf, d["Id"])

        def other_forwarded(n):
            return b"other=5" in self.get(host, "/probe-%s-%d?other=5" % (tag, n))[2]
        self.eventually(other_forwarded, "the updated origin request policy")

        path2 = "/o2-" + tag
        _, h, body = self.get(host, path2 + "?other=7&track=3")
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        self.assertIn(b"other=7", body)
        self.assertIn(b"track=3", body)
        _, h, _ = self.get(host, path2 + "?other=8")
        self.assertEqual(h["x-cache"], "Hit from cloudfront", "still not in the cache key")
        self.assertEqual(self.origin.count(path2), 1)

    def test_custom_cache_and_origin_request_policies_together(self):
        pid = self.create_cp(query=("whitelist", ["v"]))["CachePolicy"]["Id"]
        oid = self.create_orp(query=("whitelist", ["track"]))["OriginRequestPolicy"]["Id"]
        d = self.serve_with(pid, oid)
        host, path = d["DomainName"], "/both-" + uuid.uuid4().hex[:8]
        _, h, body = self.get(host, path + "?v=1&track=a&junk=z")
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        self.assertIn(b"v=1", body)
        self.assertIn(b"track=a", body)
        self.assertNotIn(b"junk=z", body)
        _, h, _ = self.get(host, path + "?v=1&track=b")
        self.assertEqual(h["x-cache"], "Hit from cloudfront")
        _, h, _ = self.get(host, path + "?v=2&track=a")
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        self.assertEqual(self.origin.count(path), 2)


# --------------------------------------------------------------------------
# quotas and restarts
# --------------------------------------------------------------------------

class TestPolicyQuotas(PolicyTestCase):
    """20 custom policies of each kind (a server of its own so the counts start at zero)."""

    def test_cache_policies(self):
        ids = [self.create_cp()["CachePolicy"]["Id"] for _ in range(20)]
        self.assertClientError("TooManyCachePolicies", 400, self.cf.create_cache_policy, CachePolicyConfig=cp_config())
        # Managed policies do not count, and a deletion makes room.
        self.assertGreater(len(self.cf.list_cache_policies(Type="managed")["CachePolicyList"]["Items"]), 0)
        self.delete_cp(ids[0])
        self.assertEqual(self.create_cp()["ResponseMetadata"]["HTTPStatusCode"], 201)

    def test_origin_request_policies(self):
        ids = [self.create_orp()["OriginRequestPolicy"]["Id"] for _ in range(20)]
        self.assertClientError("TooManyOriginRequestPolicies", 400, self.cf.create_origin_request_policy,
                               OriginRequestPolicyConfig=orp_config())
        self.delete_orp(ids[0])
        self.assertEqual(self.create_orp()["ResponseMetadata"]["HTTPStatusCode"], 201)


class TestPoliciesSurviveRestart(unittest.TestCase):

    def test_restart(self):
        origin = Origin()
        srv = Server().start()
        try:
            cf = srv.client(V2020)
            cp_cfg = cp_config(query=("whitelist", ["v"]))
            cp = cf.create_cache_policy(CachePolicyConfig=cp_cfg)
            pid = cp["CachePolicy"]["Id"]
            orp = cf.create_origin_request_policy(OriginRequestPolicyConfig=orp_config(query=("whitelist", ["track"])))
            oid = orp["OriginRequestPolicy"]["Id"]
            b = policy_behavior("web", pid)
            b["OriginRequestPolicyId"] = oid
            d = cf.create_distribution(DistributionConfig=dist_config(V2020, origins=[origin_for(origin)],
                                                                      behavior=b))["Distribution"]
            wait_deployed(cf, d["Id"])

            def get(path):
                conn = http.client.HTTPConnection("127.0.0.1", srv.edge_port, timeout=10)
                try:
                    conn.request("GET", path, headers={"Host": d["DomainName"]})
                    r = conn.getresponse()
                    return r.getheader("X-Cache"), r.read()
                finally:
                    conn.close()

            self.assertEqual(srv.stop(), 0)
            srv.start()
            wait_deployed(cf, d["Id"])

            g = cf.get_cache_policy(Id=pid)
            self.assertEqual((g["ETag"], norm(g["CachePolicy"]["CachePolicyConfig"])), (cp["ETag"], norm(cp_cfg)))
            self.assertEqual(cf.get_origin_request_policy(Id=oid)["ETag"], orp["ETag"])
            self.assertIn(pid, [s["CachePolicy"]["Id"] for s in
                                cf.list_cache_policies(Type="custom")["CachePolicyList"].get("Items", [])])
            try:
                cf.create_cache_policy(CachePolicyConfig=cp_config(name=cp_cfg["Name"]))
                self.fail("the name of a policy created before the restart was free after it")
            except ClientError as e:
                self.assertEqual(e.response["Error"]["Code"], "CachePolicyAlreadyExists")
            for fn, ident, code in ((cf.delete_cache_policy, pid, "CachePolicyInUse"),
                                    (cf.delete_origin_request_policy, oid, "OriginRequestPolicyInUse")):
                with self.assertRaises(ClientError) as ctx:
                    fn(Id=ident, IfMatch=(cp if ident == pid else orp)["ETag"])
                self.assertEqual(ctx.exception.response["Error"]["Code"], code)

            # The edge still applies both policies.
            path = "/restart-" + uuid.uuid4().hex[:8]
            xc, body = get(path + "?v=1&x=1&track=a")
            self.assertEqual(xc, "Miss from cloudfront", "after a restart the distribution that uses custom policies "
                             "is not served: %r\n%s" % (body[:200], srv.stderr()[-1500:]))
            self.assertIn(b"v=1", body)
            self.assertIn(b"track=a", body)
            self.assertNotIn(b"x=1", body)
            xc, _ = get(path + "?v=1&x=2&track=b")
            self.assertEqual(xc, "Hit from cloudfront")
            self.assertEqual(origin.count(path), 1)
        finally:
            srv.stop()
            origin.close()


if __name__ == "__main__":
    unittest.main()
