#!/bin/sh
# scripts/deps.sh - make sure what doppel needs to build and test is installed.
#
# Checks pkg-config modules, the test tools (clang and libFuzzer for the fuzz
# run) and Debian's Python modules. When
# something is missing: as root, installs the Debian/Ubuntu packages with
# apt-get; otherwise prints the exact apt-get command and fails.
# Usage: scripts/deps.sh [--check] [--mpi] [--browser]
#   --check    never install, only report
#   --mpi      also Open MPI (mpicc, mpirun) for the MPI build and its test
#   --browser  also Chromium, which test_report.py renders the report in
#
# SPDX-License-Identifier: MIT
set -u

PYTHON=${PYTHON:-/usr/bin/python3}
check=0
mpi=0
browser=0
for arg in "$@"; do
	case $arg in
	--check) check=1 ;;
	--mpi) mpi=1 ;;
	--browser) browser=1 ;;
	*) echo "deps: unknown option $arg" >&2; exit 2 ;;
	esac
done
missing=""
need() { missing="$missing $1"; }

command -v cc >/dev/null 2>&1 || need gcc
command -v make >/dev/null 2>&1 || need make
command -v pkg-config >/dev/null 2>&1 || need pkg-config
command -v prove >/dev/null 2>&1 || need perl
if command -v pkg-config >/dev/null 2>&1; then
	pkg-config --exists vips || need libvips-dev
	pkg-config --exists libjpeg || need libjpeg-dev
	pkg-config --exists libcrypto || need libssl-dev
	pkg-config --exists hdf5 || pkg-config --exists hdf5-serial || need libhdf5-dev
else
	need "libvips-dev libjpeg-dev libssl-dev libhdf5-dev"
fi
[ -e /usr/include/turbojpeg.h ] || need libturbojpeg0-dev
command -v h5dump >/dev/null 2>&1 || need hdf5-tools
"$PYTHON" -c 'import h5py' 2>/dev/null || need python3-h5py
"$PYTHON" -c 'import numpy' 2>/dev/null || need python3-numpy
"$PYTHON" -c 'import pandas' 2>/dev/null || need python3-pandas
# The bounded fuzz run of make test: clang with libFuzzer and OpenMP.
if command -v clang >/dev/null 2>&1; then
	printf '#include <omp.h>\nint main(void) { return omp_get_max_threads() < 1; }\n' |
		clang -fopenmp -x c - -o /dev/null 2>/dev/null || need libomp-dev
else
	need "clang libomp-dev"
fi

if [ "$mpi" = 1 ]; then
	command -v mpicc >/dev/null 2>&1 || need libopenmpi-dev
	command -v mpirun >/dev/null 2>&1 || need openmpi-bin
fi

if [ "$browser" = 1 ]; then
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
		need chromium
fi

[ -z "$missing" ] && exit 0

if [ "$check" = 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || exit 1
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >&2 || exit 1
	exit 0
fi
echo "deps: missing packages:$missing" >&2
echo "deps: install them with:  sudo apt-get install$missing" >&2
exit 1
