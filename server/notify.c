/* notify.c - systemd's notification protocol: one datagram per message (see notify.h). */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"

bool notify_send(const char *message, char **err)
{
	const char *name = getenv("NOTIFY_SOCKET");
	if (name == NULL || name[0] == '\0')
		return true;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	size_t len = strlen(name);
	if (name[0] != '/' && name[0] != '@') {
		*err = xasprintf("NOTIFY_SOCKET \"%s\" is neither an absolute path nor an abstract name (@...)", name);
		return false;
	}
	/* a path needs room for its terminating NUL; an abstract name is counted, not terminated */
	if (len >= sizeof sa.sun_path || (name[0] == '@' && len < 2)) {
		*err = xasprintf("NOTIFY_SOCKET is %zu bytes: not a usable socket address", len);
		return false;
	}
	memcpy(sa.sun_path, name, len);
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	else
		salen++;

	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*err = xasprintf("cannot make a socket for NOTIFY_SOCKET: %s", strerror(errno));
		return false;
	}
	ssize_t n = sendto(fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	int e = errno;
	close(fd);
	if (n < 0) {
		*err = xasprintf("cannot notify %s: %s", name, strerror(e));
		return false;
	}
	return true;
}

unsigned long long notify_monotonic_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000ull;
}
