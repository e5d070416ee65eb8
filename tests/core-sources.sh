#!/bin/sh
# Prints the module's pure sources (all but the knotd and curl glue): what unit,
# sanitizer and fuzz builds link. Usage: sh tests/core-sources.sh SRCDIR
for f in "$1"/module/*.c; do
	case "$(basename "$f")" in
	lain.c|lain_conf.c|watch.c|watch_stream.c) ;;
	*) printf '%s ' "$f" ;;
	esac
done
