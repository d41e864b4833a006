# bench/nginx.sh, sourced by bench/run.sh and bench/tls.sh: the nginx both
# compare OpenFront with, configured in one place so that both measure the
# same peer.
#
# write_nginx_conf DIR ORIGIN_PORT HTTP_PORT [HTTPS_PORT CERT KEY] writes
# DIR/nginx.conf: one worker, proxy_cache (files under DIR/cache) in front
# of the origin on ORIGIN_PORT with upstream keep-alive, access log off,
# listening on HTTP_PORT; with HTTPS_PORT, also TLS 1.3 and HTTP/2 there
# with CERT and KEY, session cache and tickets on. With CLOUDFRONT_HEADERS=1
# in the environment, nginx also sends the headers CloudFront sends (see
# cloudfront_headers below).
write_nginx_conf() {
  local dir=$1 origin=$2 http=$3 https=${4:-} cert=${5:-} key=${6:-}
  local user="" h2="" tls="" listen_tls="" cf_map="" cf_loc="" status_header='add_header X-Cache-Status $upstream_cache_status;'
  if [ "${CLOUDFRONT_HEADERS:-}" = 1 ]; then
    cloudfront_headers
    status_header=""
  fi
  [ "$(id -u)" -eq 0 ] && user="user root;"
  if [ -n "$https" ]; then
    h2="
  http2_max_requests 1000000;"
    tls="
  ssl_certificate $cert;
  ssl_certificate_key $key;
  ssl_protocols TLSv1.3;
  ssl_session_cache shared:SSL:10m;
  ssl_session_tickets on;"
    listen_tls="
    listen 127.0.0.1:$https ssl http2;"
  fi
  mkdir -p "$dir/cache" "$dir/tmp"
  cat >"$dir/nginx.conf" <<CONF
$user
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;$h2
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  proxy_cache_path $dir/cache levels=1:2 keys_zone=bench:64m max_size=8g inactive=1h use_temp_path=off;
  upstream origin { server 127.0.0.1:$origin; keepalive 32; }$tls$cf_map
  server {
    listen 127.0.0.1:$http;$listen_tls
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache bench;
      proxy_cache_key \$host\$request_uri;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 30s;
      $status_header$cf_loc
    }
  }
}
CONF
}

# cloudfront_headers sets cf_map and cf_loc (write_nginx_conf's locals):
# nginx directives that make its requests to the origin and its responses
# to the viewer carry the headers OpenFront sends as CloudFront does, with
# values of the same lengths: User-Agent, Accept-Encoding, X-Forwarded-For,
# Via and a 56-character X-Amz-Cf-Id to the origin; Via, X-Amz-Cf-Id,
# X-Amz-Cf-Pop and X-Cache to the viewer ("Request and response behavior
# for custom origins" in the CloudFront Developer Guide). The load
# generator then parses as many bytes from either server, so a fill
# compares the servers rather than the headers (bench/FILL-RESULTS.md).
cloudfront_headers() {
  local via='"1.1 3e3597ea7cbae9df39a411510490e27e.cloudfront.net (CloudFront)"'
  cf_map="
  map \$request_id \$cf_id { \"~^(?<h>.{24})\" \"\${request_id}\${h}\"; }"
  cf_loc="
      proxy_set_header User-Agent \"Amazon CloudFront\";
      proxy_set_header Accept-Encoding gzip;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_set_header Via $via;
      proxy_set_header X-Amz-Cf-Id \$cf_id;
      add_header Via $via;
      add_header X-Amz-Cf-Id \$cf_id;
      add_header X-Amz-Cf-Pop LOC1-C1;
      add_header X-Cache \"Miss from cloudfront\";"
}
