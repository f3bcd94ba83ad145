/*
 * detmgr_int.h - what detmgr.c (hits, detections, sinks) and detstore.c
 * (its Redis side) share.  Private to those two files.
 */
#ifndef FS_DETMGR_INT_H
#define FS_DETMGR_INT_H

#include <stdint.h>

#include "alert.h"
#include "det.h"
#include "detmgr.h"
#include "rconn.h"

/* Dense array of entries with a 64-bit-key hash index over it. */
struct dtab {
	uint64_t	*keys;		/* index: key, 0 empty */
	uint32_t	*pos;		/* index: entry number */
	uint32_t	 size;		/* index slots, power of two */
	uint32_t	 n;		/* entries */
};

struct learn {
	struct flow_addr	host;
	uint64_t		until_ms;	/* 0: not learning */
};

struct sup {
	uint64_t	key;
	uint64_t	expiry_ms;
	char		id[DET_ID_MAX];
	uint64_t	flows, bytes, packets, last_ms;	/* not yet written */
	int		dirty;
	uint8_t		ev;		/* its hits are the detection's evidence */
};

struct pending {
	struct det	d;
	uint64_t	due_ms;		/* on the monotonic clock */
	uint64_t	sup_key;	/* the first rule's suppression */
	uint32_t	sup_secs;
};

struct unwritten {
	struct det	d;
	uint64_t	sup_key, sup_expiry;
};

#define DETMGR_MAX_PENDING	1024
#define PEND_IX_SLOTS		2048	/* power of two */
#define PEND_IX_NONE		0xffff
_Static_assert(DETMGR_MAX_PENDING < PEND_IX_NONE, "pend_ix holds uint16_t");

/* Chains through pend[]: [0] by (host, proto, dport), [1] by id. */
struct pend_ix {
	uint16_t	head[2][PEND_IX_SLOTS];
	uint16_t	next[2][DETMGR_MAX_PENDING];
};

#define DETMGR_MAX_UNWRITTEN	10000
#define DETMGR_MAX_BACKLOG	10000
#define DETMGR_MAX_SUP		200000
#define DETMGR_MAX_LEARN	1000000
/* Whitelist entries held; learning stops adding at this many. */
#define DETMGR_MAX_WL		500000
/* Learned entries get ids above this until Redis gives them one. */
#define DETMGR_TMP_ID		(1ULL << 62)
#define DETMGR_IS_TMP(id)	((id) > DETMGR_TMP_ID)

struct detmgr {
	struct event_base	*base;
	const struct cfg	*cfg;		/* the running one (borrowed) */
	struct rulesref		*rules;		/* the running rules */
	struct wl_list		 files;		/* entries of the whitelist files */
	struct wl_list		 wl;		/* the whole whitelist */
	int			 wl_dirty;	/* rebuild the index at tick */
	uint64_t		 wl_last_ms;	/* last rebuild (monotonic) */
	uint64_t		 wl_next_ms;	/* the tick's next, not before */
	/*
	 * Over the entries of wl with a temporary id (dm_wl_reindex): by
	 * that id, and the learned ones by learned_key(), each to its
	 * position.  An entry that got its id leaves a stale key behind: a
	 * position is used only if the entry there still fits.
	 */
	struct dtab		 tmp_ix;
	struct dtab		 unacked_ix;
	uint64_t		 wl_compares;	/* entries they led to (for tests) */
	struct detref		*ref;
	detmgr_publish_cb	*publish;
	void			*publish_arg;
	struct alert_sink	**sinks;
	size_t			 nsinks;
	struct hitq		 q;
	struct event		*ev_hits;
	struct event		*ev_tick;

	struct learn		*learn;
	struct dtab		 learn_ix;
	struct sup		*sup;
	struct dtab		 sup_ix;
	struct pending		 pend[DETMGR_MAX_PENDING];
	size_t			 npend;
	struct pend_ix		 pend_ix;
	struct det_hit		*backlog;
	size_t			 nbacklog;
	uint64_t		 last_id;
	uint64_t		 tmp_id;
	uint64_t		 token;		/* this collector, in its messages */

	/* Redis (detstore.c) */
	struct rconn		*rc;		/* commands */
	struct rconn		*sub;		/* PREFIXwl:changed */
	int			 loaded;	/* state read (or no Redis) */
	int			 loading;	/* replies awaited */
	int			 reload_wl;	/* a change was announced */
	int			 imported;	/* the files went into Redis */
	struct unwritten	*unw;		/* raised while Redis was away */
	size_t			 nunw;
	struct detmgr_stats	 st;
};

/* detmgr.c */
void	 dm_rebuild(struct detmgr *m);
void	 dm_take_backlog(struct detmgr *m);
uint64_t dm_now(void);
int	 dtab_put(struct dtab *t, uint64_t key, uint32_t pos);
long	 dtab_get(const struct dtab *t, uint64_t key);
void	 dtab_reindex(struct dtab *t, const void *v, size_t stride,
	    size_t keyoff, uint32_t n);
void	 dtab_free(struct dtab *t);
/* Index m->wl's entries with a temporary id anew (m->wl replaced). */
void	 dm_wl_reindex(struct detmgr *m);
/* The entry of m->wl with this temporary id, or NULL. */
struct wl_entry *dm_wl_tmp(struct detmgr *m, uint64_t id);
struct learn *dm_learn_get(struct detmgr *m, const struct flow_addr *host);
int	 dm_learn_set(struct detmgr *m, const struct flow_addr *host,
	    uint64_t until_ms);
int	 dm_sup_set(struct detmgr *m, uint64_t key, uint64_t expiry_ms,
	    const char *id, int ev);

/* detstore.c */
int	 ds_start(struct detmgr *m);
void	 ds_stop(struct detmgr *m);
void	 ds_set_url(struct detmgr *m);
int	 ds_up(const struct detmgr *m);
void	 ds_write_det(struct detmgr *m, const struct det *d,
	    uint64_t sup_key, uint64_t sup_expiry);
void	 ds_write_updates(struct detmgr *m);
/* A suppression key of a rule merged into detection id (best effort). */
void	 ds_write_sup(struct detmgr *m, uint64_t key, uint64_t expiry,
	    const char *id, int ev);
void	 ds_write_learned(struct detmgr *m, struct wl_entry *e);
/* INCR's answer: the entry with temporary id tmp is id; 0, or -1 if none. */
int	 ds_id_given(struct detmgr *m, uint64_t tmp, uint64_t id);
void	 ds_learn_start(struct detmgr *m, const struct flow_addr *host,
	    uint64_t until_ms);
void	 ds_tick(struct detmgr *m);
uint64_t ds_pending(const struct detmgr *m);

#endif
