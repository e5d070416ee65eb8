/*!
 * \file
 * \brief The module's files (data file, snapshot): read without ever blocking,
 *        and their errors told by their real reason.
 *
 * Their paths come from the configuration, so anything may sit there: open()
 * of a FIFO blocks until a writer comes (knotd at load, or the watcher thread
 * so that stop never returns), a directory or a device is no data. Only
 * regular files are read. Symbolic links are followed: a data file that is a
 * link to the real one is a usual setup.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>

#include <libknot/libknot.h>

/*! \brief Returned for a path that is no regular file (FIFO, directory, device). */
#define FILE_ENOTREG KNOT_EFILE

/*!
 * \brief errno as a Knot error code.
 *
 * Knot's codes for system errors are -errno, and knot_strerror() prints
 * strerror() for any of them. knot_map_errno() would turn the errnos it does not
 * list (ENOSPC, EFBIG, ELOOP, EISDIR ...) into "unknown system error".
 */
static inline int file_errno(void)
{
	return errno > 0 ? -errno : KNOT_ERROR;
}

/*! \brief The text of an error of this file's functions (or any Knot code). */
const char *file_strerror(int ret);

/*!
 * \brief Whether a path is a regular file this process can read (opened as
 *        file_read does, then closed).
 *
 * \return KNOT_EOK, FILE_ENOTREG or a system error (KNOT_ENOENT: no file).
 */
int file_check(const char *path);

/*!
 * \brief Reads a whole regular file.
 *
 * Opened without blocking (O_NONBLOCK, cleared once fstat() said it is a
 * regular file); a link is followed.
 *
 * \param path  File.
 * \param data  Set to its bytes (malloc, NUL after them) on success.
 * \param len   Set to their count: what was read, which is less than st_size
 *              when the file shrank meanwhile.
 * \param st    Set to the file's stat before reading (may be NULL).
 *
 * \return KNOT_EOK, FILE_ENOTREG, KNOT_ENOMEM, or a system error (file_errno,
 *         KNOT_ENOENT when there is no file).
 */
int file_read(const char *path, char **data, size_t *len, struct stat *st);
