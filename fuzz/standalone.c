/*
 * standalone.c - replay saved inputs through a fuzz target without libFuzzer.
 *
 * DESIGN
 * Linked with one fuzz_*.c instead of libFuzzer's main, so any compiler
 * (the gcc ASan/UBSan build too) replays the seed corpora and the saved
 * regression inputs as ordinary tests.  Arguments are files or directories;
 * a directory's regular files are run in name order (names starting with
 * '.' are skipped), a directory that does not exist counts as empty.
 *
 * Each input runs in a child process, so one crash, sanitizer report, leak
 * or hang (FS_REPLAY_TIMEOUT seconds, default 25) fails that input alone
 * and the others still run.  Output is TAP, one test point per input.
 * FS_REPLAY_NOFORK=1 runs in-process instead (for a debugger); the first
 * failure then ends the run.
 *
 *   replay_nf5 fuzz/corpus/nf5 fuzz/regress/nf5
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

struct replay {
	int		 nofork;
	unsigned	 timeout;
	unsigned	 n;
	unsigned	 failed;
};

static int
read_file(const char *path, uint8_t **out, size_t *outlen)
{
	FILE *fp;
	uint8_t *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, got;

	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((nbuf = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nbuf;
		}
		got = fread(buf + len, 1, cap - len, fp);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp))
		goto fail;
	fclose(fp);
	/* Exact size, so ASan sees a read one past the end. */
	if ((nbuf = malloc(len ? len : 1)) == NULL) {
		free(buf);
		return -1;
	}
	if (len)
		memcpy(nbuf, buf, len);
	free(buf);
	*out = nbuf;
	*outlen = len;
	return 0;
fail:
	fclose(fp);
	free(buf);
	return -1;
}

static void
run_one(struct replay *rp, const char *path)
{
	uint8_t *buf;
	size_t len;
	pid_t pid;
	int status;

	rp->n++;
	if (read_file(path, &buf, &len) != 0) {
		printf("not ok %u - %s # cannot read: %s\n", rp->n, path,
		    strerror(errno));
		rp->failed++;
		return;
	}
	if (rp->nofork) {
		(void)LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		printf("ok %u - %s\n", rp->n, path);
		return;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		printf("not ok %u - %s # fork: %s\n", rp->n, path,
		    strerror(errno));
		rp->failed++;
		free(buf);
		return;
	}
	if (pid == 0) {
		alarm(rp->timeout);
		(void)LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		exit(0);		/* LeakSanitizer runs here */
	}
	free(buf);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	if (status == 0) {
		printf("ok %u - %s\n", rp->n, path);
		return;
	}
	rp->failed++;
	if (status != -1 && WIFSIGNALED(status))
		printf("not ok %u - %s # %s\n", rp->n, path,
		    WTERMSIG(status) == SIGALRM ? "timeout" :
		    strsignal(WTERMSIG(status)));
	else
		printf("not ok %u - %s # exit status %d\n", rp->n, path,
		    status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) :
		    -1);
}

static int
skip_name(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void
run_dir(struct replay *rp, const char *dir)
{
	struct dirent **ents;
	struct stat sb;
	char path[4096];
	int n, i;

	if ((n = scandir(dir, &ents, skip_name, alphasort)) < 0) {
		printf("# %s: %s (nothing to replay)\n", dir, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    ents[i]->d_name) < sizeof(path) &&
		    stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			run_one(rp, path);
		free(ents[i]);
	}
	free(ents);
}

int
main(int argc, char **argv)
{
	struct replay rp;
	struct stat sb;
	const char *s;
	int i;

	memset(&rp, 0, sizeof(rp));
	rp.nofork = (s = getenv("FS_REPLAY_NOFORK")) != NULL && *s == '1';
	rp.timeout = (s = getenv("FS_REPLAY_TIMEOUT")) != NULL ?
	    (unsigned)strtoul(s, NULL, 10) : 25;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR ...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			run_dir(&rp, argv[i]);
		else if (stat(argv[i], &sb) == 0)
			run_one(&rp, argv[i]);
		else
			printf("# %s: %s (nothing to replay)\n", argv[i],
			    strerror(errno));
	}
	if (rp.n == 0)
		printf("1..0 # SKIP no inputs\n");
	else
		printf("1..%u\n", rp.n);
	return rp.failed ? 1 : 0;
}
