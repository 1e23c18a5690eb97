/* http.h - the plain HTTP listener on localhost: /healthz and Prometheus /metrics. */
#ifndef PLANREG_HTTP_H
#define PLANREG_HTTP_H

#include <stdbool.h>

struct server;

/* Binds cfg->http_addr:http_port (unless the port is -1); sets srv->http_port. */
bool http_start(struct server *srv, char **err) __attribute__((warn_unused_result));
void http_stop(struct server *srv);

#endif
