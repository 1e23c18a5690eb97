/* metrics.h - the answers of /healthz and /metrics, written into a buffer (http.c serves them). */
#ifndef PLANREG_METRICS_H
#define PLANREG_METRICS_H

#include <event2/buffer.h>

struct server;

/* Writes the health text; returns the HTTP status (200 healthy, 503 not). */
int metrics_healthz(const struct server *srv, struct evbuffer *out);
/* Writes every counter in Prometheus' text format (version 0.0.4). */
void metrics_write(const struct server *srv, struct evbuffer *out);

#endif
