#!/usr/bin/env bash
# commit-data.sh runs one statusgen cycle on the tip of a branch and puts its
# data/ on that branch of the remote, losing no check line, no state change
# and no undelivered alert. The scheduled workflow (.github/workflows/status.yml)
# runs it from the repository's root:
#
#   deploy/commit-data.sh --branch main --summary /tmp/summary.txt -- \
#     ./bin/statusgen once --summary /tmp/summary.txt
#
# 1. Start from the branch's tip as it is now: a run that waited in the
#    concurrency queue was triggered for an older commit, whose state.json
#    would re-announce a DOWN already sent, or forget one.
# 2. Run the cycle (the command after --, the statusgen binary first) and
#    commit data/, also when the cycle failed: its state holds the alerts
#    still to send.
# 3. Push. If the branch moved meanwhile:
#    - and its new commits touch none of the files this cycle wrote (code,
#      services.toml, a notice), the commit is rebased onto them;
#    - else the tip's state.json is authoritative and is never merged as
#      text: reset to the tip, add the lost cycle's JSONL lines the tip
#      lacks (those files only grow, so the union of lines is safe; check
#      lines in time order), `statusgen rebuild` the rollups, and run the
#      cycle again there.
#    Up to --attempts pushes.
# 4. Report success only when the commit is an ancestor of the remote
#    branch. An alert a lost cycle could not deliver must then be in the
#    remote state's outbox, or that state must agree it is done (its DOWN's
#    outage announced or over, its RECOVERED's outage over); otherwise it
#    is listed and the script fails. Reminders repeat and are not checked.
#
# Exit status: the last cycle's when its commit is on the remote (0, or 1
# when e.g. Slack failed: the outbox is on the branch for the next run);
# 1 when the commit is not on the remote, the rollups were not rebuilt or
# a lost alert is unaccounted for (the unpushed outbox is printed); 2 for
# bad usage.
set -euo pipefail
shopt -s inherit_errexit

usage() {
	echo "usage: $0 --branch BRANCH [--remote origin] [--summary FILE] [--attempts 3] -- STATUSGEN-COMMAND..." >&2
	exit 2
}

branch="" remote="origin" summary="" attempts=3
while [ $# -gt 0 ]; do
	case "$1" in
	--branch) branch="${2:-}" && shift 2 ;;
	--remote) remote="${2:-}" && shift 2 ;;
	--summary) summary="${2:-}" && shift 2 ;;
	--attempts) attempts="${2:-}" && shift 2 ;;
	--) shift && break ;;
	*) usage ;;
	esac
done
cycle=("$@")
if [ -z "$branch" ] || [ -z "$remote" ] || [ ${#cycle[@]} -eq 0 ] || ! [[ "$attempts" =~ ^[1-9][0-9]*$ ]]; then
	usage
fi
statusgen="${cycle[0]}"
command -v jq >/dev/null || { echo "commit-data: jq is required" >&2 && exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
lost=()     # state.json of each cycle whose commit lost a race
cycle_code=0
rebuild_failed=""

say() { echo "commit-data: $*" >&2; }

# loud prints an error, as an annotation on GitHub Actions too.
loud() {
	say "$*"
	if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::error title=commit-data::$*"; fi
}

# unpushed gives up: this run's data/ is not on the remote. Its outbox is
# printed so the alerts in it are seen; the next run starts from the
# branch's state and announces again whatever is still true.
unpushed() {
	loud "$* — this cycle's data/ is NOT on $remote/$branch"
	local f
	say "undelivered alerts in the unpushed state (the next run announces again what is still true):"
	for f in "${lost[@]}" data/state.json; do
		if [ -f "$f" ]; then jq -c '.outbox[]?' "$f" >&2 || true; fi
	done
	exit 1
}

# fetch_tip prints the remote branch's current commit, fetched.
fetch_tip() {
	git fetch -q "$remote" "refs/heads/$branch" || return 1
	git rev-parse FETCH_HEAD
}

run_cycle() {
	if [ -n "$summary" ]; then rm -f "$summary"; fi
	cycle_code=0
	"${cycle[@]}" || cycle_code=$?
	if [ "$cycle_code" -ne 0 ]; then say "the cycle exited $cycle_code; committing what it wrote"; fi
}

# commit_data commits data/ if the cycle changed it; false when it did not.
commit_data() {
	git add -A data/ || unpushed "git add data/ failed"
	if git diff --cached --quiet; then
		return 1
	fi
	local message=""
	if [ -n "$summary" ]; then message="$(head -n 1 "$summary" 2>/dev/null || true)"; fi
	git commit -q -m "${message:-status: cycle} [skip ci]" || unpushed "git commit failed"
}

# on_remote is true when HEAD is on the remote branch.
on_remote() {
	local tip
	tip="$(fetch_tip)" && git merge-base --is-ancestor HEAD "$tip"
}

# merge_lines adds to the work tree's data/**/*.jsonl the lines that commit
# $2 added since $1 and that the file lacks; it prints how many.
merge_lines() {
	local base="$1" ours="$2" path added=0 n
	git diff --name-only --diff-filter=AM "$base" "$ours" -- 'data/*.jsonl' >"$work/paths" || return 1
	while IFS= read -r path; do
		git show "$base:$path" >"$work/base" 2>/dev/null || : >"$work/base"
		git show "$ours:$path" >"$work/ours" || return 1
		mkdir -p "$(dirname "$path")" && touch "$path" || return 1
		if [ -s "$path" ] && [ -n "$(tail -c 1 "$path")" ]; then echo >>"$path"; fi
		# Lines of ours that neither the base nor the file holds.
		awk -v base="$work/base" -v have="$path" '
			BEGIN { while ((getline l < base) > 0) seen[l] = 1; while ((getline l < have) > 0) seen[l] = 1 }
			!($0 in seen) { seen[$0] = 1; print }' "$work/ours" >"$work/new" || return 1
		n=$(($(wc -l <"$work/new")))
		[ "$n" -gt 0 ] || continue
		cat "$work/new" >>"$path" || return 1
		case "$path" in
		data/checks/*)
			# Every check line starts {"time":"<fixed-width UTC time>": the
			# 4th field split at quotes; -s keeps equal times in file order.
			LC_ALL=C sort -s -t '"' -k4,4 "$path" >"$work/sorted" && cat "$work/sorted" >"$path" || return 1
			;;
		esac
		say "kept $n line(s) of the lost cycle in $path"
		added=$((added + n))
	done <"$work/paths"
	echo "$added"
}

# rerun_on_tip abandons HEAD's commit for the tip's, keeping its JSONL
# lines, and runs the cycle again there.
rerun_on_tip() {
	local tip="$1" base="$2" ours added
	ours="$(git rev-parse HEAD)"
	lost+=("$work/lost-${#lost[@]}.json")
	git show "$ours:data/state.json" >"${lost[-1]}" 2>/dev/null || echo '{}' >"${lost[-1]}"
	git reset -q --hard "$tip" || unpushed "cannot reset to $remote/$branch"
	added="$(merge_lines "$base" "$ours")" || unpushed "could not merge the lost cycle's lines into the branch's"
	if [ "$added" -gt 0 ]; then
		"$statusgen" rebuild >&2 || rebuild_failed="statusgen rebuild failed: the rollups miss ${added} merged line(s)"
	fi
	say "running the cycle again on the branch's state"
	run_cycle
	commit_data || true
}

# unaccounted lists the alerts of the lost states that data/ (the remote's
# now) neither holds in its outbox nor agrees are done.
unaccounted() {
	local ids='[]' f
	if [ -f data/incidents.jsonl ]; then
		ids="$(jq -R -n -c '[inputs | fromjson? | .id? // empty]' data/incidents.jsonl)"
	fi
	{ for f in "${lost[@]}"; do
		jq -r --slurpfile final data/state.json --argjson incidents "$ids" '
			$final[0] as $f
			| .outbox[]? | select(.kind != "reminder") | . as $a
			| select(($f.outbox // []) | any(.kind == $a.kind and .service == $a.service and .incident_id == $a.incident_id) | not)
			| (($f.services // {})[$a.service] // {}) as $s
			| ($s.announced == true and $s.incident_id == $a.incident_id) as $open
			| select(if $a.kind == "down" then ($open or ($incidents | any(. == $a.incident_id))) | not
				elif $a.kind == "recovered" then $open
				else true end)
			| "\($a.kind | ascii_upcase) \($a.service) (incident \($a.incident_id), at \($a.at))"' "$f" || exit 1
	done; } | sort -u
}

cd "$(git rev-parse --show-toplevel)"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	say "the work tree has uncommitted changes to tracked files; refusing to reset it to the branch's tip"
	exit 1
fi
if [ -z "$(git config user.email || true)" ]; then
	git config user.name "github-actions[bot]"
	git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
fi

tip="$(fetch_tip)" || { loud "cannot fetch $remote/$branch" && exit 1; }
git reset -q --hard "$tip"
say "cycle on $remote/$branch at $(git rev-parse --short HEAD)"
run_cycle
if ! commit_data; then
	say "data/ unchanged"
	exit "$cycle_code"
fi

for ((attempt = 1; ; attempt++)); do
	if git push -q "$remote" "HEAD:refs/heads/$branch"; then
		if on_remote; then break; fi
		loud "the push reported success, but the commit is not on $remote/$branch"
	fi
	if [ "$attempt" -ge "$attempts" ]; then
		unpushed "gave up after $attempt push attempt(s)"
	fi
	tip="$(fetch_tip)" || unpushed "cannot fetch $remote/$branch"
	base="$(git merge-base HEAD "$tip")" || unpushed "$remote/$branch was rewritten: no common ancestor to merge from"
	if [ "$base" = "$tip" ]; then
		say "the branch has not moved; pushing again"
		continue
	fi
	theirs="$(git diff --name-only "$base" "$tip" | sort)"
	mine="$(git diff --name-only "$base" HEAD | sort)"
	if [ -z "$(comm -12 <(echo "$theirs") <(echo "$mine"))" ] && git rebase -q "$tip" >&2; then
		say "the branch moved (no file of this cycle's touched): rebased, pushing again"
		continue
	fi
	git rebase --abort >/dev/null 2>&1 || true
	say "the branch moved and changed data/ this cycle wrote: its state wins"
	rerun_on_tip "$tip" "$base"
done

say "on $remote/$branch: $(git log -1 --format='%h %s')"
missing="$(unaccounted)" || { loud "could not compare the lost cycles' outboxes with the branch's state" && exit 1; }
if [ -n "$missing" ]; then
	loud "alerts a lost cycle could not deliver are neither queued nor done in the branch's state:"
	echo "$missing" >&2
	exit 1
fi
if [ -n "$rebuild_failed" ]; then
	loud "$rebuild_failed"
	exit 1
fi
exit "$cycle_code"
