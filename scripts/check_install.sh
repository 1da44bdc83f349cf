#!/usr/bin/env bash
# The install route a user takes: build the sdist and wheel, install the wheel into a fresh virtualenv
# outside the repository, then run the installed command from an unrelated directory: --version, init a
# configuration repository against the sandbox (importing and committing the demo account), plan it.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
REPO="$PWD"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "== build (sdist + wheel)" >&2
"$VENV/bin/python" -m build --outdir "$WORK/dist" "$REPO" >"$WORK/build.log" 2>&1 || {
  cat "$WORK/build.log" >&2
  exit 1
}
ls "$WORK/dist"/*.tar.gz "$WORK/dist"/*.whl >/dev/null
echo "== install the wheel into a fresh venv outside the repository" >&2
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WORK"/dist/*.whl
cmd="$WORK/venv/bin/infomaniak-gitops"
cd "$WORK"
echo "== $("$cmd" --version)" >&2
export GIT_AUTHOR_NAME="install check" GIT_AUTHOR_EMAIL="install-check@example.invalid"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
unset INFOMANIAK_API_TOKEN INFOMANIAK_STATE_DIR INFOMANIAK_GITOPS_HOME
"$cmd" --sandbox init config --import >"$WORK/init.log"
grep -q "imported  state/dns/example.ch.yaml" "$WORK/init.log"
cd config
test -z "$(git status --porcelain)" || { echo "init left uncommitted files" >&2; exit 1; }
"$cmd" --sandbox plan --detailed-exitcode >/dev/null
"$cmd" validate >/dev/null
echo "== installed wheel: init, import, commit and plan work outside the repository" >&2
