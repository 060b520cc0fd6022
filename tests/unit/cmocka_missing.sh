#!/bin/sh
# TAP: stands for the unit tests when configure found no cmocka, so that they are not left
# out unseen: a skip locally, a failure under CI (tests/tap_skip.sh).
. "${top_srcdir:-.}/tests/tap_skip.sh"
skip_all "configure found no cmocka (libcmocka-dev): the unit tests are not built"
