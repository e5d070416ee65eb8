#!/bin/sh
# Writes the mod-lain(7) man page, made from doc/mod-lain.rst, to stdout.
#   sh doc/mkman.sh [RST2MAN] < doc/mod-lain.rst > doc/mod-lain.7
# `make man` runs it; the page is committed, so building and installing never need
# docutils. The page's title block replaces the .rst's own title (its first
# "====" underline and what is above it); its text up to the first section is the
# DESCRIPTION.
set -eu
rst2man=${1:-rst2man}
{
	cat <<'HEAD'
==========
 mod-lain
==========

----------------------------------------------------
LAIN cluster names from lainlet, a Knot DNS module
----------------------------------------------------

:Manual section: 7
:Manual group: Knot DNS

Description
-----------
HEAD
	sed '1,/^====/d'
} | "$rst2man" --no-generator --no-datestamp --no-source-link --report=warning --halt=warning |
	# non-ASCII characters as groff escapes (\[u2014]): any man/groff reads the page;
	# literal blocks in CR (groff 1.24, Debian testing, knows no font C: a warning)
	perl -CS -pe 's/([^\x00-\x7f])/sprintf("\\[u%04X]", ord($1))/ge; s/^\.ft C$/.ft CR/'
