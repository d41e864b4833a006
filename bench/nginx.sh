# bench/nginx.sh, sourced by bench/run.sh and bench/tls.sh: the nginx both
# compare OpenFront with, configured in one place so that both measure the
# same peer.
#
# write_nginx_conf DIR ORIGIN_PORT HTTP_PORT [HTTPS_PORT CERT KEY] writes
# DIR/nginx.conf: one worker, proxy_cache (files under DIR/cache) in front
# of the origin on ORIGIN_PORT with upstream keep-alive, access log off,
# listening on HTTP_PORT; with HTTPS_PORT, also TLS 1.3 and HTTP/2 there
# with CERT and KEY, session cache and tickets on.
write_nginx_conf() {
  local dir=$1 origin=$2 http=$3 https=${4:-} cert=${5:-} key=${6:-}
  local user="" h2="" tls="" listen_tls=""
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
  upstream origin { server 127.0.0.1:$origin; keepalive 32; }$tls
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
      add_header X-Cache-Status \$upstream_cache_status;
    }
  }
}
CONF
}
