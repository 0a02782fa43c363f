/*
 * fuzz_memfile.h — a file the loaders can open by path, held in memory (a memfd reached
 * through /proc/self/fd), so that each fuzz input costs no disk I/O.
 */
#ifndef TEND_FUZZ_MEMFILE_H
#define TEND_FUZZ_MEMFILE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct fuzz_memfile {
	int fd;
	char path[64];
};

static inline void fuzz_memfile_set(struct fuzz_memfile *file, const char *name,
				    const unsigned char *data, size_t size)
{
	if (file->fd <= 0) {
		file->fd = memfd_create(name, MFD_CLOEXEC);
		if (file->fd < 0)
			abort();
		snprintf(file->path, sizeof file->path, "/proc/self/fd/%d", file->fd);
	}
	if (ftruncate(file->fd, 0) < 0)
		abort();
	size_t done = 0;
	while (done < size) {
		ssize_t n = pwrite(file->fd, data + done, size - done, (off_t)done);
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
}

#endif
