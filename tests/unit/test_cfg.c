/*
 * test_cfg.c - flowsentry.conf(5) (collector/cfg.c).
 *
 * Configs are given as strings (cfg_load_string) named "t.conf"; each
 * error case checks the exact "t.conf:LINE: reason" prefix, so a message
 * that loses its line number or names the wrong line fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "cfg.h"

static struct cfg *
ok(const char *text)
{
	char err[CFG_ERR_MAX] = "";
	struct cfg *c = cfg_load_string("t.conf", text, err, sizeof(err));

	if (c == NULL)
		fail_msg("unexpected error: %s", err);
	return c;
}

/* The load fails and the message starts with want. */
static void
bad(const char *text, const char *want)
{
	char err[CFG_ERR_MAX] = "";
	struct cfg *c = cfg_load_string("t.conf", text, err, sizeof(err));

	if (c != NULL) {
		cfg_free(c);
		fail_msg("accepted: %s", text);
	}
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error \"%s\", want \"%s...\"", err, want);
}

static const char *
addr(const struct flow_addr *a)
{
	static char buf[64];

	return flow_addr_str(a, buf, sizeof(buf));
}

static void
test_defaults(void **state)
{
	struct cfg *c = cfg_defaults(), *e;

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->nlisten, 6);
	assert_string_equal(addr(&c->listen[0].addr), "0.0.0.0");
	assert_int_equal(c->listen[0].port, 2055);
	assert_string_equal(addr(&c->listen[1].addr), "::");
	assert_int_equal(c->listen[5].port, 6343);
	assert_int_equal(c->rcvbuf, 32u << 20);
	assert_int_equal(c->workers, 1);
	assert_string_equal(c->user, "flowsentry");
	assert_string_equal(c->state_dir, "/var/lib/flowsentry");
	assert_string_equal(c->metrics, "127.0.0.1:9590");
	assert_int_equal(c->log_level, LOG_INFO);
	assert_int_equal(c->log_facility, LOG_DAEMON);
	assert_int_equal(c->tmpl_timeout, 4 * 3600);
	assert_int_equal(c->state_interval, 60);
	assert_null(c->redis_url);
	assert_int_equal(c->flush_interval, 5);
	assert_string_equal(c->redis_prefix, "fs:");
	assert_int_equal(c->bucket, 60);
	assert_int_equal(c->bucket_ttl, 7 * 86400);
	assert_int_equal(c->learning, 7 * 86400);
	assert_int_equal(c->nexporters, 0);
	assert_int_equal(c->nlocal, 0);
	/* An empty file is the defaults. */
	e = ok("# nothing\n\n");
	assert_int_equal(e->nlisten, c->nlisten);
	assert_int_equal(e->rcvbuf, c->rcvbuf);
	assert_string_equal(e->path, "t.conf");
	cfg_free(e);
	cfg_free(c);
}

static void
test_design_example(void **state)
{
	struct cfg *c;

	(void)state;
	c = ok(
	    "[collector]\n"
	    "listen    = 0.0.0.0:2055 [::]:2055 0.0.0.0:6343\n"
	    "exporters = 192.0.2.0/24            # only these may send flows\n"
	    "[network]\n"
	    "local     = 203.0.113.0/24 2001:db8:100::/48\n"
	    "[group mail-servers]\n"
	    "hosts     = 203.0.113.25\n"
	    "[redis]\n"
	    "url       = redis://127.0.0.1:6379/0\n"
	    "[geoip]\n"
	    "country   = /usr/share/GeoIP/GeoLite2-Country.mmdb\n"
	    "asn       = /usr/share/GeoIP/GeoLite2-ASN.mmdb\n"
	    "[detect]\n"
	    "rules     = /etc/flowsentry/rules/*.rules\n"
	    "whitelist = /etc/flowsentry/whitelist/*.wl\n"
	    "learning  = 7d\n"
	    "[alert file]\n"
	    "path      = /var/log/flowsentry/alerts.ndjson\n"
	    "[alert email]\n"
	    "url = smtp://127.0.0.1:25   from = flowsentry@example.net   "
	    "to = noc@example.net\n"
	    "min_severity = medium       digest = 5m\n");
	assert_int_equal(c->nlisten, 3);
	assert_int_equal(c->listen[2].port, 6343);
	assert_int_equal(c->nexporters, 1);
	assert_string_equal(addr(&c->exporters[0].addr), "192.0.2.0");
	assert_int_equal(c->exporters[0].plen, 24);
	assert_int_equal(c->nlocal, 2);
	assert_int_equal(c->local[1].plen, 48);
	assert_int_equal(c->ngroups, 1);
	assert_string_equal(c->groups[0].name, "mail-servers");
	assert_int_equal(c->groups[0].nhosts, 1);
	assert_int_equal(c->groups[0].hosts[0].plen, 32);
	assert_string_equal(c->redis_url, "redis://127.0.0.1:6379/0");
	assert_string_equal(c->geoip_asn, "/usr/share/GeoIP/GeoLite2-ASN.mmdb");
	assert_int_equal(c->nrules, 1);
	assert_int_equal(c->nwhitelist, 1);
	assert_int_equal(c->nalerts, 2);
	assert_int_equal(c->alerts[0].sink, CFG_SINK_FILE);
	assert_string_equal(c->alerts[0].path,
	    "/var/log/flowsentry/alerts.ndjson");
	assert_int_equal(c->alerts[1].sink, CFG_SINK_EMAIL);
	assert_string_equal(c->alerts[1].url, "smtp://127.0.0.1:25");
	assert_string_equal(c->alerts[1].from, "flowsentry@example.net");
	assert_int_equal(c->alerts[1].nto, 1);
	assert_string_equal(c->alerts[1].to[0], "noc@example.net");
	assert_int_equal(c->alerts[1].min_severity, CFG_SEV_MEDIUM);
	assert_int_equal(c->alerts[1].digest, 300);
	assert_int_equal(c->alerts[1].starttls, 1);
	cfg_free(c);
}

static void
test_values(void **state)
{
	struct cfg *c;

	(void)state;
	c = ok("[collector]\n"
	    "rcvbuf = 4MiB  workers = 4  user = nobody\n"
	    "metrics = off  log_level = debug  log_facility = local3\n"
	    "sampling = 192.0.2.1=1000 10.0.0.0/8=512!\n"
	    "template_timeout = 1h30m  template_key_port = yes\n"
	    "[redis]\n"
	    "url = unix:/run/redis.sock?db=3  bucket = 5m  bucket_ttl = 2w\n"
	    "[detect]\n"
	    "learning = 0\n"
	    "[alert ops]\n"
	    "type = syslog  format = 3164  remote = udp://127.0.0.1:514\n"
	    "[alert tls]\n"
	    "type = email  url = smtps://mail.example.net\n"
	    "from = a@b  to = x@y z@w\n");
	assert_int_equal(c->rcvbuf, 4u << 20);
	assert_int_equal(c->workers, 4);
	assert_string_equal(c->user, "nobody");
	assert_null(c->metrics);
	assert_int_equal(c->log_level, LOG_DEBUG);
	assert_int_equal(c->log_facility, LOG_LOCAL3);
	assert_int_equal(c->nsampling, 2);
	assert_int_equal(c->sampling[0].rate, 1000);
	assert_int_equal(c->sampling[0].force, 0);
	assert_int_equal(c->sampling[1].rate, 512);
	assert_int_equal(c->sampling[1].force, 1);
	assert_int_equal(c->sampling[1].exporter.plen, 8);
	assert_int_equal(c->tmpl_timeout, 5400);
	assert_int_equal(c->key_port, 1);
	assert_string_equal(c->redis_url, "unix:/run/redis.sock?db=3");
	assert_int_equal(c->bucket, 300);
	assert_int_equal(c->bucket_ttl, 14 * 86400);
	assert_int_equal(c->learning, 0);
	assert_int_equal(c->alerts[0].sink, CFG_SINK_SYSLOG);
	assert_int_equal(c->alerts[0].rfc3164, 1);
	assert_string_equal(c->alerts[0].remote, "udp://127.0.0.1:514");
	assert_int_equal(c->alerts[1].sink, CFG_SINK_EMAIL);
	assert_int_equal(c->alerts[1].nto, 2);
	assert_int_equal(c->alerts[1].starttls, 0);	/* smtps: TLS already */
	cfg_free(c);
}

/* One test per kind of error, each with its line. */
static void
test_errors(void **state)
{
	(void)state;
	bad("[collector]\nlisten = 0.0.0.0:2055\nbogus = 1\n",
	    "t.conf:3: unknown key \"bogus\" in [collector]");
	bad("\n[colector]\n", "t.conf:2: unknown section [colector]");
	{
		/* 65 groups: one more than rules and whitelists can tell. */
		char text[65 * 48];
		size_t off = 0;
		int i;

		for (i = 0; i < 65; i++)
			off += (size_t)snprintf(text + off, sizeof(text) - off,
			    "[group g%d]\nhosts = 192.0.2.%d\n", i, i);
		bad(text, "t.conf:129: [group g64]: at most 64 groups");
	}
	bad("workers = 2\n", "t.conf:1: workers: key outside of any section");
	bad("[collector]\nworkers = 0\n",
	    "t.conf:2: workers: 0 is out of range 1..64");
	bad("[collector]\nworkers = two\n",
	    "t.conf:2: workers: \"two\" is not a number");
	bad("[collector]\nworkers = 1 2\n",
	    "t.conf:2: workers: one value expected");
	bad("[collector]\nworkers =\n", "t.conf:2: workers: value missing");
	bad("[collector]\nrcvbuf = 32Q\n",
	    "t.conf:2: rcvbuf: \"32Q\" is not a size");
	bad("[collector]\nrcvbuf = 2G\n",
	    "t.conf:2: rcvbuf: 2G is out of range");
	bad("[collector]\nlisten = 0.0.0.0\n",
	    "t.conf:2: listen: \"0.0.0.0\" is not ADDR:PORT");
	bad("[collector]\nlisten = ::1:2055\n",
	    "t.conf:2: listen: \"::1:2055\" is not ADDR:PORT");
	bad("[collector]\nlisten = 0.0.0.0:70000\n",
	    "t.conf:2: listen: \"0.0.0.0:70000\" is not ADDR:PORT");
	bad("[collector]\nlisten = 127.0.0.1:2055 127.0.0.1:2055\n",
	    "t.conf: [collector] listen: 127.0.0.1:2055 given twice");
	bad("[collector]\nexporters = 192.0.2.0/33\n",
	    "t.conf:2: exporters: \"192.0.2.0/33\" is not an address");
	bad("[collector]\nexporters = example.net\n",
	    "t.conf:2: exporters: \"example.net\" is not an address");
	bad("[collector]\nsampling = 192.0.2.1\n",
	    "t.conf:2: sampling: \"192.0.2.1\" is not EXPORTER=RATE");
	bad("[collector]\nsampling = 192.0.2.1=0\n",
	    "t.conf:2: sampling: rate \"0\" is not a number");
	bad("[collector]\nlog_level = loud\n",
	    "t.conf:2: log_level: \"loud\" is not one of error");
	bad("[collector]\nmetrics = 9590\n",
	    "t.conf:2: metrics: \"9590\" is not HOST:PORT");
	bad("[collector]\ntemplate_key_port = maybe\n",
	    "t.conf:2: template_key_port: \"maybe\" is not yes or no");
	bad("[collector]\nworkers = 2\nworkers = 3\n",
	    "t.conf:3: workers: set twice in [collector]");
	bad("[collector]\nworkers = 2\n[network]\n[collector]\nworkers = 3\n",
	    "t.conf:5: workers: set twice in [collector]");
	bad("[redis]\nurl = http://x\n",
	    "t.conf:2: url: \"http://x\" is not redis://");
	bad("[redis]\nurl = redis://h:0\n", "t.conf:2: url:");
	bad("[redis]\nurl = unix:run/x.sock\n", "t.conf:2: url:");
	bad("[redis]\nflush_interval = 5x\n",
	    "t.conf:2: flush_interval: \"5x\" is not a duration");
	bad("[redis]\nflush_interval = 1h30\n",
	    "t.conf:2: flush_interval: \"1h30\" is not a duration");
	bad("[redis]\nbucket = 1h\nbucket_ttl = 10m\n",
	    "t.conf: [redis] bucket_ttl (600s) is shorter than bucket");
	bad("[group]\n", "t.conf:1: [group] needs a name");
	bad("[network NAME]\n", "t.conf:1: [network] takes no name");
	bad("[group a b c]\n", "t.conf:1: bad section header");
	bad("[group x/y]\nhosts = 10.0.0.1\n",
	    "t.conf:1: [group x/y]: a name is");
	bad("[group web\n", "t.conf:1: section header without ']'");
	bad("[group web]\n# no hosts\n[network]\n",
	    "t.conf:1: [group web]: hosts is required");
	bad("[group a]\nhosts = 10.0.0.1\n[group a]\nhosts = 10.0.0.2\n",
	    "t.conf:3: [group a] defined twice");
	bad("[alert pager]\nmin_severity = high\n",
	    "t.conf:1: [alert pager]: unknown sink type");
	bad("[alert file]\n\n", "t.conf:1: [alert file]: path is required");
	bad("[alert file]\npath = /x\n[alert email]\nurl = smtp://h  to = a@b\n",
	    "t.conf:3: [alert email]: url, from and to are required");
	bad("[alert email]\nurl = http://h  from = a@b  to = c@d\n",
	    "t.conf:1: [alert email]: url \"http://h\" is not smtp://");
	bad("[alert file]\npath = /x  digest = 5m\n",
	    "t.conf:1: [alert file]: digest does not apply to a file sink");
	bad("[alert s]\ntype = syslog  remote = 127.0.0.1:514\n",
	    "t.conf:1: [alert s]: remote \"127.0.0.1:514\" is not");
	bad("[alert s]\ntype = pager\n",
	    "t.conf:2: type: \"pager\" is not one of file");
	bad("[alert x]\ntype = redis\n",
	    "t.conf: [alert x] writes to Redis but [redis] url is not set");
	bad("[alert file]\nmin_severity = urgent  path = /x\n",
	    "t.conf:2: min_severity: \"urgent\" is not one of low");
	bad("[collector]\n= 3\n", "t.conf:2: expected key = value");
	bad("[collector]\nworkers 3\n", "t.conf:2: expected key = value");
	bad("[collector]\nuser = a\x01 b\n",
	    "t.conf:2: control character in line");
	bad("[collector]\nlisten =\n", "t.conf:2: listen: value missing");
	bad("[redis]\nprefix = "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "t.conf: [redis] prefix: longer than 64 characters");
}

/*
 * '#' starts a comment at the start of a line or after a blank; anywhere
 * else it is part of the value, and a quoted value keeps '#', blanks and
 * "word =" (a password may hold any of them).
 */
static void
test_comments_quotes(void **state)
{
	struct cfg *c;

	(void)state;
	c = ok("# top\n"
	    "  # indented comment\n"
	    "[collector]   # after a header\n"
	    "user = nobody # after a value\n"
	    "workers = 2 rcvbuf = 1MiB #x\n"
	    "[redis]\n"
	    "url = redis://:pa#ss@127.0.0.1:6379/0\n"
	    "[alert mail]\n"
	    "type = email  url = smtp://127.0.0.1:25  from = a@b  to = c@d\n"
	    "username = u#1  password = \"p#s w=x \\\"q\\\\\"   # comment\n");
	assert_string_equal(c->user, "nobody");
	assert_int_equal(c->workers, 2);
	assert_int_equal(c->rcvbuf, 1u << 20);
	assert_string_equal(c->redis_url, "redis://:pa#ss@127.0.0.1:6379/0");
	assert_string_equal(c->alerts[0].username, "u#1");
	assert_string_equal(c->alerts[0].password, "p#s w=x \"q\\");
	cfg_free(c);

	c = ok("[collector]\nuser = \"nobody\"\n");	/* quotes are not kept */
	assert_string_equal(c->user, "nobody");
	cfg_free(c);

	/* A value that starts like "word =" is empty: the pair is next. */
	c = ok("\f[collector]\nexporters = workers = 2 # c\x01 in a comment\n"
	    "# \x1b[31m in a comment line\n");
	assert_int_equal(c->nexporters, 0);
	assert_int_equal(c->workers, 2);
	cfg_free(c);
	bad("[collector]\nuser = x=y\n", "t.conf:2: user: value missing");
	bad("[collector]\nuser = \"a\x01\" # c\n",
	    "t.conf:2: control character in line");
	/* A quote inside an unquoted value opens nothing. */
	bad("[collector]\nuser = x\"  state_dir = \"/tmp/a # \x01 b\"\n",
	    "t.conf:2: control character in line");
	c = ok("[collector]\nuser = a\"b  # \x01 c\n");
	assert_string_equal(c->user, "a\"b");
	cfg_free(c);

	bad("[collector]\nuser = \"nobody\n",
	    "t.conf:2: user: quoted value without its closing '\"'");
	bad("[collector]\nuser = \"no\"body\n",
	    "t.conf:2: user: text right after a quoted value");
	bad("[collector]\nuser = # only a comment\n",
	    "t.conf:2: user: value missing");
	bad("[collector]\nuser = \"\"\n", "t.conf:2: user: value missing");
}

static void
test_file(void **state)
{
	char path[] = "/tmp/fs-test-cfg-XXXXXX", err[CFG_ERR_MAX];
	struct cfg *c;
	FILE *fp;
	int fd;

	(void)state;
	assert_null(cfg_load("/nonexistent/flowsentry.conf", err, sizeof(err)));
	assert_string_equal(err,
	    "/nonexistent/flowsentry.conf: No such file or directory");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("[collector]\nworkers = 3\n[network]\nlocal = 10.0.0.0/8\n", fp);
	fclose(fp);
	c = cfg_load(path, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->workers, 3);
	assert_string_equal(c->path, path);
	cfg_free(c);
	fp = fopen(path, "w");
	fputs("[collector]\nworkers = 3\n\n\nworkers=4\n", fp);
	fclose(fp);
	assert_null(cfg_load(path, err, sizeof(err)));
	assert_true(strstr(err, ":5: workers: set twice") != NULL);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	unlink(path);
}

/*
 * cfg_cidr_match (word at a time) against the definition, bit by bit:
 * every prefix length of both families, random prefixes and addresses
 * that agree with the prefix on a random number of leading bits.
 */
static void
test_cidr_match_bits(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct cfg_cidr c;
	struct flow_addr a;
	unsigned af, plen, n, k, agree, bits, i, want;

	(void)state;
	for (af = 4; af <= 6; af += 2) {
		bits = af == 4 ? 32 : 128;
		for (plen = 0; plen <= bits; plen++)
			for (n = 0; n < 64; n++) {
				memset(&c, 0, sizeof(c));
				memset(&a, 0, sizeof(a));
				c.addr.af = a.af = (uint8_t)af;
				c.plen = (uint8_t)plen;
				for (k = 0; k < bits / 8; k++) {
					x ^= x << 13, x ^= x >> 7, x ^= x << 17;
					c.addr.a[k] = (uint8_t)x;
					a.a[k] = (uint8_t)(x >> 8);
				}
				/* host bits cleared, as cfg_parse_cidr does */
				for (i = plen; i < bits; i++)
					c.addr.a[i / 8] &= (uint8_t)~(0x80 >> i % 8);
				agree = (unsigned)(x >> 20) % (bits + 1);
				for (i = 0; i < agree; i++) {
					a.a[i / 8] &= (uint8_t)~(0x80 >> i % 8);
					a.a[i / 8] |= c.addr.a[i / 8] & (0x80 >> i % 8);
				}
				want = 1;
				for (i = 0; i < plen; i++)
					if ((a.a[i / 8] ^ c.addr.a[i / 8]) &
					    (0x80 >> i % 8))
						want = 0;
				if ((unsigned)cfg_cidr_match(&c, &a) != want)
					fail_msg("af %u /%u agree %u: got %d",
					    af, plen, agree, !want);
			}
	}
}

/* The shared parsers. */
static void
test_parsers(void **state)
{
	struct cfg_cidr c;
	struct cfg_listen l;
	struct flow_addr a;
	uint32_t d;
	uint64_t sz;
	char host[64], pass[64];
	int port, db;

	(void)state;
	assert_int_equal(cfg_parse_cidr("10.1.2.3/8", &c), 0);
	assert_string_equal(addr(&c.addr), "10.0.0.0");	/* host bits cleared */
	assert_int_equal(cfg_parse_cidr("2001:db8::1/33", &c), 0);
	assert_string_equal(addr(&c.addr), "2001:db8::");
	assert_int_equal(cfg_parse_cidr("10.0.0.0/", &c), -1);
	assert_int_equal(cfg_parse_cidr("10.0.0.0/-1", &c), -1);
	assert_int_equal(cfg_parse_cidr("::/129", &c), -1);

	assert_int_equal(cfg_parse_cidr("192.0.2.128/25", &c), 0);
	flow_addr_parse(&a, "192.0.2.200");
	assert_true(cfg_cidr_match(&c, &a));
	flow_addr_parse(&a, "192.0.2.127");
	assert_false(cfg_cidr_match(&c, &a));
	flow_addr_parse(&a, "::ffff:192.0.2.200");
	assert_false(cfg_cidr_match(&c, &a));		/* family differs */
	assert_int_equal(cfg_parse_cidr("0.0.0.0/0", &c), 0);
	flow_addr_parse(&a, "198.51.100.1");
	assert_true(cfg_cidr_match(&c, &a));
	{
		struct cfg_cidr list[2];

		cfg_parse_cidr("10.0.0.0/8", &list[0]);
		cfg_parse_cidr("2001:db8::/32", &list[1]);
		flow_addr_parse(&a, "2001:db8:5::1");
		assert_int_equal(cfg_cidr_find(list, 2, &a), 1);
		flow_addr_parse(&a, "11.0.0.1");
		assert_int_equal(cfg_cidr_find(list, 2, &a), -1);
	}

	assert_int_equal(cfg_parse_duration("90", &d), 0);
	assert_int_equal(d, 90);
	assert_int_equal(cfg_parse_duration("1h30m", &d), 0);
	assert_int_equal(d, 5400);
	assert_int_equal(cfg_parse_duration("7d", &d), 0);
	assert_int_equal(d, 604800);
	assert_int_equal(cfg_parse_duration("", &d), -1);
	assert_int_equal(cfg_parse_duration("h", &d), -1);
	assert_int_equal(cfg_parse_duration("99999999999", &d), -1);
	assert_int_equal(cfg_parse_duration("100000000d", &d), -1);

	assert_int_equal(cfg_parse_size("65536", &sz), 0);
	assert_int_equal(sz, 65536);
	assert_int_equal(cfg_parse_size("512K", &sz), 0);
	assert_int_equal(sz, 512 * 1024);
	assert_int_equal(cfg_parse_size("1GiB", &sz), 0);
	assert_int_equal(sz, 1u << 30);
	assert_int_equal(cfg_parse_size("1Gb2", &sz), -1);
	assert_int_equal(cfg_parse_size("-1", &sz), -1);
	/* Too big is refused, never wrapped into range (2^34+1 G is 2^64 +
	 * 1 GiB: it once came out as 1 GiB). */
	assert_int_equal(cfg_parse_size("17179869185G", &sz), -1);
	assert_int_equal(cfg_parse_size("1099511627776G", &sz), -1);
	assert_int_equal(cfg_parse_size("17179869183G", &sz), 0);
	assert_true(sz == 17179869183ULL << 30);
	bad("[collector]\nrcvbuf = 17179869185G\n", "t.conf:2: rcvbuf: "
	    "\"17179869185G\" is not a size");

	assert_int_equal(cfg_parse_listen("[::1]:6343", &l), 0);
	assert_int_equal(l.addr.af, 6);
	assert_int_equal(l.port, 6343);
	assert_int_equal(cfg_parse_listen("[127.0.0.1]:6343", &l), -1);
	assert_int_equal(cfg_parse_listen("127.0.0.1:", &l), -1);
	assert_int_equal(cfg_parse_listen(":2055", &l), -1);

	assert_int_equal(cfg_parse_redis_url("redis://:s3cret@10.0.0.5:6380/2",
	    host, sizeof(host), &port, pass, sizeof(pass), &db), 0);
	assert_string_equal(host, "10.0.0.5");
	assert_string_equal(pass, "s3cret");
	assert_int_equal(port, 6380);
	assert_int_equal(db, 2);
	assert_int_equal(cfg_parse_redis_url("redis://[::1]", host,
	    sizeof(host), &port, pass, sizeof(pass), &db), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 6379);
	assert_string_equal(pass, "");
	assert_int_equal(cfg_parse_redis_url("unix:/run/r.sock", host,
	    sizeof(host), &port, pass, sizeof(pass), &db), 0);
	assert_string_equal(host, "/run/r.sock");
	assert_int_equal(port, -1);
	assert_int_equal(cfg_parse_redis_url("redis://h/x", host,
	    sizeof(host), &port, pass, sizeof(pass), &db), -1);
	assert_int_equal(cfg_parse_redis_url("redis://h:", host,
	    sizeof(host), &port, pass, sizeof(pass), &db), -1);
	assert_int_equal(cfg_parse_redis_url("unix:/x?db=", host,
	    sizeof(host), &port, pass, sizeof(pass), &db), -1);
}

/* The shipped example must load (and so must every default). */
static void
test_contrib_example(void **state)
{
	const char *top = getenv("FS_SRCDIR");
	char path[4096], err[CFG_ERR_MAX];
	struct cfg *c;

	(void)state;
	if (top == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/contrib/flowsentry.conf", top);
	c = cfg_load(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_true(c->nlocal > 0);
	cfg_free(c);
}

static void
test_dump(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	(void)state;
	cfg_dump_defaults(fp);
	fclose(fp);
	assert_non_null(strstr(buf, "[collector]\n"));
	assert_non_null(strstr(buf, "[alert NAME]\n"));
	assert_non_null(strstr(buf, "rcvbuf"));
	assert_non_null(strstr(buf, "32M"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_comments_quotes),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_cidr_match_bits),
		cmocka_unit_test(test_contrib_example),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
