/* fuzz_conf.c - libFuzzer target: configuration loading (libconfig syntax,
 * the settings table, accounts, hooks, every error path). */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz.conf", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	FILE *devnull = fopen("/dev/null", "w");
	struct bw_config cfg;
	conf_load(&cfg, path, false, devnull);
	if (devnull)
		fclose(devnull);
	conf_free(&cfg);
	close(fd);
	return 0;
}
