"""The real Terraform AWS provider against OpenFront: `terraform apply`, `plan`, `import` and `destroy`
with the hashicorp/aws provider, on configurations a user would write.

tests/terraform replays the provider's call sequences through aws-sdk-go-v2; this test runs the provider
itself. Each lifecycle applies a configuration, checks that `terraform plan -detailed-exitcode` then
exits 0 (no diff: every argument the provider reads back matches what it sent), applies an in-place
update (a saved plan whose only actions are "update"), plans again (exit 0), and destroys; boto3 then
checks that every object is gone. The CloudFront lifecycle also imports a distribution and a response
headers policy into a fresh state and plans there (exit 0), and fetches through the edge.

Terraform never reaches the network: the provider comes from a filesystem mirror
($OPENFRONT_TF_PLUGINS, default /opt/tf-plugins; the CLI configuration's provider_installation, see
Terraform's "CLI Configuration File" documentation), the checkpoint call is off (CHECKPOINT_DISABLE), the
provider block sends cloudfront, cloudfrontkeyvaluestore and lightsail to the server and skips every
credentials, account and metadata look-up (AWS provider documentation, "Argument Reference" and
"Custom Service Endpoints"). The cloudfront-keyvaluestore client sends to <account-id>.<endpoint host>
(README, KeyValueStore), a name that does not resolve: HTTP_PROXY/HTTPS_PROXY point at a small
forwarding proxy here, which passes that name on to the API and refuses (and records) anything else.
Go's proxy rules never proxy 127.0.0.1, so the other endpoints are reached directly. The test fails if
the proxy refused anything.

Skipped, with the reason, when `terraform` ($OPENFRONT_TERRAFORM or on PATH) or the AWS provider
$OPENFRONT_TF_AWS_VERSION (default 5.100.0) in the mirror is missing. The modules, their state and
each command's output (numbered .log files) are in a temporary openfront-tf-* directory, kept with
OPENFRONT_E2E_KEEP=1.
"""

import http.client
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import ACCOUNT_ID, MANAGED_CACHING_OPTIMIZED, REGION, ServerTestCase, free_port
from test_lightsail import _put_certificate

TERRAFORM = os.environ.get("OPENFRONT_TERRAFORM") or shutil.which("terraform")
PLUGINS = os.environ.get("OPENFRONT_TF_PLUGINS", "/opt/tf-plugins")
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
AWS_PROVIDER_VERSION = os.environ.get("OPENFRONT_TF_AWS_VERSION", "5.100.0")

# Managed policies (Developer Guide, "Use managed cache policies", "Use managed origin request
# policies", "Use managed response headers policies").
MANAGED_CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
MANAGED_ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
MANAGED_SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"

CERT_ARN = "arn:aws:acm:us-east-1:%s:certificate/7e0b1c2d-3f4a-4b5c-8d6e-9f0a1b2c3d4e" % ACCOUNT_ID
ZONE = "tf-e2e.example"
COMMAND_TIMEOUT = 300


def _skip_reason():
    if not TERRAFORM:
        return "terraform not installed (set OPENFRONT_TERRAFORM or put terraform on PATH)"
    host, namespace, name = AWS_PROVIDER.split("/")
    if not os.path.isdir(os.path.join(PLUGINS, host, namespace, name, AWS_PROVIDER_VERSION)):
        return ("no %s %s in the provider mirror %s (set OPENFRONT_TF_PLUGINS; layout "
                "<host>/<namespace>/<type>/<version>/<os>_<arch>/)" % (AWS_PROVIDER, AWS_PROVIDER_VERSION, PLUGINS))
    return None


# --------------------------------------------------------------------------
# configurations (@NAME@ is filled in by the test; ${...} is Terraform's)
# --------------------------------------------------------------------------

PROVIDER_TF = r'''
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "@VERSION@" }
  }
}

variable "v" {
  type    = number
  default = 1
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "@ACCESS_KEY@"
  secret_key                  = "@SECRET_KEY@"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    cloudfront              = "@API@"
    cloudfrontkeyvaluestore = "@API@"
    lightsail               = "@API@"
  }
  default_tags {
    tags = { ManagedBy = "terraform-e2e" }
  }
}
'''

# Imported into a fresh state too, so it is the same text in both.
RHP_TF = r'''
resource "aws_cloudfront_response_headers_policy" "rhp" {
  name    = "tf-e2e-headers"
  comment = "headers v${var.v}"
  cors_config {
    access_control_allow_credentials = false
    access_control_allow_headers { items = ["X-Requested-With"] }
    access_control_allow_methods { items = ["GET", "HEAD"] }
    access_control_allow_origins { items = ["https://app.@ZONE@"] }
    access_control_expose_headers { items = ["X-Tf-Policy"] }
    access_control_max_age_sec = 600 * var.v
    origin_override            = true
  }
  security_headers_config {
    content_type_options { override = true }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "same-origin"
      override        = true
    }
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      override                   = true
    }
  }
  custom_headers_config {
    items {
      header   = "X-Tf-Policy"
      value    = "v${var.v}"
      override = true
    }
  }
  remove_headers_config {
    items { header = "X-Internal" }
  }
}
'''

# The distribution the edge checks serve, also imported into a fresh state: @CP@ and the other
# references are resource attributes in the main configuration, their values in the import one.
# wait_for_deployment and retain_on_delete are not read from CloudFront: an import sets them to
# their defaults, true and false (AWS provider documentation, aws_cloudfront_distribution, "Import"),
# which is what this one says, so the imported state plans clean.
DIST_TF = r'''
resource "aws_cloudfront_distribution" "site" {
  enabled             = true
  comment             = "tf-e2e site v${var.v}"
  default_root_object = "index.html"
  aliases             = var.v == 1 ? ["www.@ZONE@"] : ["www.@ZONE@", "cdn.@ZONE@"]
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  price_class         = "PriceClass_All"
  wait_for_deployment = true
  retain_on_delete    = false

  origin {
    origin_id           = "app"
    domain_name         = "127.0.0.1"
    connection_attempts = 2
    connection_timeout  = 5
    custom_header {
      name  = "X-Origin-Secret"
      value = "secret-v${var.v}"
    }
    custom_origin_config {
      http_port                = @ORIGIN_PORT@
      https_port               = 443
      origin_protocol_policy   = "http-only"
      origin_ssl_protocols     = ["TLSv1.2"]
      origin_read_timeout      = 30
      origin_keepalive_timeout = 5
    }
  }
  origin {
    origin_id   = "backup"
    domain_name = "tf-e2e-backup.s3.amazonaws.com"
    origin_path = "/site"
    s3_origin_config {
      origin_access_identity = @OAI_PATH@
    }
  }
  origin {
    origin_id                = "forms"
    domain_name              = "tf-e2e-forms.s3.us-east-1.amazonaws.com"
    origin_access_control_id = @OAC@
  }
  origin_group {
    origin_id = "app-with-backup"
    failover_criteria {
      status_codes = [500, 502, 503, 504]
    }
    member { origin_id = "app" }
    member { origin_id = "backup" }
  }

  default_cache_behavior {
    target_origin_id           = "app"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    viewer_protocol_policy     = "allow-all"
    compress                   = true
    cache_policy_id            = @CP@
    origin_request_policy_id   = @ORP@
    response_headers_policy_id = @RHP@
    function_association {
      event_type   = "viewer-request"
      function_arn = @FN@
    }
  }
  ordered_cache_behavior {
    path_pattern               = "/private/*"
    target_origin_id           = "app-with-backup"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    viewer_protocol_policy     = "allow-all"
    cache_policy_id            = @CP@
    origin_request_policy_id   = @ORP@
    response_headers_policy_id = @RHP@
    trusted_key_groups         = [@KG@]
  }
  ordered_cache_behavior {
    path_pattern            = "/static/*"
    target_origin_id        = "app"
    allowed_methods         = ["GET", "HEAD"]
    cached_methods          = ["GET", "HEAD"]
    viewer_protocol_policy  = "redirect-to-https"
    min_ttl                 = 0
    default_ttl             = 3600 * var.v
    max_ttl                 = 86400
    realtime_log_config_arn = @RT@
    forwarded_values {
      query_string            = true
      query_string_cache_keys = ["v"]
      headers                 = ["Origin"]
      cookies {
        forward           = "whitelist"
        whitelisted_names = ["session"]
      }
    }
  }
  ordered_cache_behavior {
    path_pattern              = "/forms/*"
    target_origin_id          = "forms"
    allowed_methods           = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods            = ["GET", "HEAD"]
    viewer_protocol_policy    = "https-only"
    cache_policy_id           = "@CACHING_DISABLED@"
    field_level_encryption_id = @FLE@
  }

  custom_error_response {
    error_code            = 404
    response_code         = 200
    response_page_path    = "/errors/404.html"
    error_caching_min_ttl = 10 * var.v
  }
  custom_error_response {
    error_code            = 503
    error_caching_min_ttl = 0
  }

  logging_config {
    bucket          = "tf-e2e-logs.s3.amazonaws.com"
    prefix          = "cf/"
    include_cookies = false
  }
  restrictions {
    geo_restriction { restriction_type = "none" }
  }
  viewer_certificate {
    acm_certificate_arn      = "@CERT_ARN@"
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  tags = { Name = "tf-e2e-site", Version = "v${var.v}" }
}
'''

DIST_REFS = {
    "@CP@": "aws_cloudfront_cache_policy.cp.id",
    "@ORP@": "aws_cloudfront_origin_request_policy.orp.id",
    "@RHP@": "aws_cloudfront_response_headers_policy.rhp.id",
    "@FN@": "aws_cloudfront_function.fn.arn",
    "@KG@": "aws_cloudfront_key_group.kg.id",
    "@RT@": "aws_cloudfront_realtime_log_config.rt.arn",
    "@FLE@": "aws_cloudfront_field_level_encryption_config.fle.id",
    "@OAI_PATH@": "aws_cloudfront_origin_access_identity.oai.cloudfront_access_identity_path",
    "@OAC@": "aws_cloudfront_origin_access_control.oac.id",
}

CLOUDFRONT_TF = r'''
resource "aws_cloudfront_cache_policy" "cp" {
  name        = "tf-e2e-cache"
  comment     = "cache v${var.v}"
  min_ttl     = 1
  default_ttl = 60 * var.v
  max_ttl     = 3600 * var.v
  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_brotli = true
    enable_accept_encoding_gzip   = true
    cookies_config {
      cookie_behavior = "whitelist"
      cookies { items = ["session"] }
    }
    headers_config {
      header_behavior = "whitelist"
      headers { items = ["Origin"] }
    }
    query_strings_config {
      query_string_behavior = "allExcept"
      query_strings { items = ["utm_source"] }
    }
  }
}

resource "aws_cloudfront_origin_request_policy" "orp" {
  name    = "tf-e2e-origin-request"
  comment = "origin request v${var.v}"
  cookies_config {
    cookie_behavior = "whitelist"
    cookies { items = ["session", "lang"] }
  }
  headers_config {
    header_behavior = "allViewerAndWhitelistCloudFront"
    headers { items = ["CloudFront-Forwarded-Proto"] }
  }
  query_strings_config {
    query_string_behavior = "all"
  }
}

resource "aws_cloudfront_origin_access_identity" "oai" {
  comment = "tf-e2e oai v${var.v}"
}

resource "aws_cloudfront_origin_access_control" "oac" {
  name                              = "tf-e2e-oac"
  description                       = "oac v${var.v}"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_public_key" "pk" {
  name        = "tf-e2e-key"
  comment     = "signing key"
  encoded_key = file("${path.module}/public_key.pem")
}

resource "aws_cloudfront_key_group" "kg" {
  name    = "tf-e2e-signers"
  comment = "signers v${var.v}"
  items   = [aws_cloudfront_public_key.pk.id]
}

resource "aws_cloudfront_key_value_store" "fn_kvs" {
  name    = "tf-e2e-fn-store"
  comment = "read by tf-e2e-viewer-request"
}

resource "aws_cloudfront_function" "fn" {
  name                         = "tf-e2e-viewer-request"
  runtime                      = "cloudfront-js-2.0"
  comment                      = "viewer request v${var.v}"
  publish                      = true
  key_value_store_associations = [aws_cloudfront_key_value_store.fn_kvs.arn]
  code                         = <<-JS
    import cf from 'cloudfront';
    const kvs = cf.kvs();
    async function handler(event) {
      const request = event.request;
      request.headers['x-tf-function'] = { value: 'v${var.v}' };
      return request;
    }
  JS
}

resource "aws_cloudfront_realtime_log_config" "rt" {
  name          = "tf-e2e-realtime"
  sampling_rate = 10 * var.v
  fields        = ["timestamp", "c-ip", "cs-uri-stem", "sc-status"]
  endpoint {
    stream_type = "Kinesis"
    kinesis_stream_config {
      role_arn   = "arn:aws:iam::@ACCOUNT@:role/tf-e2e-realtime"
      stream_arn = "arn:aws:kinesis:us-east-1:@ACCOUNT@:stream/tf-e2e-realtime"
    }
  }
}

resource "aws_cloudfront_field_level_encryption_profile" "fle" {
  name    = "tf-e2e-fle-profile"
  comment = "fle profile v${var.v}"
  encryption_entities {
    items {
      public_key_id = aws_cloudfront_public_key.pk.id
      provider_id   = "tf-e2e-provider"
      field_patterns { items = ["card-number", "cvv"] }
    }
  }
}

resource "aws_cloudfront_field_level_encryption_config" "fle" {
  comment = "fle config v${var.v}"
  content_type_profile_config {
    forward_when_content_type_is_unknown = true
    content_type_profiles {
      items {
        content_type = "application/x-www-form-urlencoded"
        format       = "URLEncoded"
        profile_id   = aws_cloudfront_field_level_encryption_profile.fle.id
      }
    }
  }
  query_arg_profile_config {
    forward_when_query_arg_profile_is_unknown = true
  }
}

resource "aws_cloudfront_monitoring_subscription" "site" {
  distribution_id = aws_cloudfront_distribution.site.id
  monitoring_subscription {
    realtime_metrics_subscription_config {
      realtime_metrics_subscription_status = var.v == 1 ? "Enabled" : "Disabled"
    }
  }
}

# Continuous deployment: a staging copy that receives a share of the traffic of "prod"
# (Developer Guide, "Use CloudFront continuous deployment to safely test CDN configuration changes").
resource "aws_cloudfront_distribution" "staging" {
  enabled             = true
  staging             = true
  comment             = "tf-e2e staging v${var.v}"
  wait_for_deployment = false
  origin {
    origin_id   = "app"
    domain_name = "127.0.0.1"
    custom_origin_config {
      http_port              = @ORIGIN_PORT@
      https_port             = 443
      origin_protocol_policy = "http-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }
  default_cache_behavior {
    target_origin_id       = "app"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    viewer_protocol_policy = "allow-all"
    cache_policy_id        = "@CACHING_DISABLED@"
  }
  restrictions {
    geo_restriction { restriction_type = "none" }
  }
  viewer_certificate { cloudfront_default_certificate = true }
}

resource "aws_cloudfront_continuous_deployment_policy" "cd" {
  enabled = true
  staging_distribution_dns_names {
    items    = [aws_cloudfront_distribution.staging.domain_name]
    quantity = 1
  }
  traffic_config {
    type = var.v == 1 ? "SingleWeight" : "SingleHeader"
    dynamic "single_weight_config" {
      for_each = var.v == 1 ? [1] : []
      content {
        weight = "0.1"
        session_stickiness_config {
          idle_ttl    = 300
          maximum_ttl = 600
        }
      }
    }
    dynamic "single_header_config" {
      for_each = var.v == 1 ? [] : [1]
      content {
        header = "aws-cf-cd-staging"
        value  = "true"
      }
    }
  }
}

# The update disables prod, as before a teardown: its destroy then skips one 30 s wait.
resource "aws_cloudfront_distribution" "prod" {
  enabled                         = var.v == 1
  comment                         = "tf-e2e prod v${var.v}"
  continuous_deployment_policy_id = aws_cloudfront_continuous_deployment_policy.cd.id
  wait_for_deployment             = false
  origin {
    origin_id   = "app"
    domain_name = "127.0.0.1"
    custom_origin_config {
      http_port              = @ORIGIN_PORT@
      https_port             = 443
      origin_protocol_policy = "http-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }
  default_cache_behavior {
    target_origin_id       = "app"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    viewer_protocol_policy = "allow-all"
    cache_policy_id        = "@CACHING_DISABLED@"
  }
  restrictions {
    geo_restriction { restriction_type = "none" }
  }
  viewer_certificate { cloudfront_default_certificate = true }
  tags = { Name = "tf-e2e-prod" }
}

data "aws_cloudfront_distribution" "site" {
  id = aws_cloudfront_distribution.site.id
}
data "aws_cloudfront_cache_policy" "by_name" {
  name = aws_cloudfront_cache_policy.cp.name
}
data "aws_cloudfront_cache_policy" "managed" {
  name = "Managed-CachingOptimized"
}
data "aws_cloudfront_origin_request_policy" "managed" {
  name = "Managed-AllViewer"
}
data "aws_cloudfront_response_headers_policy" "managed" {
  name = "Managed-SecurityHeadersPolicy"
}

output "ids" {
  value = {
    site         = aws_cloudfront_distribution.site.id
    site_arn     = aws_cloudfront_distribution.site.arn
    site_domain  = aws_cloudfront_distribution.site.domain_name
    staging      = aws_cloudfront_distribution.staging.id
    prod         = aws_cloudfront_distribution.prod.id
    cd           = aws_cloudfront_continuous_deployment_policy.cd.id
    cp           = aws_cloudfront_cache_policy.cp.id
    orp          = aws_cloudfront_origin_request_policy.orp.id
    rhp          = aws_cloudfront_response_headers_policy.rhp.id
    oai          = aws_cloudfront_origin_access_identity.oai.id
    oai_path     = aws_cloudfront_origin_access_identity.oai.cloudfront_access_identity_path
    oac          = aws_cloudfront_origin_access_control.oac.id
    pk           = aws_cloudfront_public_key.pk.id
    kg           = aws_cloudfront_key_group.kg.id
    fn           = aws_cloudfront_function.fn.name
    fn_arn       = aws_cloudfront_function.fn.arn
    fn_kvs       = aws_cloudfront_key_value_store.fn_kvs.name
    rt           = aws_cloudfront_realtime_log_config.rt.arn
    fle_profile  = aws_cloudfront_field_level_encryption_profile.fle.id
    fle          = aws_cloudfront_field_level_encryption_config.fle.id
  }
}

output "data" {
  value = {
    site_domain   = data.aws_cloudfront_distribution.site.domain_name
    site_aliases  = sort(data.aws_cloudfront_distribution.site.aliases)
    site_enabled  = data.aws_cloudfront_distribution.site.enabled
    cp_by_name    = data.aws_cloudfront_cache_policy.by_name.id
    cp_by_name_ttl = data.aws_cloudfront_cache_policy.by_name.default_ttl
    managed_cache = data.aws_cloudfront_cache_policy.managed.id
    managed_orp   = data.aws_cloudfront_origin_request_policy.managed.id
    managed_rhp   = data.aws_cloudfront_response_headers_policy.managed.id
  }
}
''' + RHP_TF + DIST_TF

# A store with no comment (the argument is optional: AWS provider documentation,
# aws_cloudfront_key_value_store) and one key written through the cloudfront-keyvaluestore API.
KVS_TF = r'''
resource "aws_cloudfront_key_value_store" "kvs" {
  name = "tf-e2e-store"
}

resource "aws_cloudfrontkeyvaluestore_key" "greeting" {
  key_value_store_arn = aws_cloudfront_key_value_store.kvs.arn
  key                 = "greeting"
  value               = "hello v${var.v}"
}

output "kvs" {
  value = {
    arn  = aws_cloudfront_key_value_store.kvs.arn
    name = aws_cloudfront_key_value_store.kvs.name
  }
}
'''

# Lightsail's distribution on the instance "tfinstance" (--lightsail-origin maps it to the origin).
LIGHTSAIL_TF = r'''
resource "aws_lightsail_distribution" "ls" {
  name            = "tf-e2e-lightsail"
  bundle_id       = "small_1_0"
  ip_address_type = "dualstack"
  is_enabled      = true
  origin {
    name            = "tfinstance"
    region_name     = "us-east-1"
    protocol_policy = "http-only"
  }
  default_cache_behavior {
    behavior = "cache"
  }
  cache_behavior_settings {
    allowed_http_methods = "GET,HEAD,OPTIONS"
    cached_http_methods  = "GET,HEAD"
    default_ttl          = 3600 * var.v
    maximum_ttl          = 86400
    minimum_ttl          = 0
    forwarded_cookies {
      option = "none"
    }
    forwarded_headers {
      option             = "allow-list"
      headers_allow_list = ["Accept"]
    }
    forwarded_query_strings {
      option = false
    }
  }
  cache_behavior {
    behavior = "dont-cache"
    path     = "/api/*"
  }
  tags = { Name = "tf-e2e-lightsail", Version = "v${var.v}" }
}

output "ls" {
  value = {
    name        = aws_lightsail_distribution.ls.name
    domain_name = aws_lightsail_distribution.ls.domain_name
  }
}
'''


def _events(stdout):
    """The messages of terraform's -json output (one JSON object a line)."""
    for line in stdout.splitlines():
        try:
            yield json.loads(line)
        except ValueError:
            pass


def _human(stdout):
    """-json output as lines to read: each message, and each diagnostic's detail."""
    out = []
    for ev in _events(stdout):
        out.append(ev.get("@message", ""))
        diag = ev.get("diagnostic") or {}
        if diag.get("detail"):
            out.append("  " + diag["detail"])
    return "\n".join(out)


def hcl_string(s):
    return json.dumps(s)  # an HCL quoted string (no ${ or %{ in the values used here)


# --------------------------------------------------------------------------
# helpers: the origin and the forwarding proxy
# --------------------------------------------------------------------------

class _Origin(http.server.ThreadingHTTPServer):
    """A loopback origin: answers 200 "origin <path>" (404 under /missing), and keeps each path's last
    request headers (lower-cased names)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _OriginHandler)
        self.seen = {}
        self.lock = threading.Lock()

    @property
    def port(self):
        return self.server_address[1]


class _OriginHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = self.path.split("?")[0]
        with self.server.lock:
            self.server.seen[path] = {k.lower(): v for k, v in self.headers.items()}
        status, body = 200, ("origin %s\n" % path).encode()
        if path.startswith("/missing"):
            status, body = 404, b"no such object\n"
        elif path == "/errors/404.html":
            body = b"the friendly not-found page\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Cache-Control", "max-age=60")
        self.send_header("X-Internal", "origin-only")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


class _Proxy(http.server.ThreadingHTTPServer):
    """Terraform's HTTP_PROXY and HTTPS_PROXY. Forwards absolute-form requests for
    <anything>.127.0.0.1:<api port> (the cloudfront-keyvaluestore client's host) to the API, Host header
    and signature unchanged; refuses everything else with 403 and records it in `refused`."""

    daemon_threads = True

    def __init__(self, api_port):
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.api_port = api_port
        self.forwarded = []
        self.refused = []
        self.lock = threading.Lock()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


class _ProxyHandler(http.server.BaseHTTPRequestHandler):

    def _refuse(self):
        with self.server.lock:
            self.server.refused.append("%s %s" % (self.command, self.path))
        self.send_error(403, "the terraform e2e proxy forwards to the OpenFront API only")

    def do_CONNECT(self):
        self._refuse()

    def _forward(self):
        u = urllib.parse.urlsplit(self.path)
        if u.scheme != "http" or u.port != self.server.api_port or not (u.hostname or "").endswith(".127.0.0.1"):
            return self._refuse()
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        conn = http.client.HTTPConnection("127.0.0.1", self.server.api_port, timeout=60)
        try:
            conn.request(self.command, u.path + ("?" + u.query if u.query else ""), body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
        finally:
            conn.close()
        with self.server.lock:
            self.server.forwarded.append("%s %s -> %d" % (self.command, u.path, r.status))
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _forward

    def log_message(self, *args):
        pass


# --------------------------------------------------------------------------
# the tests
# --------------------------------------------------------------------------

class TestTerraform(ServerTestCase):
    """One server; each test drives its own Terraform root modules in the server's temp dir."""

    @classmethod
    def setUpClass(cls):
        reason = _skip_reason()
        if reason:
            raise unittest.SkipTest("terraform tests skipped: " + reason)
        cls.origin = _Origin()
        threading.Thread(target=cls.origin.serve_forever, daemon=True).start()
        cls.work = tempfile.mkdtemp(prefix="openfront-tf-")
        if not os.environ.get("OPENFRONT_E2E_KEEP"):
            cls.addClassCleanup(shutil.rmtree, cls.work, True)
        cert_dir = os.path.join(cls.work, "certs")
        os.makedirs(cert_dir)
        # README, Certificate: the ARN with ':' written '_' and '/' written '+'.
        _put_certificate(os.path.join(cert_dir, CERT_ARN.replace(":", "_").replace("/", "+")), "*." + ZONE)
        dead = "http://127.0.0.1:%d" % free_port()  # real-time logs and S3 stay on loopback
        cls.server_kwargs = {"extra_args": [
            "--lightsail-origin", "tfinstance=127.0.0.1:%d" % cls.origin.port,
            "--certificate-dir", cert_dir,
            "--kinesis-endpoint", dead, "--s3-endpoint", dead,
            "--access-log-dir", os.path.join(cls.work, "access-logs")]}
        try:
            super().setUpClass()
        except BaseException:
            cls.origin.shutdown()
            raise
        cls.proxy = _Proxy(cls.server.api_port)
        threading.Thread(target=cls.proxy.serve_forever, daemon=True).start()
        sess = boto3.session.Session(aws_access_key_id=cls.server.access_key,
                                     aws_secret_access_key=cls.server.secret_key, region_name=REGION)
        cfg = Config(retries={"total_max_attempts": 1}, read_timeout=30)
        cls.ls = sess.client("lightsail", endpoint_url=cls.server.endpoint, config=cfg)
        cls.kvs = sess.client("cloudfront-keyvaluestore", endpoint_url=cls.server.endpoint,
                              # the API as the proxy (see test_key_value_store.py): the test
                              # proxy's log then holds Terraform's requests only
                              config=Config(signature_version="v4", proxies={"http": cls.server.endpoint},
                                            retries={"total_max_attempts": 1}, read_timeout=30))
        cls.cli_config = os.path.join(cls.work, "terraform.rc")
        with open(cls.cli_config, "w") as f:
            # Terraform, "CLI Configuration File", provider_installation: the AWS provider comes
            # from the mirror, never from its registry (the configurations need no other provider).
            f.write('provider_installation {\n'
                    '  filesystem_mirror {\n'
                    '    path    = %s\n'
                    '    include = ["%s"]\n'
                    '  }\n'
                    '  direct {\n'
                    '    exclude = ["%s"]\n'
                    '  }\n'
                    '}\n'
                    'disable_checkpoint = true\n' % (hcl_string(PLUGINS), AWS_PROVIDER, AWS_PROVIDER))
        cls.home = os.path.join(cls.work, "home")
        os.makedirs(cls.home)
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            for s in ("proxy", "origin"):
                if hasattr(cls, s):
                    getattr(cls, s).shutdown()
                    getattr(cls, s).server_close()

    # -- terraform --

    def env(self, workdir):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "TF_", "CHECKPOINT_"))
             and k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy")}
        e.update({
            "HOME": self.home,  # no ~/.terraformrc, ~/.terraform.d or ~/.aws of the user's
            "TF_CLI_CONFIG_FILE": self.cli_config,
            "TF_DATA_DIR": os.path.join(workdir, ".terraform-data"),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            "AWS_CONFIG_FILE": os.path.join(self.home, "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.home, "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "HTTP_PROXY": self.proxy.url, "HTTPS_PROXY": self.proxy.url,
            "http_proxy": self.proxy.url, "https_proxy": self.proxy.url,
        })
        return e

    def module(self, name, text, files=None, subs=None):
        """Writes a root module (the provider block + text, @NAME@ filled in) and other files in a
        directory of its own, and runs terraform init there."""
        d = os.path.join(self.work, name)
        os.makedirs(d)
        text = PROVIDER_TF + text
        subs = dict(subs or {})
        subs.update({
            "@VERSION@": AWS_PROVIDER_VERSION, "@API@": self.server.endpoint,
            "@ACCESS_KEY@": self.server.access_key, "@SECRET_KEY@": self.server.secret_key,
            "@ORIGIN_PORT@": str(self.origin.port), "@ZONE@": ZONE, "@CERT_ARN@": CERT_ARN,
            "@ACCOUNT@": ACCOUNT_ID, "@CACHING_DISABLED@": MANAGED_CACHING_DISABLED})
        for k, v in subs.items():
            text = text.replace(k, v)
        self.assertNotRegex(text, r"@[A-Z_]+@", "a placeholder left in the %s configuration" % name)
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write(text)
        for fname, content in (files or {}).items():
            with open(os.path.join(d, fname), "w") as f:
                f.write(content)
        self.tf(d, "init", "-input=false")
        return d

    def tf(self, workdir, *args, codes=(0,)):
        """Runs `terraform <args>` in workdir; asserts its exit code is in codes; returns the
        CompletedProcess. Each command's output is kept in a numbered log file beside the modules."""
        cls = type(self)
        cls.n += 1
        cmd = [TERRAFORM, args[0], "-no-color"] + list(args[1:])
        t0 = time.time()
        p = subprocess.run(cmd, cwd=workdir, env=self.env(workdir), capture_output=True, text=True,
                           timeout=COMMAND_TIMEOUT, stdin=subprocess.DEVNULL)
        took = time.time() - t0
        log = os.path.join(self.work, "%02d-%s-%s.log" % (cls.n, os.path.basename(workdir), args[0]))
        with open(log, "w") as f:
            f.write("$ terraform %s  (in %s, %.1f s, exit %d)\n%s\n--- stderr ---\n%s" % (
                " ".join(cmd[1:]), workdir, took, p.returncode, p.stdout, p.stderr))
        if p.returncode not in codes:
            out = _human(p.stdout) if "-json" in args else p.stdout
            self.fail("terraform %s in %s: exit %d (wanted %s) after %.1f s\n--- stdout (tail) ---\n%s\n"
                      "--- stderr ---\n%s\n--- requests the proxy refused ---\n%s" % (
                          " ".join(args), os.path.basename(workdir), p.returncode, codes, took,
                          out[-6000:], p.stderr[-6000:], self.proxy.refused))
        return p

    def apply(self, d, v):
        return self.tf(d, "apply", "-input=false", "-auto-approve", "-var", "v=%d" % v)

    def assertNoDiff(self, d, v, what):
        """terraform plan -detailed-exitcode exits 0: "Succeeded with empty diff (no changes)"
        (Terraform documentation, "Command: plan")."""
        p = self.tf(d, "plan", "-input=false", "-detailed-exitcode", "-var", "v=%d" % v, codes=(0, 1, 2))
        if p.returncode != 0:
            self.fail("%s: terraform plan -detailed-exitcode exited %d, not 0 (no changes)\n%s\n%s" % (
                what, p.returncode, p.stdout[-8000:], p.stderr[-4000:]))

    def update_in_place(self, d, v):
        """Applies v and checks from the planned_change messages of its machine-readable output
        (Terraform documentation, "Machine-readable UI") that every change was an in-place update.
        Returns the addresses updated."""
        p = self.tf(d, "apply", "-json", "-input=false", "-auto-approve", "-var", "v=%d" % v)
        actions = {}
        for ev in _events(p.stdout):
            if ev.get("type") == "planned_change":
                actions[ev["change"]["resource"]["addr"]] = ev["change"]["action"]
        actions = {a: act for a, act in actions.items() if act not in ("noop", "read")}
        self.assertTrue(actions, "the v=%d configuration changed nothing" % v)
        self.assertEqual({a: "update" for a in actions}, actions, "not every change was in place")
        return sorted(actions)

    def outputs(self, d):
        return {k: v["value"] for k, v in json.loads(self.tf(d, "output", "-json").stdout).items()}

    # -- checks --

    def edge_get(self, host, path):
        """GET through the edge port with Host: host (urllib; no proxy). Returns (status, headers, body)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.server.edge_port, path), headers={"Host": host})
        try:
            with opener.open(req, timeout=10) as r:
                return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    def assertGone(self, what, fn, **kwargs):
        try:
            fn(**kwargs)
        except ClientError as e:
            status = e.response["ResponseMetadata"]["HTTPStatusCode"]
            self.assertEqual(status, 404, "%s: %s" % (what, e))
            return
        self.fail("%s still exists after terraform destroy" % what)

    def assertNothingLeftLoopback(self):
        self.assertEqual(self.proxy.refused, [], "terraform tried to reach something other than OpenFront")

    # -- CloudFront --

    def test_cloudfront_lifecycle(self):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        d = self.module("cloudfront", CLOUDFRONT_TF, files={"public_key.pem": pem}, subs=DIST_REFS)

        # apply, then no diff
        self.apply(d, 1)
        self.assertNoDiff(d, 1, "after the first apply")
        out = self.outputs(d)
        ids, data = out["ids"], out["data"]

        # the data sources read what was created, and the managed policies by name
        self.assertEqual(data["site_domain"], ids["site_domain"])
        self.assertEqual(data["site_aliases"], ["www." + ZONE])
        self.assertTrue(data["site_enabled"])
        self.assertEqual((data["cp_by_name"], data["cp_by_name_ttl"]), (ids["cp"], 60))
        self.assertEqual((data["managed_cache"], data["managed_orp"], data["managed_rhp"]),
                         (MANAGED_CACHING_OPTIMIZED, MANAGED_ALL_VIEWER, MANAGED_SECURITY_HEADERS))

        # what CloudFront holds, through boto3
        site = self.cf.get_distribution(Id=ids["site"])["Distribution"]
        self.assertEqual(site["Status"], "Deployed")
        cfg = site["DistributionConfig"]
        self.assertEqual(cfg["Comment"], "tf-e2e site v1")
        self.assertEqual(cfg["OriginGroups"]["Quantity"], 1)
        self.assertEqual([b["PathPattern"] for b in cfg["CacheBehaviors"]["Items"]],
                         ["/private/*", "/static/*", "/forms/*"])
        self.assertEqual(cfg["DefaultCacheBehavior"]["FunctionAssociations"]["Items"][0]["FunctionARN"], ids["fn_arn"])
        self.assertEqual(cfg["CacheBehaviors"]["Items"][0]["TrustedKeyGroups"]["Items"], [ids["kg"]])
        tags = {t["Key"]: t["Value"] for t in self.cf.list_tags_for_resource(Resource=ids["site_arn"])["Tags"]["Items"]}
        self.assertEqual(tags, {"ManagedBy": "terraform-e2e", "Name": "tf-e2e-site", "Version": "v1"})
        self.assertEqual(self.cf.get_monitoring_subscription(DistributionId=ids["site"])["MonitoringSubscription"]
                         ["RealtimeMetricsSubscriptionConfig"]["RealtimeMetricsSubscriptionStatus"], "Enabled")
        prod = self.cf.get_distribution_config(Id=ids["prod"])["DistributionConfig"]
        self.assertEqual(prod["ContinuousDeploymentPolicyId"], ids["cd"])
        self.assertTrue(self.cf.get_distribution_config(Id=ids["staging"])["DistributionConfig"]["Staging"])
        fn = self.cf.describe_function(Name=ids["fn"], Stage="LIVE")["FunctionSummary"]
        self.assertEqual(fn["FunctionConfig"]["Runtime"], "cloudfront-js-2.0")

        # the edge serves it
        self.assertEdgeServes(ids["site_domain"], "v1")

        # in-place update, then no diff
        changed = self.update_in_place(d, 2)
        for address in ("aws_cloudfront_distribution.site", "aws_cloudfront_response_headers_policy.rhp",
                        "aws_cloudfront_function.fn", "aws_cloudfront_continuous_deployment_policy.cd",
                        "aws_cloudfront_monitoring_subscription.site", "aws_cloudfront_cache_policy.cp",
                        "aws_cloudfront_distribution.prod"):
            self.assertIn(address, changed)
        self.assertNoDiff(d, 2, "after the in-place update")
        out = self.outputs(d)
        ids2, data2 = out["ids"], out["data"]
        self.assertEqual(ids2, ids, "an in-place update changed an id")
        self.assertEqual(data2["site_aliases"], sorted(["www." + ZONE, "cdn." + ZONE]))
        self.assertEqual(self.cf.get_distribution_config(Id=ids["site"])["DistributionConfig"]["Comment"],
                         "tf-e2e site v2")
        self.assertFalse(self.cf.get_distribution_config(Id=ids["prod"])["DistributionConfig"]["Enabled"])
        self.assertEqual(self.cf.get_continuous_deployment_policy(Id=ids["cd"])["ContinuousDeploymentPolicy"]
                         ["ContinuousDeploymentPolicyConfig"]["TrafficConfig"]["Type"], "SingleHeader")
        tags = {t["Key"]: t["Value"] for t in self.cf.list_tags_for_resource(Resource=ids["site_arn"])["Tags"]["Items"]}
        self.assertEqual(tags["Version"], "v2")
        self.assertEdgeServes(ids["site_domain"], "v2")

        # import the distribution and the response headers policy into a fresh state: no diff
        literal = {k: hcl_string(ids[name]) for k, name in (
            ("@CP@", "cp"), ("@ORP@", "orp"), ("@RHP@", "rhp"), ("@FN@", "fn_arn"), ("@KG@", "kg"),
            ("@RT@", "rt"), ("@FLE@", "fle"), ("@OAI_PATH@", "oai_path"), ("@OAC@", "oac"))}
        imp = self.module("cloudfront-import", RHP_TF + DIST_TF, subs=literal)
        self.tf(imp, "import", "-input=false", "-var", "v=2", "aws_cloudfront_response_headers_policy.rhp", ids["rhp"])
        self.tf(imp, "import", "-input=false", "-var", "v=2", "aws_cloudfront_distribution.site", ids["site"])
        self.assertNoDiff(imp, 2, "after terraform import into a fresh state")

        # destroy; boto3 finds none of it
        self.tf(d, "destroy", "-input=false", "-auto-approve", "-var", "v=2")
        cf = self.cf
        for what, fn, kw in (
                ("distribution site", cf.get_distribution, {"Id": ids["site"]}),
                ("distribution prod", cf.get_distribution, {"Id": ids["prod"]}),
                ("distribution staging", cf.get_distribution, {"Id": ids["staging"]}),
                ("monitoring subscription", cf.get_monitoring_subscription, {"DistributionId": ids["site"]}),
                ("continuous deployment policy", cf.get_continuous_deployment_policy, {"Id": ids["cd"]}),
                ("cache policy", cf.get_cache_policy, {"Id": ids["cp"]}),
                ("origin request policy", cf.get_origin_request_policy, {"Id": ids["orp"]}),
                ("response headers policy", cf.get_response_headers_policy, {"Id": ids["rhp"]}),
                ("origin access identity", cf.get_cloud_front_origin_access_identity, {"Id": ids["oai"]}),
                ("origin access control", cf.get_origin_access_control, {"Id": ids["oac"]}),
                ("public key", cf.get_public_key, {"Id": ids["pk"]}),
                ("key group", cf.get_key_group, {"Id": ids["kg"]}),
                ("function", cf.describe_function, {"Name": ids["fn"]}),
                ("key value store", cf.describe_key_value_store, {"Name": ids["fn_kvs"]}),
                ("realtime log config", cf.get_realtime_log_config, {"ARN": ids["rt"]}),
                ("field-level encryption config", cf.get_field_level_encryption, {"Id": ids["fle"]}),
                ("field-level encryption profile", cf.get_field_level_encryption_profile, {"Id": ids["fle_profile"]})):
            self.assertGone(what, fn, **kw)
        listed = [x["Id"] for x in cf.list_distributions()["DistributionList"].get("Items", [])]
        self.assertEqual([i for i in (ids["site"], ids["prod"], ids["staging"]) if i in listed], [])
        self.assertNothingLeftLoopback()

    def assertEdgeServes(self, domain, version):
        """The site's domain name through the edge port: the origin's object with the response headers
        policy's header, the viewer-request function's header at the origin, the custom error page, and
        403 for an unsigned request to the trusted-key-group behaviour."""
        path = "/tf/%s/page.txt" % version
        status, headers, body = self.edge_get(domain, path)
        self.assertEqual((status, body), (200, ("origin %s\n" % path).encode()), headers)
        self.assertEqual(headers.get("x-tf-policy"), version, headers)
        self.assertNotIn("x-internal", headers)  # remove_headers_config
        self.assertEqual(headers.get("x-frame-options"), "DENY", headers)
        seen = self.origin.seen.get(path, {})
        self.assertEqual(seen.get("x-tf-function"), version, "the origin request's headers: %r" % seen)
        self.assertEqual(seen.get("x-origin-secret"), "secret-" + version, seen)
        status, headers, body = self.edge_get(domain, "/missing/%s" % version)
        self.assertEqual((status, body), (200, b"the friendly not-found page\n"), headers)
        # Developer Guide, "Serve private content with signed URLs and signed cookies": a behaviour
        # with trusted key groups refuses a request without a signature (403).
        status, headers, body = self.edge_get(domain, "/private/%s/report.pdf" % version)
        self.assertEqual(status, 403, (headers, body[:300]))
        self.assertNotIn("/private/%s/report.pdf" % version, self.origin.seen)

    # -- KeyValueStore --

    def test_key_value_store_and_key(self):
        d = self.module("keyvaluestore", KVS_TF)
        self.apply(d, 1)
        self.assertNoDiff(d, 1, "after the first apply")
        kvs = self.outputs(d)["kvs"]
        self.assertEqual(self.kvs.get_key(KvsARN=kvs["arn"], Key="greeting")["Value"], "hello v1")
        self.assertEqual(self.update_in_place(d, 2), ["aws_cloudfrontkeyvaluestore_key.greeting"])
        self.assertNoDiff(d, 2, "after the in-place update")
        self.assertEqual(self.kvs.get_key(KvsARN=kvs["arn"], Key="greeting")["Value"], "hello v2")
        self.assertTrue(any(" /key-value-stores/" in f for f in self.proxy.forwarded), self.proxy.forwarded)
        self.tf(d, "destroy", "-input=false", "-auto-approve", "-var", "v=2")
        self.assertGone("key value store", self.cf.describe_key_value_store, Name=kvs["name"])
        self.assertNothingLeftLoopback()

    # -- Lightsail --

    def test_lightsail_distribution(self):
        d = self.module("lightsail", LIGHTSAIL_TF)
        self.apply(d, 1)
        self.assertNoDiff(d, 1, "after the first apply")
        ls = self.outputs(d)["ls"]
        got = self.ls.get_distributions(distributionName=ls["name"])["distributions"][0]
        self.assertEqual({t["key"]: t.get("value") for t in got.get("tags", [])},
                         {"ManagedBy": "terraform-e2e", "Name": "tf-e2e-lightsail", "Version": "v1"})
        status, _, body = self.edge_get(ls["domain_name"], "/hello")
        self.assertEqual((status, body), (200, b"origin /hello\n"))

        # a tag change and a cache setting change (TagResource, UpdateDistribution)
        self.update_in_place(d, 2)
        self.assertNoDiff(d, 2, "after the in-place update")
        got = self.ls.get_distributions(distributionName=ls["name"])["distributions"][0]
        self.assertEqual({t["key"]: t.get("value") for t in got.get("tags", [])},
                         {"ManagedBy": "terraform-e2e", "Name": "tf-e2e-lightsail", "Version": "v2"})
        self.assertEqual(got["cacheBehaviorSettings"]["defaultTTL"], 7200)

        self.tf(d, "destroy", "-input=false", "-auto-approve", "-var", "v=2")
        try:
            self.ls.get_distributions(distributionName=ls["name"])
            self.fail("the Lightsail distribution still exists after terraform destroy")
        except ClientError as e:
            self.assertEqual(e.response["Error"]["Code"], "NotFoundException", e)
        self.assertNothingLeftLoopback()
