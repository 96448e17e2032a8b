#!/usr/bin/env bash
# locations-flow.sh runs the multi-location GitHub Actions flow
# (.github/workflows/status-locations.yml) on this machine, with folders
# standing in for the jobs' artifacts:
#
#   deploy/locations-flow.sh --statusgen ./bin/statusgen --artifacts /tmp/artifacts \
#     [--skip LOCATION]... LOCATION... -- [statusgen flags: --config, --data, --site]
#
# 1. probe: for each LOCATION, as each matrix job does,
#      statusgen probe --location LOCATION --out results/LOCATION.jsonl
#    in a workspace of its own, then "uploads" the file to
#    ARTIFACTS/probe-LOCATION/. A --skip LOCATION stands for a job that
#    failed or timed out: it uploads nothing. A probe that exits non-zero
#    uploads nothing either, as a failed job's step would not run.
# 2. decide: "downloads" every ARTIFACTS/probe-*/ into one results/ folder
#    (download-artifact's merge-multiple) and runs
#      statusgen once --results results
#    whose exit status is the script's. In the workflow this command runs
#    under deploy/commit-data.sh, which commits data/.
#
# Exit status: the decide step's (0, 1 or 2 as `statusgen once`); 2 for bad usage.
set -euo pipefail
shopt -s inherit_errexit nullglob

usage() {
	echo "usage: $0 --statusgen BIN --artifacts DIR [--skip LOCATION]... LOCATION... -- [statusgen flags]" >&2
	exit 2
}

statusgen="" artifacts="" skip=() locations=()
while [ $# -gt 0 ]; do
	case "$1" in
	--statusgen) statusgen="${2:-}" && shift 2 ;;
	--artifacts) artifacts="${2:-}" && shift 2 ;;
	--skip) skip+=("${2:-}") && shift 2 ;;
	--) shift && break ;;
	-*) usage ;;
	*) locations+=("$1") && shift ;;
	esac
done
flags=("$@")
if [ -z "$statusgen" ] || [ -z "$artifacts" ] || [ ${#locations[@]} -eq 0 ]; then
	usage
fi

say() { echo "locations-flow: $*" >&2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The artifacts are this run's, as each workflow run has its own.
mkdir -p "$artifacts"
rm -rf "$artifacts"/probe-*

skipped() {
	local s
	for s in "${skip[@]}"; do
		if [ "$s" = "$1" ]; then return 0; fi
	done
	return 1
}

# probe: one matrix job per location.
for location in "${locations[@]}"; do
	if skipped "$location"; then
		say "probe $location: job skipped (no artifact)"
		continue
	fi
	job="$work/job-$location"
	mkdir -p "$job"
	code=0
	"$statusgen" probe "${flags[@]}" --location "$location" --out "$job/results/$location.jsonl" || code=$?
	if [ "$code" -ne 0 ]; then
		say "probe $location: exit $code (no artifact)"
		continue
	fi
	mkdir -p "$artifacts/probe-$location"
	cp "$job/results/$location.jsonl" "$artifacts/probe-$location/"
done

# decide: download every artifact into one folder, then decide the cycle.
results="$work/results"
mkdir -p "$results"
for dir in "$artifacts"/probe-*/; do
	cp "$dir"*.jsonl "$results/" 2>/dev/null || true
done
"$statusgen" once "${flags[@]}" --results "$results"
