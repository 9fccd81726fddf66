/*
 * source_file.h - messages from files: .eml, a directory of files, a maildir
 * (cur/ and new/), an mbox (several messages), or "-" for stdin.
 */
#ifndef BW_SOURCE_FILE_H
#define BW_SOURCE_FILE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Called once per message.  name is the file it came from; index counts
 * messages within an mbox from 1 (0 for a single-message file).  The bytes
 * are only valid during the call.  A non-zero return stops the walk and is
 * returned by source_files().
 */
typedef int (*source_msg_fn)(void *arg, const char *name, unsigned index,
			     const char *raw, size_t len);

/*
 * Walk every path in order.  Unreadable paths are reported on err as
 * "PATH: reason" and counted in *failures; the walk goes on.  Directories are
 * read in name order, hidden entries skipped.  Returns 0, or what fn returned
 * to stop the walk.
 */
int source_files(char *const *paths, size_t n, source_msg_fn fn, void *arg, FILE *err,
		 unsigned *failures);

/* Split an mbox buffer: calls fn for each message (From_ line removed,
 * ">From " unquoted lines left as they are). */
int source_mbox_split(const char *name, const char *buf, size_t len, source_msg_fn fn, void *arg);
/*
 * The same split of the mbox read from fd (at its start), through one
 * buffer of chunk bytes (more for a message that does not fit), reused for
 * the whole file: fn sees the same messages, indexes and bytes.  *error
 * gets 0; EINVAL when the file is no mbox with LF line ends (it does not
 * open with "From ", or holds no LF in its first 64 KB: no message was
 * given to fn, the caller reads the file another way); or the
 * read error that stopped it.  Returns what fn returned to stop, else 0.
 */
int source_mbox_stream(const char *name, int fd, size_t chunk, source_msg_fn fn, void *arg, int *error);

#endif
