/* http.h - the plain HTTP listener on localhost: /healthz and Prometheus /metrics (metrics.c says
 * what they answer), with a connection cap and a whole-connection deadline. */
#ifndef PLANREG_HTTP_H
#define PLANREG_HTTP_H

#include <stdbool.h>
#include <stdint.h>

struct server;

/* What the HTTP listener counts (planregd_http_refused_total{reason}). */
struct http_metrics {
	uint64_t refused_full; /* closed at accept: http_max_connections were open, none idle */
	uint64_t evicted;      /* idle ones closed to make room for a newcomer */
	uint64_t deadlines;    /* closed at http_timeout_ms, the request or its answer unfinished */
	uint64_t too_large;    /* a request head over 8 KiB */
	uint64_t bad_requests; /* not an HTTP/1.x request line */
};

/* Binds cfg->http_addr:http_port (unless the port is -1); sets srv->http_port. */
bool http_start(struct server *srv, char **err) __attribute__((warn_unused_result));
void http_stop(struct server *srv);

#endif
