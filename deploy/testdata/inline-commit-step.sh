#!/usr/bin/env bash
# The "One cycle" and "Commit data/" steps of .github/workflows/status.yml
# before issue 13, behind commit-data.sh's arguments, kept to show that the
# tests in this folder fail on them:
#
#   COMMIT_DATA_SCRIPT=testdata/inline-commit-step.sh go test ./deploy
#
# Actions runs a step's script with `bash -e`; the checkout is the commit
# the run was queued for (no fetch of the branch before the cycle).
set -u
branch="" summary=""
while [ $# -gt 0 ]; do
	case "$1" in
	--branch) branch="$2" && shift 2 ;;
	--summary) summary="$2" && shift 2 ;;
	--attempts) shift 2 ;;
	--) shift && break ;;
	*) exit 2 ;;
	esac
done

# One cycle (a failed cycle fails the job; the commit step still runs).
"$@"
cycle=$?

# Commit data/, verbatim but for its inputs.
GITHUB_REF_NAME="$branch" SUMMARY="$summary" bash -e -c '
  git config user.name "github-actions[bot]"
  git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
  git add data/
  if git diff --cached --quiet; then
    echo "data/ unchanged"
    exit 0
  fi
  message="$(head -n 1 "$SUMMARY" 2>/dev/null || true)"
  git commit --quiet -m "${message:-status: cycle} [skip ci]"
  for attempt in 1 2 3 4 5; do
    if git push --quiet origin "HEAD:${GITHUB_REF_NAME}"; then
      exit 0
    fi
    echo "push rejected (attempt ${attempt}); rebasing on the branch"
    git pull --quiet --rebase origin "${GITHUB_REF_NAME}"
    sleep $((attempt * 2))
  done
  echo "could not push data/ after 5 attempts" >&2
  exit 1
'
commit=$?
if [ "$cycle" -ne 0 ]; then exit "$cycle"; fi
exit "$commit"
