/*
 * mkdirs.h - mkdir -p, shared by the daemon's state directory and the
 * alert sinks' spool and file directories.
 */
#ifndef FS_MKDIRS_H
#define FS_MKDIRS_H

/*
 * Make path and its missing parents: parents with parent_mode, path itself
 * with mode.  *created (may be NULL) is 1 when path itself was made now.
 * 0, or -1 with errno.
 */
int	fs_mkdirs(const char *path, int parent_mode, int mode, int *created);

#endif
