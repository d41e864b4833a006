#!/usr/bin/env python3
"""Create one OpenFront distribution through the CloudFront API (boto3) and
print its DomainName once it is Deployed.

usage: mkdist.py API_URL ORIGIN_PORT [cached|disabled|security-headers]

cached:   legacy ForwardedValues with the query string in the key (the same
          key nginx's $request_uri and Varnish's req.url give), TTLs from the
          origin's Cache-Control (MinTTL 0).
disabled: the managed CachingDisabled policy (every request goes to the
          origin, the body streams through).
security-headers: cached, with the managed SecurityHeadersPolicy response
          headers policy (the cost of a policy on a hit).
Credentials come from OPENFRONT_ACCESS_KEY_ID / OPENFRONT_SECRET_ACCESS_KEY.
"""
import os
import sys
import time
import uuid

import boto3

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"


def main():
    api, port = sys.argv[1], int(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else "cached"
    cf = boto3.client(
        "cloudfront", endpoint_url=api, region_name="us-east-1",
        aws_access_key_id=os.environ["OPENFRONT_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["OPENFRONT_SECRET_ACCESS_KEY"])
    behavior = {"TargetOriginId": "origin", "ViewerProtocolPolicy": "allow-all"}
    if mode == "disabled":
        behavior["CachePolicyId"] = CACHING_DISABLED
    else:
        behavior.update({
            "ForwardedValues": {"QueryString": True, "Cookies": {"Forward": "none"}},
            "MinTTL": 0, "DefaultTTL": 86400, "MaxTTL": 31536000,
        })
        if mode == "security-headers":
            behavior["ResponseHeadersPolicyId"] = SECURITY_HEADERS
    d = cf.create_distribution(DistributionConfig={
        "CallerReference": "bench-" + uuid.uuid4().hex, "Comment": "bench", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "origin", "DomainName": "127.0.0.1",
            "CustomOriginConfig": {"HTTPPort": port, "HTTPSPort": 443,
                                   "OriginProtocolPolicy": "http-only",
                                   "OriginReadTimeout": 60}}]},
        "DefaultCacheBehavior": behavior,
    })["Distribution"]
    for _ in range(100):  # bounded: Deployed comes in well under a second
        if cf.get_distribution(Id=d["Id"])["Distribution"]["Status"] == "Deployed":
            break
        time.sleep(0.1)
    else:
        sys.exit("distribution %s not Deployed after 10 s" % d["Id"])
    print(d["DomainName"])


if __name__ == "__main__":
    main()
