#!/usr/bin/env bash
# The logic of action.yml (a composite GitHub Action), kept here so a test can run it with a
# fake GITHUB_* environment and a local binary (crates/cli/tests/action.rs).
#
# 1. Finds gonogo: $GONOGO_BIN; else a cached $GONOGO_INSTALL_DIR/gonogo; else the release
#    archive at $INPUT_RELEASE_URL ({version}, {target}, {os}, {arch} replaced), unpacked into
#    $GONOGO_INSTALL_DIR (which actions/cache keeps); else `cargo install --locked --path
#    crates/cli` beside the action, or `--git $INPUT_GIT`.
# 2. Runs `gonogo run` or `gonogo gate` with the policy, env, baseline and extra arguments.
#    gonogo itself appends the Markdown to GITHUB_STEP_SUMMARY and prints the annotations when
#    GITHUB_ACTIONS=true.
# 3. Writes verdict, exit-code and report-dir to GITHUB_OUTPUT; with INPUT_COMMENT=true posts
#    the comment and check run (`gonogo report --github`, which never changes the exit code).
# 4. Exits with gonogo's exit code: a NO-GO (1) fails the job.
set -uo pipefail

command="${INPUT_COMMAND:-run}"
policy="${INPUT_POLICY:-gonogo.toml}"
out="${INPUT_OUT:-gonogo-report}"
version="${INPUT_VERSION:-}"
action_path="${GONOGO_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
install_dir="${GONOGO_INSTALL_DIR:-${RUNNER_TOOL_CACHE:-$HOME/.cache}/gonogo/${version:-source}}"

# On stderr: find_gonogo's stdout is the binary's path (the runner reads workflow commands
# from both streams).
die() {
  echo "::error title=gonogo action::$*" >&2
  [ -n "${GITHUB_OUTPUT:-}" ] && {
    echo "verdict=ERROR"
    echo "exit-code=2"
    echo "report-dir=$out"
  } >>"$GITHUB_OUTPUT"
  exit 2
}

case "$command" in
  run | gate) ;;
  *) die "command must be run or gate, not '$command'" ;;
esac

find_gonogo() {
  if [ -n "${GONOGO_BIN:-}" ]; then
    [ -x "$GONOGO_BIN" ] || die "GONOGO_BIN=$GONOGO_BIN is not an executable"
    echo "$GONOGO_BIN"
    return
  fi
  if [ -x "$install_dir/gonogo" ] || [ -x "$install_dir/bin/gonogo" ]; then
    echo "gonogo action: using the cached binary in $install_dir" >&2
    [ -x "$install_dir/gonogo" ] && echo "$install_dir/gonogo" || echo "$install_dir/bin/gonogo"
    return
  fi
  mkdir -p "$install_dir" || die "cannot create $install_dir"
  if [ -n "${INPUT_RELEASE_URL:-}" ]; then
    local arch os target url archive
    arch="$(uname -m)"
    os="$(uname -s | tr '[:upper:]' '[:lower:]')"
    case "$os" in
      linux) target="$arch-unknown-linux-gnu" ;;
      darwin) target="$arch-apple-darwin" ;;
      *) target="$arch-$os" ;;
    esac
    url="${INPUT_RELEASE_URL//\{version\}/$version}"
    url="${url//\{target\}/$target}"
    url="${url//\{os\}/$os}"
    url="${url//\{arch\}/$arch}"
    archive="$(mktemp)"
    echo "gonogo action: downloading $url" >&2
    curl --fail --silent --show-error --location --retry 3 --max-time 300 -o "$archive" "$url" \
      || die "could not download $url"
    tar -xzf "$archive" -C "$install_dir" || die "$url is not a .tar.gz archive"
    rm -f "$archive"
    local found
    found="$(find "$install_dir" -type f -name gonogo -perm -u+x | head -n 1)"
    [ -n "$found" ] || die "the archive at $url holds no executable gonogo"
    [ "$found" = "$install_dir/gonogo" ] || mv "$found" "$install_dir/gonogo"
    echo "$install_dir/gonogo"
    return
  fi
  command -v cargo >/dev/null || die "no release-url and no cargo: set release-url, or install a Rust toolchain first"
  if [ -f "$action_path/crates/cli/Cargo.toml" ]; then
    echo "gonogo action: cargo install --locked --path $action_path/crates/cli" >&2
    cargo install --locked --profile dist --root "$install_dir" --path "$action_path/crates/cli" >&2 \
      || die "cargo install failed"
  elif [ -n "${INPUT_GIT:-}" ]; then
    echo "gonogo action: cargo install --locked --git $INPUT_GIT" >&2
    cargo install --locked --profile dist --root "$install_dir" --git "$INPUT_GIT" gonogo >&2 \
      || die "cargo install failed"
  else
    die "no release-url, no crates/cli beside the action and no git input: nothing to install gonogo from"
  fi
  echo "$install_dir/bin/gonogo"
}

gonogo="$(find_gonogo)" || exit $?
"$gonogo" --version >&2 || die "$gonogo does not run"

args=("$command" --policy "$policy")
[ -n "${INPUT_ENV:-}" ] && args+=(--env "$INPUT_ENV")
[ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
if [ "$command" = run ]; then
  args+=(--out "$out")
else
  args+=(--out "$out/verdict.json")
fi
# Extra arguments, split on whitespace (no shell evaluation of the input).
read -r -a extra <<<"${INPUT_ARGS:-}"
args+=("${extra[@]}")

echo "gonogo action: gonogo ${args[*]}" >&2
"$gonogo" "${args[@]}"
code=$?

case "$code" in
  0) verdict=GO ;;
  1) verdict=NO-GO ;;
  *) verdict=ERROR ;;
esac
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "verdict=$verdict"
    echo "exit-code=$code"
    echo "report-dir=$out"
  } >>"$GITHUB_OUTPUT"
fi

if [ "${INPUT_COMMENT:-false}" = true ] && [ -f "$out/verdict.json" ]; then
  evidence="$out/evidence"
  [ -d "$evidence" ] || evidence=".gonogo/evidence"
  "$gonogo" report "$out/verdict.json" --github --evidence-dir "$evidence" \
    || echo "::warning title=gonogo action::posting the comment failed; the verdict stands"
fi

case "$verdict" in
  GO) echo "gonogo: GO" ;;
  NO-GO) echo "::error title=gonogo::NO-GO: see the step summary and $out/report.html" ;;
  *) echo "::error title=gonogo::gonogo ended with exit code $code (see the log above)" ;;
esac
exit "$code"
