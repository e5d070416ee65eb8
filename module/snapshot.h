/*!
 * \file
 * \brief Last-known-good: the cluster's records to disk and back.
 *
 * A snapshot is written atomically (temporary file, fsync, rename, fsync of
 * the directory), so a reader sees the old file or the new one. The temporary
 * file is always a new one (O_EXCL, O_NOFOLLOW): a link planted at its name is
 * removed, never written through. Only a regular file is read or replaced
 * (file.h): a FIFO at the path would block, a directory is no snapshot. Reading
 * checks everything (magic, version, sizes, checksum, every name and rdata)
 * before it returns anything: a corrupt or foreign file is refused whole.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rr.h"

/*!
 * \brief Writes the records an emitter hands out to path atomically.
 *
 * The file is written as the records come (the emitter runs three times:
 * count, records, location rules), so nothing the size of the records is
 * allocated.
 *
 * \param cluster  What the records are of (the first lainlet URL or the data
 *                 file), told when a snapshot is read by another configuration.
 *
 * \param serial   Stored for the table a restart starts with: its SOA serial.
 *
 * \param records  Set to the records written.
 *
 * \return KNOT_EOK, FILE_ENOTREG (path is no regular file: not replaced) or
 *         an error; a system error is -errno, so file_strerror() tells its real
 *         reason ("No space left on device").
 */
int snapshot_write(const char *path, const char *cluster, rr_emit_f emit, const void *src,
                   uint32_t serial, size_t *records);

/*!
 * \brief Reads a snapshot.
 *
 * \param path    File.
 * \param cluster The cluster it should be of.
 * \param other   Set when it was written for another cluster name (it is read all
 *                the same: the same cluster may be reached by another URL).
 * \param out     Filled on success (initialised by the call).
 * \param serial  The serial written (the table's serial when it was written, or
 *                more: see watch.c).
 * \param mtime   Modification time of the file (unix seconds).
 * \param why     Reason on failure.
 * \param why_len Its size.
 *
 * \return KNOT_EOK, KNOT_ENOENT (no file), KNOT_EMALF (refused), KNOT_ENOMEM,
 *         or another error of file_read() (FILE_ENOTREG ...), told in why.
 */
int snapshot_read(const char *path, const char *cluster, bool *other, rr_list_t *out,
                  uint32_t *serial, int64_t *mtime, char *why, size_t why_len);
