"""Public keys, key groups and origin access controls (2020-05-31), and the distribution rules that reference them."""

import json
import os
import re
import unittest

from harness import (V2016, V2020, ServerTestCase, custom_origin, dist_config, legacy_behavior, new_ref, s3_origin)

PUBLIC_KEY_ID_RE = re.compile(r"^K[A-Z0-9]{13}$")
KEY_GROUP_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
OAC_ID_RE = re.compile(r"^E[A-Z0-9]{13}$")
NO_SUCH_KEY_GROUP = "00000000-0000-4000-8000-000000000000"

# Fixture public keys (public halves only). CloudFront accepts RSA 2048 and ECDSA P-256 for signed URLs.
RSA_2048 = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtvm81RFuKwp/bCMN/0w8
qeKmfgwAn+H2TQ4eZyEtZ1MB+wpOLqvPek1zwnfT44PD5G+vPTLNkTw7M17rqi7m
g15JlQihk5Cio6EUCjk3lGKVpyY/opO4nIThseDP5a4jaY4ADg/FZPa3X9OxThw7
qYQFp4DjaJQTN/TUxQyK4GEg5A+E1I1CMTN2q1bdoovmxLjrTWtdz+A1bh8W0J8s
nvF3ECGgNt1KaKkUVD8NLZeheWIs5M2zs7N/sHH6V8Vh2VAtM2Ap44q6IMtFInyh
frB7hcPrXapgbanKsNZKsF7fqtyrJkPHggLjNaPA6FO1Cc8EPWVEQonBJ6ekBNrl
SQIDAQAB
-----END PUBLIC KEY-----
"""
EC_P256 = """-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIecyEJ0whTYLC1t2ZXvEn7ulZTuz
LMEcBE7Fj/ShuWtCR+2P406iY8GBfvWJR8/h6wt3elY/3V5Uhi51bYApQA==
-----END PUBLIC KEY-----
"""
EC_P384 = """-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE6fs1EXjT42GO9PkRTNGg6lVSDr7war1G
kjB+IEr4pHAf9ydyzaSHpAZupQw6fJqT5u5bkkhVprcAxgqfI7D0WYSS1fi7/RYV
DgHmB3ZhOIZZ5YmA9YR5YsZYtTYGh66T
-----END PUBLIC KEY-----
"""
RSA_1024 = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC54mK1yRYU87r0zU9oXwEo19C/
DKsMzGUL5TniWVGVE2byF0deqgvZ5bEFJ0FNb/DHuVDY0/WjE1a1PQZR8Wt+GnKM
QFVa8qVSbCKw1kc+yTQrWpgjVqkBeEpOo6DPfSz1a6oUkfcwnXkAYfYAm4KXDL8v
R76eAK5w/KhhL7vxsQIDAQAB
-----END PUBLIC KEY-----
"""


def pk_config(name=None, key=EC_P256, ref=None, comment="e2e key"):
    return {"CallerReference": ref or new_ref("pk"), "Name": name or new_ref("pk"), "EncodedKey": key,
            "Comment": comment}


def kg_config(key_ids, name=None, comment="e2e group"):
    return {"Name": name or new_ref("kg"), "Items": list(key_ids), "Comment": comment}


def oac_config(name=None, behavior="always", origin_type="s3", description="e2e oac"):
    return {"Name": name or new_ref("oac")[:60], "Description": description, "SigningProtocol": "sigv4",
            "SigningBehavior": behavior, "OriginAccessControlOriginType": origin_type}


def trusted_behavior(target, key_groups):
    b = legacy_behavior(target)
    b["TrustedKeyGroups"] = {"Enabled": True, "Quantity": len(key_groups), "Items": list(key_groups)}
    return b


class KeysTestCase(ServerTestCase):

    def create_key(self, **kw):
        return self.cf.create_public_key(PublicKeyConfig=pk_config(**kw))

    def delete_key(self, key_id):
        self.cf.delete_public_key(Id=key_id, IfMatch=self.cf.get_public_key(Id=key_id)["ETag"])

    def delete_group(self, group_id):
        self.cf.delete_key_group(Id=group_id, IfMatch=self.cf.get_key_group(Id=group_id)["ETag"])

    def delete_oac(self, oac_id):
        self.cf.delete_origin_access_control(Id=oac_id, IfMatch=self.cf.get_origin_access_control(Id=oac_id)["ETag"])


class TestPublicKeys(KeysTestCase):

    def test_lifecycle(self):
        cfg = pk_config(key=RSA_2048, comment="first")
        r = self.cf.create_public_key(PublicKeyConfig=cfg)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        pk, etag0 = r["PublicKey"], r["ETag"]
        kid = pk["Id"]
        self.assertRegex(kid, PUBLIC_KEY_ID_RE)
        self.assertTrue(etag0)
        self.assertTrue(r["Location"].endswith("/2020-05-31/public-key/" + kid), r["Location"])
        self.assertEqual(pk["PublicKeyConfig"], cfg)
        self.assertIn("CreatedTime", pk)

        g = self.cf.get_public_key(Id=kid)
        self.assertEqual((g["ETag"], g["PublicKey"]["PublicKeyConfig"]), (etag0, cfg))
        gc = self.cf.get_public_key_config(Id=kid)
        self.assertEqual((gc["ETag"], gc["PublicKeyConfig"]), (etag0, cfg))

        lst = self.cf.list_public_keys()["PublicKeyList"]
        self.assertNotIn("IsTruncated", lst)
        self.assertNotIn("Marker", lst)
        summ = [s for s in lst.get("Items", []) if s["Id"] == kid]
        self.assertEqual(len(summ), 1)
        self.assertEqual({k: summ[0][k] for k in ("Name", "EncodedKey", "Comment")},
                         {"Name": cfg["Name"], "EncodedKey": RSA_2048, "Comment": "first"})

        u = self.cf.update_public_key(Id=kid, IfMatch=etag0, PublicKeyConfig=dict(cfg, Comment="second"))
        self.assertEqual(u["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertNotEqual(u["ETag"], etag0)
        self.assertEqual(u["PublicKey"]["PublicKeyConfig"]["Comment"], "second")
        self.assertEqual(u["PublicKey"]["CreatedTime"], pk["CreatedTime"])

        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.delete_public_key, Id=kid)
        self.assertClientError("PreconditionFailed", 412, self.cf.delete_public_key, Id=kid, IfMatch=etag0)
        d = self.cf.delete_public_key(Id=kid, IfMatch=u["ETag"])
        self.assertEqual(d["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertClientError("NoSuchPublicKey", 404, self.cf.get_public_key, Id=kid)
        self.assertClientError("NoSuchPublicKey", 404, self.cf.get_public_key_config, Id=kid)

    def test_invalid_keys(self):
        for name, key in (("p384", EC_P384), ("rsa1024", RSA_1024), ("junk", "not a key"),
                          ("private", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")):
            with self.subTest(key=name):
                self.assertClientError("InvalidArgument", 400, self.cf.create_public_key,
                                       PublicKeyConfig=pk_config(key=key))
        self.assertClientError("InvalidArgument", 400, self.cf.create_public_key,
                               PublicKeyConfig=pk_config(comment="c" * 129))

    def test_already_exists(self):
        cfg = pk_config()
        first = self.cf.create_public_key(PublicKeyConfig=cfg)
        kid = first["PublicKey"]["Id"]
        # A retry with the identical config returns the key (OpenFront: CallerReference retries are safe).
        again = self.cf.create_public_key(PublicKeyConfig=cfg)
        self.assertEqual((again["PublicKey"]["Id"], again["ETag"]), (kid, first["ETag"]))
        self.assertClientError("PublicKeyAlreadyExists", 409, self.cf.create_public_key,
                               PublicKeyConfig=dict(cfg, Comment="different"))
        self.assertClientError("PublicKeyAlreadyExists", 409, self.cf.create_public_key,
                               PublicKeyConfig=pk_config(name=cfg["Name"]))
        self.delete_key(kid)

    def test_update_rules(self):
        cfg = pk_config()
        r = self.cf.create_public_key(PublicKeyConfig=cfg)
        kid, etag = r["PublicKey"]["Id"], r["ETag"]
        self.assertClientError("CannotChangeImmutablePublicKeyFields", 400, self.cf.update_public_key,
                               Id=kid, IfMatch=etag, PublicKeyConfig=dict(cfg, EncodedKey=RSA_2048))
        self.assertClientError("CannotChangeImmutablePublicKeyFields", 400, self.cf.update_public_key,
                               Id=kid, IfMatch=etag, PublicKeyConfig=dict(cfg, Name=new_ref("other")))
        self.assertClientError("IllegalUpdate", 400, self.cf.update_public_key,
                               Id=kid, IfMatch=etag, PublicKeyConfig=dict(cfg, CallerReference=new_ref()))
        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.update_public_key, Id=kid, PublicKeyConfig=cfg)
        self.assertClientError("PreconditionFailed", 412, self.cf.update_public_key,
                               Id=kid, IfMatch="ESTALEETAG0000", PublicKeyConfig=cfg)
        self.assertEqual(self.cf.get_public_key(Id=kid)["ETag"], etag, "refused updates changed the key")
        self.delete_key(kid)

    def test_unknown(self):
        kid = "KNOSUCHKEY0000"
        self.assertClientError("NoSuchPublicKey", 404, self.cf.get_public_key, Id=kid)
        self.assertClientError("NoSuchPublicKey", 404, self.cf.get_public_key_config, Id=kid)
        self.assertClientError("NoSuchPublicKey", 404, self.cf.update_public_key, Id=kid, IfMatch="E1",
                               PublicKeyConfig=pk_config())
        self.assertClientError("NoSuchPublicKey", 404, self.cf.delete_public_key, Id=kid, IfMatch="E1")

    def test_pagination(self):
        ids = [self.create_key()["PublicKey"]["Id"] for _ in range(3)]
        seen, marker = [], None
        while True:
            kw = {"MaxItems": "2"} if marker is None else {"MaxItems": "2", "Marker": marker}
            lst = self.cf.list_public_keys(**kw)["PublicKeyList"]
            self.assertEqual(lst["MaxItems"], 2)
            self.assertEqual(lst["Quantity"], len(lst.get("Items", [])))
            seen += [s["Id"] for s in lst.get("Items", [])]
            marker = lst.get("NextMarker")
            if not marker:
                break
        self.assertEqual([i for i in seen if i in ids], ids)
        self.assertClientError("InvalidArgument", 400, self.cf.list_public_keys, MaxItems="-1")
        for kid in ids:
            self.delete_key(kid)

    def test_not_in_2016(self):
        r = self.server.raw("GET", "/%s/public-key" % V2016)
        self.assertRawError(r, "InvalidURI", 400, V2016)
        r = self.server.raw("GET", "/%s/public-key" % V2020)
        self.assertEqual(r.status, 200)

    def test_aws_cli(self):
        path = os.path.join(self.server.tmp, "pk-%s.json" % new_ref())
        cfg = pk_config(key=EC_P256, comment="from the cli")
        with open(path, "w") as f:
            json.dump(cfg, f)
        out = self.server.aws("cloudfront", "create-public-key", "--public-key-config", "file://" + path)
        kid = out["PublicKey"]["Id"]
        self.assertRegex(kid, PUBLIC_KEY_ID_RE)
        self.assertTrue(out.get("ETag"))
        lst = self.server.aws("cloudfront", "list-public-keys")
        self.assertIn(kid, [s["Id"] for s in lst["PublicKeyList"]["Items"]])
        p = self.server.aws_run("cloudfront", "get-public-key", "--id", "KNOSUCHKEY0000")
        self.assertIn(p.returncode, (254, 255))
        self.assertIn("NoSuchPublicKey", p.stderr)
        self.server.aws("cloudfront", "delete-public-key", "--id", kid, "--if-match", out["ETag"])
        self.assertClientError("NoSuchPublicKey", 404, self.cf.get_public_key, Id=kid)


class TestKeyGroups(KeysTestCase):

    def test_lifecycle(self):
        k1, k2 = self.create_key()["PublicKey"]["Id"], self.create_key(key=RSA_2048)["PublicKey"]["Id"]
        cfg = kg_config([k1], comment="first")
        r = self.cf.create_key_group(KeyGroupConfig=cfg)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        kg, etag0 = r["KeyGroup"], r["ETag"]
        gid = kg["Id"]
        self.assertRegex(gid, KEY_GROUP_ID_RE)
        self.assertTrue(r["Location"].endswith("/2020-05-31/key-group/" + gid), r["Location"])
        self.assertEqual(kg["KeyGroupConfig"], cfg)
        self.assertIn("LastModifiedTime", kg)

        g = self.cf.get_key_group(Id=gid)
        self.assertEqual((g["ETag"], g["KeyGroup"]["KeyGroupConfig"]), (etag0, cfg))
        gc = self.cf.get_key_group_config(Id=gid)
        self.assertEqual((gc["ETag"], gc["KeyGroupConfig"]), (etag0, cfg))

        lst = self.cf.list_key_groups()["KeyGroupList"]
        self.assertNotIn("IsTruncated", lst)
        self.assertEqual([s["KeyGroup"]["KeyGroupConfig"] for s in lst["Items"] if s["KeyGroup"]["Id"] == gid], [cfg])

        # UpdateKeyGroup is PUT /key-group/{Id} (no /config).
        new_cfg = kg_config([k1, k2], name=cfg["Name"], comment="second")
        u = self.cf.update_key_group(Id=gid, IfMatch=etag0, KeyGroupConfig=new_cfg)
        self.assertEqual(u["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertNotEqual(u["ETag"], etag0)
        self.assertEqual(u["KeyGroup"]["KeyGroupConfig"], new_cfg)

        # Both keys are in the group now: neither can be deleted.
        for kid in (k1, k2):
            self.assertClientError("PublicKeyInUse", 409, self.cf.delete_public_key, Id=kid,
                                   IfMatch=self.cf.get_public_key(Id=kid)["ETag"])

        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.update_key_group, Id=gid, KeyGroupConfig=new_cfg)
        self.assertClientError("PreconditionFailed", 412, self.cf.update_key_group, Id=gid, IfMatch=etag0,
                               KeyGroupConfig=new_cfg)
        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.delete_key_group, Id=gid)
        self.assertClientError("PreconditionFailed", 412, self.cf.delete_key_group, Id=gid, IfMatch=etag0)
        d = self.cf.delete_key_group(Id=gid, IfMatch=u["ETag"])
        self.assertEqual(d["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertClientError("NoSuchResource", 404, self.cf.get_key_group, Id=gid)
        self.assertClientError("NoSuchResource", 404, self.cf.get_key_group_config, Id=gid)
        self.delete_key(k1)
        self.delete_key(k2)

    def test_rules(self):
        kid = self.create_key()["PublicKey"]["Id"]
        self.assertClientError("NoSuchPublicKey", 404, self.cf.create_key_group,
                               KeyGroupConfig=kg_config([kid, "KNOSUCHKEY0000"]))
        self.assertClientError("TooManyPublicKeysInKeyGroup", 400, self.cf.create_key_group,
                               KeyGroupConfig=kg_config([kid] + ["K%013d" % i for i in range(5)]))
        a = self.cf.create_key_group(KeyGroupConfig=kg_config([kid]))
        b = self.cf.create_key_group(KeyGroupConfig=kg_config([kid]))
        name_a = a["KeyGroup"]["KeyGroupConfig"]["Name"]
        self.assertClientError("KeyGroupAlreadyExists", 409, self.cf.create_key_group,
                               KeyGroupConfig=kg_config([kid], name=name_a))
        self.assertClientError("KeyGroupAlreadyExists", 409, self.cf.update_key_group, Id=b["KeyGroup"]["Id"],
                               IfMatch=b["ETag"], KeyGroupConfig=kg_config([kid], name=name_a))
        self.assertClientError("NoSuchPublicKey", 404, self.cf.update_key_group, Id=b["KeyGroup"]["Id"],
                               IfMatch=b["ETag"], KeyGroupConfig=kg_config(["KNOSUCHKEY0000"]))
        for g in (a, b):
            self.delete_group(g["KeyGroup"]["Id"])
        self.delete_key(kid)

    def test_unknown(self):
        gid = NO_SUCH_KEY_GROUP
        self.assertClientError("NoSuchResource", 404, self.cf.get_key_group, Id=gid)
        self.assertClientError("NoSuchResource", 404, self.cf.get_key_group_config, Id=gid)
        self.assertClientError("NoSuchResource", 404, self.cf.update_key_group, Id=gid, IfMatch="E1",
                               KeyGroupConfig=kg_config(["KNOSUCHKEY0000"]))
        self.assertClientError("NoSuchResource", 404, self.cf.delete_key_group, Id=gid, IfMatch="E1")


class TestOriginAccessControls(KeysTestCase):

    def test_lifecycle(self):
        cfg = oac_config()
        r = self.cf.create_origin_access_control(OriginAccessControlConfig=cfg)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        o, etag0 = r["OriginAccessControl"], r["ETag"]
        oid = o["Id"]
        self.assertRegex(oid, OAC_ID_RE)
        self.assertTrue(r["Location"].endswith("/2020-05-31/origin-access-control/" + oid), r["Location"])
        self.assertEqual(o["OriginAccessControlConfig"], cfg)

        g = self.cf.get_origin_access_control(Id=oid)
        self.assertEqual((g["ETag"], g["OriginAccessControl"]["OriginAccessControlConfig"]), (etag0, cfg))
        gc = self.cf.get_origin_access_control_config(Id=oid)
        self.assertEqual((gc["ETag"], gc["OriginAccessControlConfig"]), (etag0, cfg))

        lst = self.cf.list_origin_access_controls()["OriginAccessControlList"]
        self.assertFalse(lst["IsTruncated"])
        self.assertEqual([s for s in lst["Items"] if s["Id"] == oid], [dict(cfg, Id=oid)])

        new_cfg = oac_config(name=cfg["Name"], behavior="no-override", origin_type="mediastore", description="")
        u = self.cf.update_origin_access_control(Id=oid, IfMatch=etag0, OriginAccessControlConfig=new_cfg)
        self.assertEqual(u["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertNotEqual(u["ETag"], etag0)
        self.assertEqual(u["OriginAccessControl"]["OriginAccessControlConfig"], new_cfg)

        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.update_origin_access_control, Id=oid,
                               OriginAccessControlConfig=new_cfg)
        self.assertClientError("PreconditionFailed", 412, self.cf.update_origin_access_control, Id=oid,
                               IfMatch=etag0, OriginAccessControlConfig=new_cfg)
        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.delete_origin_access_control, Id=oid)
        self.assertClientError("PreconditionFailed", 412, self.cf.delete_origin_access_control, Id=oid, IfMatch=etag0)
        d = self.cf.delete_origin_access_control(Id=oid, IfMatch=u["ETag"])
        self.assertEqual(d["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertClientError("NoSuchOriginAccessControl", 404, self.cf.get_origin_access_control, Id=oid)

    def test_rules(self):
        a = self.cf.create_origin_access_control(OriginAccessControlConfig=oac_config())
        b = self.cf.create_origin_access_control(OriginAccessControlConfig=oac_config())
        name_a = a["OriginAccessControl"]["OriginAccessControlConfig"]["Name"]
        self.assertClientError("OriginAccessControlAlreadyExists", 409, self.cf.create_origin_access_control,
                               OriginAccessControlConfig=oac_config(name=name_a))
        self.assertClientError("OriginAccessControlAlreadyExists", 409, self.cf.update_origin_access_control,
                               Id=b["OriginAccessControl"]["Id"], IfMatch=b["ETag"],
                               OriginAccessControlConfig=oac_config(name=name_a))
        for bad in (oac_config(behavior="sometimes"), oac_config(origin_type="ftp"),
                    dict(oac_config(), SigningProtocol="sigv2"), oac_config(name="n" * 65)):
            with self.subTest(cfg=bad):
                self.assertClientError("InvalidArgument", 400, self.cf.create_origin_access_control,
                                       OriginAccessControlConfig=bad)
        for o in (a, b):
            self.delete_oac(o["OriginAccessControl"]["Id"])

    def test_unknown(self):
        oid = "ENOSUCHOAC0000"
        self.assertClientError("NoSuchOriginAccessControl", 404, self.cf.get_origin_access_control, Id=oid)
        self.assertClientError("NoSuchOriginAccessControl", 404, self.cf.get_origin_access_control_config, Id=oid)
        self.assertClientError("NoSuchOriginAccessControl", 404, self.cf.update_origin_access_control, Id=oid,
                               IfMatch="E1", OriginAccessControlConfig=oac_config())
        self.assertClientError("NoSuchOriginAccessControl", 404, self.cf.delete_origin_access_control, Id=oid,
                               IfMatch="E1")

    def test_pagination(self):
        ids = [self.cf.create_origin_access_control(OriginAccessControlConfig=oac_config())["OriginAccessControl"]["Id"]
               for _ in range(3)]
        first = self.cf.list_origin_access_controls(MaxItems="2")["OriginAccessControlList"]
        self.assertTrue(first["IsTruncated"])
        self.assertEqual(first["Quantity"], 2)
        rest = self.cf.list_origin_access_controls(MaxItems="2", Marker=first["NextMarker"])["OriginAccessControlList"]
        self.assertEqual(rest["Marker"], first["NextMarker"])
        seen = [s["Id"] for s in first["Items"] + rest.get("Items", [])]
        self.assertEqual([i for i in seen if i in ids], ids)
        for oid in ids:
            self.delete_oac(oid)


class TestReferences(KeysTestCase):
    """Distributions reference key groups (TrustedKeyGroups) and OACs (OriginAccessControlId)."""

    def _oac_origin(self, oac_id):
        return s3_origin(OriginAccessControlId=oac_id)

    def test_unknown_references(self):
        origins = [custom_origin()]
        cfg = dist_config(origins=origins, behavior=trusted_behavior(origins[0]["Id"], [NO_SUCH_KEY_GROUP]))
        self.assertClientError("TrustedKeyGroupDoesNotExist", 400, self.cf.create_distribution, DistributionConfig=cfg)
        five = ["00000000-0000-4000-8000-00000000000%d" % i for i in range(5)]
        cfg = dist_config(origins=origins, behavior=trusted_behavior(origins[0]["Id"], five))
        self.assertClientError("TooManyKeyGroupsAssociatedToDistribution", 400, self.cf.create_distribution,
                               DistributionConfig=cfg)
        cfg = dist_config(origins=[self._oac_origin("ENOSUCHOAC0000")])
        self.assertClientError("NoSuchOriginAccessControl", 404, self.cf.create_distribution, DistributionConfig=cfg)

    def test_in_use(self):
        kid = self.create_key()["PublicKey"]["Id"]
        gid = self.cf.create_key_group(KeyGroupConfig=kg_config([kid]))["KeyGroup"]["Id"]
        oid = self.cf.create_origin_access_control(OriginAccessControlConfig=oac_config())["OriginAccessControl"]["Id"]

        origins = [self._oac_origin(oid)]
        r = self.cf.create_distribution(DistributionConfig=dist_config(
            origins=origins, behavior=trusted_behavior(origins[0]["Id"], [gid])))
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        d = r["Distribution"]
        did = d["Id"]
        self.assertEqual(d["DistributionConfig"]["Origins"]["Items"][0]["OriginAccessControlId"], oid)
        active = d["ActiveTrustedKeyGroups"]
        self.assertTrue(active["Enabled"])
        self.assertEqual([i["KeyGroupId"] for i in active.get("Items", [])], [gid])

        self.assertClientError("ResourceInUse", 409, self.cf.delete_key_group, Id=gid,
                               IfMatch=self.cf.get_key_group(Id=gid)["ETag"])
        self.assertClientError("PublicKeyInUse", 409, self.cf.delete_public_key, Id=kid,
                               IfMatch=self.cf.get_public_key(Id=kid)["ETag"])
        self.assertClientError("OriginAccessControlInUse", 409, self.cf.delete_origin_access_control, Id=oid,
                               IfMatch=self.cf.get_origin_access_control(Id=oid)["ETag"])

        # An update must keep naming existing key groups.
        g = self.cf.get_distribution_config(Id=did)
        cfg = g["DistributionConfig"]
        cfg["DefaultCacheBehavior"]["TrustedKeyGroups"]["Items"] = [gid, NO_SUCH_KEY_GROUP]
        cfg["DefaultCacheBehavior"]["TrustedKeyGroups"]["Quantity"] = 2
        self.assertClientError("TrustedKeyGroupDoesNotExist", 400, self.cf.update_distribution, Id=did,
                               IfMatch=g["ETag"], DistributionConfig=cfg)

        self.delete_dist(did)
        self.delete_group(gid)
        self.delete_key(kid)
        self.delete_oac(oid)


class TestQuotas(KeysTestCase):
    """Account quotas (Developer Guide, "Quotas"); a server of its own so the counts start at zero."""

    def test_public_keys(self):
        ids = [self.create_key()["PublicKey"]["Id"] for _ in range(10)]
        self.assertClientError("TooManyPublicKeys", 400, self.cf.create_public_key, PublicKeyConfig=pk_config())
        groups = [self.cf.create_key_group(KeyGroupConfig=kg_config(ids[:5]))["KeyGroup"]["Id"] for _ in range(10)]
        self.assertClientError("TooManyKeyGroups", 400, self.cf.create_key_group, KeyGroupConfig=kg_config(ids[:1]))
        for gid in groups:
            self.delete_group(gid)
        for kid in ids:
            self.delete_key(kid)

    def test_origin_access_controls(self):
        ids = [self.cf.create_origin_access_control(OriginAccessControlConfig=oac_config())["OriginAccessControl"]["Id"]
               for _ in range(100)]
        self.assertClientError("TooManyOriginAccessControls", 400, self.cf.create_origin_access_control,
                               OriginAccessControlConfig=oac_config())
        for oid in ids:
            self.delete_oac(oid)


if __name__ == "__main__":
    unittest.main()
