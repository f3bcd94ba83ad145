/*
 * ingest.c - UDP sockets and recvmmsg batches.  See ingest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ingest.h"

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

struct batch_priv {
	struct mmsghdr		 mm[INGEST_BATCH];
	struct iovec		 iov[INGEST_BATCH];
	struct sockaddr_storage	 from[INGEST_BATCH];
	char			 ctl[INGEST_BATCH][CMSG_SPACE(sizeof(uint32_t))];
	uint8_t			*bufs;
};

const char *
ingest_listen_str(const struct cfg_listen *la, char *buf, size_t len)
{
	char a[64];

	flow_addr_str(&la->addr, a, sizeof(a));
	if (la->addr.af == 6)
		snprintf(buf, len, "[%s]:%u", a, la->port);
	else
		snprintf(buf, len, "%s:%u", a, la->port);
	return buf;
}

int
ingest_open(const struct cfg_listen *la, uint32_t rcvbuf, int reuseport,
    uint32_t *rcvbuf_got, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char name[80];
	int fd, one = 1, got = 0;
	socklen_t gl = sizeof(got);

	ingest_listen_str(la, name, sizeof(name));
	memset(&ss, 0, sizeof(ss));
	if (la->addr.af == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(la->port);
		memcpy(&s6->sin6_addr, la->addr.a, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(la->port);
		memcpy(&s4->sin_addr, la->addr.a, 4);
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "listen %s: socket: %s", name,
		    strerror(errno));
		return -1;
	}
	if (la->addr.af == 6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) == -1) {
		snprintf(err, errlen, "listen %s: SO_REUSEPORT: %s", name,
		    strerror(errno));
		goto fail;
	}
	if (rcvbuf > 0) {
		int want = rcvbuf > INT32_MAX / 2 ? INT32_MAX / 2 : (int)rcvbuf;

		/* FORCE ignores rmem_max but needs CAP_NET_ADMIN. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want,
		    sizeof(want)) == -1)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want,
			    sizeof(want));
	}
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0 && got > 0)
		*rcvbuf_got = (uint32_t)got / 2;	/* kernel doubles it */
	else
		*rcvbuf_got = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1) {
		snprintf(err, errlen, "listen %s: bind: %s", name,
		    strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

struct ingest_batch *
ingest_batch_new(void)
{
	struct ingest_batch *b;
	struct batch_priv *p;
	int i;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	b->priv = p;
	if ((p->bufs = malloc((size_t)INGEST_BATCH * INGEST_BUFSZ)) == NULL)
		goto fail;
	for (i = 0; i < INGEST_BATCH; i++) {
		b->msg[i].buf = p->bufs + (size_t)i * INGEST_BUFSZ;
		p->iov[i].iov_base = b->msg[i].buf;
		p->iov[i].iov_len = INGEST_BUFSZ;
	}
	return b;
fail:
	ingest_batch_free(b);
	return NULL;
}

void
ingest_batch_free(struct ingest_batch *b)
{
	struct batch_priv *p;

	if (b == NULL)
		return;
	if ((p = b->priv) != NULL) {
		free(p->bufs);
		free(p);
	}
	free(b);
}

int
ingest_source(const struct sockaddr_storage *ss, struct flow_addr *a,
    uint16_t *port)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	static const uint8_t zero[16];

	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		flow_addr_set4(a, (const uint8_t *)&s4->sin_addr);
		*port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		const uint8_t *p = (const uint8_t *)&s6->sin6_addr;

		if (memcmp(p, mapped, 12) == 0)
			flow_addr_set4(a, p + 12);
		else
			flow_addr_set6(a, p);
		*port = ntohs(s6->sin6_port);
	} else
		return -1;
	if (*port == 0)
		return -1;
	if (a->af == 4) {
		if (memcmp(a->a, zero, 4) == 0 || a->a[0] >= 224)
			return -1;	/* unspecified, multicast, class E, bcast */
	} else {
		if (memcmp(a->a, zero, 16) == 0 || a->a[0] == 0xff)
			return -1;	/* unspecified, multicast */
	}
	return 0;
}

int
ingest_recv(int fd, struct ingest_batch *b)
{
	struct batch_priv *p = b->priv;
	struct cmsghdr *cm;
	int i, n;

	for (i = 0; i < INGEST_BATCH; i++) {
		struct msghdr *h = &p->mm[i].msg_hdr;

		h->msg_name = &p->from[i];
		h->msg_namelen = sizeof(p->from[i]);
		h->msg_iov = &p->iov[i];
		h->msg_iovlen = 1;
		h->msg_control = p->ctl[i];
		h->msg_controllen = sizeof(p->ctl[i]);
		h->msg_flags = 0;
	}
	do {
		n = recvmmsg(fd, p->mm, INGEST_BATCH, MSG_DONTWAIT, NULL);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
	for (i = 0; i < n; i++) {
		struct msghdr *h = &p->mm[i].msg_hdr;
		struct ingest_msg *m = &b->msg[i];

		m->len = p->mm[i].msg_len;
		m->truncated = (h->msg_flags & MSG_TRUNC) != 0;
		m->bad_source = ingest_source(&p->from[i], &m->src,
		    &m->port) != 0;
		for (cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm)) {
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SO_RXQ_OVFL &&
			    cm->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
				memcpy(&b->ovfl, CMSG_DATA(cm), sizeof(uint32_t));
				b->have_ovfl = 1;
			}
		}
	}
	return n;
}
