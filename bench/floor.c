// bench/floor.c: the floor of "server CPU us/req" for a 1 KiB hit on this
// machine. A one-thread epoll server (edge-triggered, one recv and one
// send per ready connection, as fastpath's epoll loop) that answers every
// request head it reads with one canned response of OpenFront's size (a
// CloudFront-like head and 1 KiB of body): no parsing, no cache, no
// clock. bench/URING-RESULTS.md and bench/EPOLL-RESULTS.md compare it with
// OpenFront and nginx.
// Build: gcc -O2 -o /tmp/floor bench/floor.c; run: taskset -c 1 /tmp/floor PORT [nested].
// With "nested" it waits as OpenFront's loop does: it polls its set with a
// zero timeout and, when that finds nothing, blocks on a second epoll set
// that holds the first (edge-triggered, as Go's netpoller holds the loop's).
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
static char resp[2048]; static int resplen;
int main(int argc, char **argv) {
  int port = atoi(argv[1]), nested = argc > 2 && strcmp(argv[2], "nested") == 0;
  char body[1024]; memset(body, 'x', sizeof body);
  resplen = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nDate: Sun, 06 Dec 2026 16:00:00 GMT\r\nLast-Modified: Sun, 06 Dec 2026 15:00:00 GMT\r\nETag: \"abcdef0123456789\"\r\nCache-Control: max-age=3600\r\nContent-Length: 1024\r\nAge: 12\r\nVia: 1.1 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)\r\nX-Amz-Cf-Id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\r\nX-Amz-Cf-Pop: LOCAL1\r\nX-Cache: Hit from cloudfront\r\n\r\n");
  memcpy(resp + resplen, body, 1024); resplen += 1024;
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)}; a.sin_addr.s_addr = htonl(0x7f000001);
  bind(ls, (void*)&a, sizeof a); listen(ls, 1024);
  int ep = epoll_create1(0), outer = epoll_create1(0);
  struct epoll_event oe = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.fd = ep};
  if (nested) epoll_ctl(outer, EPOLL_CTL_ADD, ep, &oe);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}; epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  struct epoll_event evs[128], x[4]; char buf[8192];
  for (;;) {
    int n = epoll_wait(ep, evs, 128, nested ? 0 : -1);
    if (n == 0) { epoll_wait(outer, x, 4, 0); epoll_wait(outer, x, 4, -1); continue; } // Go's scheduler: a look, then the block
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == ls) { int c; while ((c = accept4(ls, 0, 0, SOCK_NONBLOCK)) >= 0) { setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = c}; epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);} continue; }
      ssize_t r = recv(fd, buf, sizeof buf, 0);
      if (r <= 0) { close(fd); continue; }
      int k = 0; for (ssize_t j = 3; j < r; j++) if (buf[j]=='\n' && buf[j-1]=='\r' && buf[j-2]=='\n' && buf[j-3]=='\r') k++;
      char out[65536]; int o = 0; for (int j = 0; j < k && o + resplen < (int)sizeof out; j++) { memcpy(out+o, resp, resplen); o += resplen; }
      if (o) send(fd, out, o, MSG_NOSIGNAL);
    }
  }
}
