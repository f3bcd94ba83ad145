/*
 * alert_email.c - the email sink: digests through an SMTP relay, spooled.
 *
 * DESIGN
 * deliver() never touches the network: a detection joins the digest
 * (sent `digest` seconds after its first detection, or at once when the
 * digest is 0 or holds DIGEST_MAX), and a critical one becomes a mail of
 * its own at once.  A mail is written to the spool (alert_spool.c) the
 * moment it is made; work() then sends the spool oldest first with
 * libcurl (smtp:// or smtps://, STARTTLS, AUTH) and removes each file the
 * relay accepted.  A relay that is down or answers 4xx/5xx fails the
 * attempt: the file stays, the core backs off (1 s .. 5 min) and tries
 * again, and the spool is read at start, so a mail survives a restart.
 * On alert_free() the digest is made into a mail at once, sent if the
 * time allows, and spooled in any case.
 *
 * A relay that refuses one mail for good (a 5xx reply to its MAIL, RCPT
 * or DATA) would, retried at the head of the spool, hold back every mail
 * behind it forever.  So a mail refused that way EMAIL_MAX_REFUSALS times
 * in a row is set aside as NAME.bad (kept for a person to look at; rename
 * it back to NAME to send it again) with a warning naming it and its
 * detections, and the next mail goes (each refusal before that fails the
 * attempt, counted in `failures`).  4xx replies, refused logins, TLS and
 * connection failures are retried without limit.
 *
 * TLS: smtps:// is TLS from the start; on smtp://, `starttls = yes` uses
 * STARTTLS whenever the relay offers it and requires it when a username is
 * set (a password never goes out in clear); `starttls = no` never asks.
 * Curl is limited to smtp and smtps, with a 10 s connect and 60 s total
 * timeout, and a transfer still running when alert_free()'s time is up
 * is ended.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alert_int.h"
#include "log.h"

#define DIGEST_MAX		200	/* detections in one mail */
#define EMAIL_MAX_REFUSALS	5	/* 5xx in a row: the mail is set aside */
#define CONNECT_TIMEOUT_MS	10000
#define TOTAL_TIMEOUT_MS	60000

struct email_sink {
	char		*url;
	char		*from;
	char		**to;
	size_t		 nto;
	char		*username;
	char		*password;
	long		 use_ssl;	/* CURLUSESSL_* */
	uint64_t	 digest_ms;
	char		*spool;
	char		 hostname[256];
	unsigned	 seq;

	struct det	*batch;		/* the digest being made */
	size_t		 nbatch;
	uint64_t	 batch_due;
	size_t		 nfiles;	/* mails in the spool */
	uint64_t	 nspooled;	/* detections in them */
	char		 refused[128];	/* the spooled mail refused last */
	unsigned	 nrefused;	/* how many times in a row */
};

/* smtp_send(): delivered, failed (retry), refused for good (5xx). */
enum smtp_result { SMTP_OK = 0, SMTP_FAILED = -1, SMTP_REFUSED = -2 };

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- the spool ------------------------------------------------------- */

/* Make one mail of n detections and spool it; 0 or -1. */
static int
spool_mail(struct alert_sink *s, struct email_sink *e, const struct det *d,
    size_t n)
{
	struct alert_buf b = { NULL, 0, 0, 0 };
	struct alert_mailhdr h;
	char msgid[400], name[128];
	int r;

	h.now_ms = alert_wall_ms();
	snprintf(msgid, sizeof(msgid), "%llu.%ld.%u.flowsentry@%s",
	    (unsigned long long)h.now_ms, (long)getpid(), ++e->seq,
	    e->hostname[0] ? e->hostname : "localhost");
	h.from = e->from;
	h.to = e->to;
	h.nto = e->nto;
	h.msgid = msgid;
	if ((r = alert_mail_build(&b, &h, d, n)) == 0)
		r = alert_spool_write(e->spool, b.p, b.len, name, sizeof(name));
	if (r != 0)
		alert_warnx(s, "spooling a mail in %s: %s", e->spool,
		    b.err ? "out of memory" : strerror(errno));
	else {
		e->nfiles++;
		e->nspooled += n;
		alert_set_spooled(s, e->nspooled);
	}
	alert_buf_free(&b);
	return r;
}

static int
spool_batch(struct alert_sink *s, struct email_sink *e)
{
	if (e->nbatch == 0)
		return 0;
	if (spool_mail(s, e, e->batch, e->nbatch) != 0)
		return -1;
	e->nbatch = 0;
	return 0;
}

/* Count the spool (mails and the detections in them). */
static int
spool_scan(struct email_sink *e)
{
	char **names, *msg;
	size_t n, i, len;

	if (alert_spool_list(e->spool, &names, &n) != 0)
		return -1;
	e->nfiles = n;
	e->nspooled = 0;
	for (i = 0; i < n; i++) {
		if (alert_spool_read(e->spool, names[i], &msg, &len) == 0) {
			e->nspooled += alert_mail_count(msg, len);
			free(msg);
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

/* ---- SMTP ------------------------------------------------------------ */

struct upload {
	const char	*p;
	size_t		 len, off;
};

static size_t
upload_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->p + u->off, n);
	u->off += n;
	return n;
}

/* Ends a transfer that began before alert_free() and outlives its time. */
static int
progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	uint64_t at = alert_stop_at(arg);

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return at != ALERT_NEVER && alert_now_ms() >= at;
}

/* "<addr>" from "addr" or "Name <addr>". */
static void
envelope_addr(char *buf, size_t len, const char *a)
{
	const char *lt = strchr(a, '<'), *gt;

	if (lt && (gt = strchr(lt, '>')) != NULL)
		snprintf(buf, len, "%.*s", (int)(gt - lt + 1), lt);
	else
		snprintf(buf, len, "<%s>", a);
}

static enum smtp_result
smtp_send(struct alert_sink *s, struct email_sink *e, const char *msg,
    size_t len, long timeout_ms, long *reply)
{
	struct upload u = { msg, len, 0 };
	struct curl_slist *rcpt = NULL, *nr;
	char errbuf[CURL_ERROR_SIZE], addr[512];
	CURL *c;
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	long code = 0;
	size_t i;

	if ((c = curl_easy_init()) == NULL)
		goto out;
	for (i = 0; i < e->nto; i++) {
		envelope_addr(addr, sizeof(addr), e->to[i]);
		if ((nr = curl_slist_append(rcpt, addr)) == NULL)
			goto out;
		rcpt = nr;
	}
	errbuf[0] = '\0';
	envelope_addr(addr, sizeof(addr), e->from);
	curl_easy_setopt(c, CURLOPT_URL, e->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_USE_SSL, e->use_ssl);
	if (e->username)
		curl_easy_setopt(c, CURLOPT_USERNAME, e->username);
	if (e->password)
		curl_easy_setopt(c, CURLOPT_PASSWORD, e->password);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms < CONNECT_TIMEOUT_MS ? timeout_ms : CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
out:
	if (rc != CURLE_OK) {
		if (code)
			alert_warnx(s, "%s: %s (reply %ld)", e->url,
			    errbuf[0] ? errbuf : curl_easy_strerror(rc), code);
		else
			alert_warnx(s, "%s: %s", e->url,
			    errbuf[0] ? errbuf : curl_easy_strerror(rc));
	}
	curl_slist_free_all(rcpt);
	if (c)
		curl_easy_cleanup(c);
	*reply = code;
	if (rc == CURLE_OK)
		return SMTP_OK;
	/* MAIL/RCPT refused (SEND_ERROR), the message refused after DATA. */
	if (code >= 500 && code <= 599 && (rc == CURLE_SEND_ERROR ||
	    rc == CURLE_WEIRD_SERVER_REPLY))
		return SMTP_REFUSED;
	return SMTP_FAILED;
}

/*
 * The relay refused the spooled mail name for good once more: 1 when it
 * has been set aside (go on with the next), 0 when it stays for a retry.
 */
static int
refused(struct alert_sink *s, struct email_sink *e, const char *name,
    size_t cnt, long reply)
{
	if (strcmp(e->refused, name) != 0) {
		snprintf(e->refused, sizeof(e->refused), "%s", name);
		e->nrefused = 0;
	}
	if (++e->nrefused < EMAIL_MAX_REFUSALS)
		return 0;
	e->refused[0] = '\0';
	e->nrefused = 0;
	if (alert_spool_reject(e->spool, name) != 0) {
		alert_warnx(s, "setting %s/%s aside: %s", e->spool, name,
		    strerror(errno));
		return 0;
	}
	log_warnx("alert %s: %s/%s (%zu detection%s) refused %d times by %s "
	    "(reply %ld): set aside as %s.bad", alert_name(s), e->spool, name,
	    cnt, cnt == 1 ? "" : "s", EMAIL_MAX_REFUSALS, e->url, reply, name);
	e->nspooled -= cnt < e->nspooled ? cnt : e->nspooled;
	return 1;
}

/*
 * Send the spool, oldest first, until it is empty, a mail fails, or the
 * deadline; 0 or -1.  The detections delivered are added to *sent.
 */
static int
send_spool(struct alert_sink *s, struct email_sink *e, uint64_t deadline,
    uint64_t *sent)
{
	char **names, *msg;
	size_t n, i, len, cnt;
	enum smtp_result r;
	uint64_t now;
	long timeout, reply;
	int failed = 0;

	if (alert_spool_list(e->spool, &names, &n) != 0) {
		alert_warnx(s, "reading the spool %s: %s", e->spool,
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		timeout = TOTAL_TIMEOUT_MS;
		if (deadline != ALERT_NEVER) {
			now = alert_now_ms();
			if (now >= deadline) {
				failed = 1;
				break;
			}
			if (deadline - now < (uint64_t)timeout)
				timeout = (long)(deadline - now);
		}
		if (alert_spool_read(e->spool, names[i], &msg, &len) != 0) {
			if (errno != ENOENT) {
				alert_warnx(s, "reading %s/%s: %s; set aside "
				    "as %s.bad", e->spool, names[i],
				    strerror(errno), names[i]);
				(void)alert_spool_reject(e->spool, names[i]);
			}
			continue;
		}
		cnt = alert_mail_count(msg, len);
		r = smtp_send(s, e, msg, len, timeout, &reply);
		free(msg);
		if (r == SMTP_REFUSED && refused(s, e, names[i], cnt, reply))
			continue;
		if (r != SMTP_OK) {
			failed = 1;
			break;
		}
		*sent += cnt;
		if (alert_spool_remove(e->spool, names[i]) != 0 &&
		    alert_spool_reject(e->spool, names[i]) != 0) {
			/* Sent, but it stays: back off, not mail in a loop. */
			alert_warnx(s, "removing %s/%s: %s (it will be sent "
			    "again)", e->spool, names[i], strerror(errno));
			failed = 1;
			break;
		}
		e->nspooled -= cnt < e->nspooled ? cnt : e->nspooled;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	(void)spool_scan(e);		/* and what was added by hand */
	alert_set_spooled(s, e->nspooled);
	return failed ? -1 : 0;
}

/* ---- the operations -------------------------------------------------- */

static int
email_deliver(struct alert_sink *s, const struct det *d, uint64_t deadline)
{
	struct email_sink *e = alert_priv(s);

	(void)deadline;
	if (d->severity >= 4)			/* critical: at once */
		return spool_mail(s, e, d, 1);
	if (e->nbatch == DIGEST_MAX && spool_batch(s, e) != 0)
		return -1;
	if (e->nbatch == 0)
		e->batch_due = alert_now_ms() + e->digest_ms;
	e->batch[e->nbatch++] = *d;
	return 0;
}

static uint64_t
email_due(struct alert_sink *s, int stopping)
{
	struct email_sink *e = alert_priv(s);

	if (e->nfiles)
		return 0;
	if (e->nbatch)
		return stopping ? 0 : e->batch_due;
	return ALERT_NEVER;
}

static int
email_work(struct alert_sink *s, uint64_t now, int stopping,
    uint64_t deadline, uint64_t *sent)
{
	struct email_sink *e = alert_priv(s);

	if (e->nbatch && (stopping || now >= e->batch_due) &&
	    spool_batch(s, e) != 0)
		return -1;
	if (e->nfiles == 0)
		return 0;
	return send_spool(s, e, deadline, sent);
}

static void
email_free(struct email_sink *e)
{
	size_t i;

	free(e->url);
	free(e->from);
	for (i = 0; i < e->nto; i++)
		free(e->to[i]);
	free(e->to);
	free(e->username);
	free(e->password);
	free(e->spool);
	free(e->batch);
	free(e);
}

static void
email_fini(struct alert_sink *s)
{
	struct email_sink *e = alert_priv(s);

	if (e->nbatch && spool_batch(s, e) != 0)
		log_warnx("alert %s: %zu detection%s lost", alert_name(s),
		    e->nbatch, e->nbatch == 1 ? "" : "s");
	email_free(e);
}

static char *
dup_or_null(const char *s, int *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*fail = 1;
	return d;
}

static int
email_init(struct alert_sink *s, const struct cfg *c,
    const struct cfg_alert *a, char *err, size_t errlen)
{
	struct email_sink *e;
	int fail = 0;
	size_t i;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		snprintf(err, errlen, "[alert %s]: libcurl: %s", a->name,
		    curl_easy_strerror(curl_init_rc));
		return -1;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->batch = calloc(DIGEST_MAX, sizeof(*e->batch))) == NULL ||
	    (e->to = calloc(a->nto ? a->nto : 1, sizeof(*e->to))) == NULL)
		goto nomem;
	e->url = dup_or_null(a->url, &fail);
	e->from = dup_or_null(a->from, &fail);
	for (i = 0; i < a->nto; i++)
		e->to[e->nto++] = dup_or_null(a->to[i], &fail);
	e->username = dup_or_null(a->username, &fail);
	e->password = dup_or_null(a->password, &fail);
	if (a->spool)
		e->spool = dup_or_null(a->spool, &fail);
	else if (asprintf(&e->spool, "%s/spool/%s", c->state_dir ?
	    c->state_dir : "/var/lib/flowsentry", a->name) == -1) {
		e->spool = NULL;
		fail = 1;
	}
	if (fail || e->url == NULL || e->from == NULL)
		goto nomem;
	e->digest_ms = (uint64_t)a->digest * 1000;
	if (strncmp(e->url, "smtps://", 8) == 0)
		e->use_ssl = CURLUSESSL_ALL;
	else if (!a->starttls)
		e->use_ssl = CURLUSESSL_NONE;
	else
		e->use_ssl = e->username ? CURLUSESSL_ALL : CURLUSESSL_TRY;
	if (gethostname(e->hostname, sizeof(e->hostname)) != 0)
		e->hostname[0] = '\0';
	e->hostname[sizeof(e->hostname) - 1] = '\0';
	if (fs_mkdirs(e->spool, 0700, 0700, NULL) != 0 ||
	    access(e->spool, W_OK) != 0 ||
	    alert_spool_tidy(e->spool) != 0 || spool_scan(e) != 0) {
		snprintf(err, errlen, "[alert %s]: spool %s: %s", a->name,
		    e->spool, strerror(errno));
		email_free(e);
		return -1;
	}
	alert_set_priv(s, e);
	alert_set_spooled(s, e->nspooled);
	return 0;
nomem:
	snprintf(err, errlen, "[alert %s]: out of memory", a->name);
	if (e)
		email_free(e);
	return -1;
}

const struct alert_ops alert_email_ops = {
	.local = 1,
	.init = email_init,
	.deliver = email_deliver,
	.due = email_due,
	.work = email_work,
	.fini = email_fini,
};
