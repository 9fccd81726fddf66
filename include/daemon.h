/*
 * daemon.h - the `run` main loop (SPEC §8): one worker thread per account
 * and folder (each with its own IMAP connection and its own state-store
 * handle), the hook dispatcher in the main thread, signals, reload.
 *
 * Signals: handlers only set the sig_atomic_t flags below; the main loop acts.
 *   SIGTERM, SIGINT  every worker finishes its current message, then exit 0
 *   SIGHUP           reload the configuration; an invalid one is refused and
 *                    the old one kept
 */
#ifndef BW_DAEMON_H
#define BW_DAEMON_H

#include <signal.h>
#include <stdbool.h>

#include "conf.h"

extern volatile sig_atomic_t daemon_sig_stop;   /* SIGTERM / SIGINT seen */
extern volatile sig_atomic_t daemon_sig_hup;    /* SIGHUP seen */

/* Install the handlers (SIGPIPE is ignored).  Used by `scan` too. */
void daemon_signals_install(void);

/*
 * Load a configuration for a reload into *out: 0 on success, anything else
 * when it is invalid (errors already reported; *out then needs no freeing).
 */
typedef int (*daemon_reload_fn)(void *arg, struct bw_config *out);

/*
 * daemon_run - run until SIGTERM/SIGINT.  cfg is taken over (freed by the
 * daemon, possibly replaced on reload).  foreground false: detach from the
 * terminal first (logs then go to syslog).  Returns an exit code: 0 after a
 * clean stop, 1 when the daemon could not run (state store unusable).
 */
int daemon_run(struct bw_config *cfg, bool foreground, daemon_reload_fn reload, void *arg);

#endif
