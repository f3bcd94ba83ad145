/*
 * ingest.h - UDP sockets for flow exports, drained in batches.
 *
 * DESIGN
 * ingest_open() binds one listen address with the receive buffer asked for
 * (SO_RCVBUFFORCE when privileged, else SO_RCVBUF, reporting what the kernel
 * really gave), SO_RXQ_OVFL so every datagram carries the socket's kernel
 * drop count, IPV6_V6ONLY on IPv6 sockets so [::]:P and 0.0.0.0:P can both
 * be bound, and SO_REUSEPORT when several workers share the address.
 *
 * ingest_recv() drains up to INGEST_BATCH datagrams with one recvmmsg call
 * into buffers owned by struct ingest_batch (allocated once per worker).
 * A datagram the kernel cut (MSG_TRUNC) is flagged, never parsed as whole
 * (HOSTILE T2).  ingest_source() normalises the sender: IPv4-mapped IPv6
 * becomes IPv4, and unspecified, multicast and broadcast senders or port 0
 * are refused (T4).
 */
#ifndef FS_INGEST_H
#define FS_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cfg.h"
#include "flow.h"

#define INGEST_BATCH	64
#define INGEST_BUFSZ	65536

struct ingest_msg {
	uint8_t			*buf;
	size_t			 len;
	int			 truncated;
	struct flow_addr	 src;
	uint16_t		 port;
	int			 bad_source;
};

struct ingest_batch {
	struct ingest_msg	 msg[INGEST_BATCH];
	uint32_t		 ovfl;		/* kernel drops, cumulative */
	int			 have_ovfl;
	void			*priv;		/* mmsghdr, iovecs, buffers */
};

/*
 * Bind a UDP socket; returns the fd or -1 with a message in err.  *rcvbuf_got
 * is what the kernel granted (bytes usable for data).
 */
int	ingest_open(const struct cfg_listen *la, uint32_t rcvbuf, int reuseport,
	    uint32_t *rcvbuf_got, char *err, size_t errlen);

struct ingest_batch *ingest_batch_new(void);
void	ingest_batch_free(struct ingest_batch *b);

/* Receive what is waiting (non-blocking); returns the count, 0, or -1. */
int	ingest_recv(int fd, struct ingest_batch *b);

/* Normalise a sender; 0 when it may be an exporter, -1 when refused. */
int	ingest_source(const struct sockaddr_storage *ss, struct flow_addr *a,
	    uint16_t *port);

/* "0.0.0.0:2055" / "[::]:2055" */
const char *ingest_listen_str(const struct cfg_listen *la, char *buf,
	    size_t len);

#endif
