/*!
 * \file
 * \brief Reading regular files without blocking.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "file.h"

const char *file_strerror(int ret)
{
	return ret == FILE_ENOTREG ? "not a regular file" : knot_strerror(ret);
}

/*!
 * \brief Opens a regular file for reading without blocking in open().
 * \return The descriptor (blocking again), or a negative error code.
 */
static int open_regular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		return file_errno();
	}
	int ret = KNOT_EOK;
	int flags = fcntl(fd, F_GETFL);
	if (fstat(fd, st) != 0 || flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		ret = file_errno();
	} else if (!S_ISREG(st->st_mode)) {
		ret = FILE_ENOTREG;
	}
	if (ret != KNOT_EOK) {
		close(fd);
		return ret;
	}
	return fd;
}

int file_check(const char *path)
{
	struct stat st;
	int fd = open_regular(path, &st);
	if (fd < 0) {
		return fd;
	}
	close(fd);
	return KNOT_EOK;
}

int file_read(const char *path, char **data, size_t *len, struct stat *st)
{
	struct stat own;
	st = st != NULL ? st : &own;
	int fd = open_regular(path, st);
	if (fd < 0) {
		return fd;
	}
	size_t size = st->st_size;
	char *buf = malloc(size + 1);
	if (buf == NULL) {
		close(fd);
		return KNOT_ENOMEM;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			int ret = file_errno();
			close(fd);
			free(buf);
			return ret;
		}
		if (n == 0) {
			break; // shrank since fstat
		}
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return KNOT_EOK;
}
