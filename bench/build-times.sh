#!/bin/bash
# Build times of the CLI before and after a change, as BENCHMARKS.md reports them:
#   bench/build-times.sh BEFORE_REV [AFTER_REV]
# Each revision gets a worktree and a target dir of its own under $TMPDIR/quiver-bt.
# Prints one line per build: rev, what, user s, sys s, wall s. An incremental build
# appends a comment to src/lib.rs (a core change) or to the CLI's main.rs; five of
# each, alternating the two revisions so that a busy machine slows both alike. Compare
# CPU time (user+sys) when the machine is shared.
set -euo pipefail
before=$1; after=${2:-HEAD}
root=$(git rev-parse --show-toplevel); work=${TMPDIR:-/tmp}/quiver-bt; mkdir -p "$work"
cli_of() { if [ -d "$1/crates/quiver-cli" ]; then echo "quiver-cli crates/quiver-cli/src/main.rs"; else echo "quiver src/bin/quiver/main.rs"; fi; }
for rev in before after; do
  sha=$([ $rev = before ] && echo "$before" || echo "$after")
  rm -rf "$work/$rev"; git -C "$root" worktree add -q --detach "$work/$rev" "$sha"
  rm -rf "$work/target-$rev"
  read -r pkg _ < <(cli_of "$work/$rev")
  ( cd "$work/$rev" && s=$( { CARGO_TARGET_DIR=$work/target-$rev /usr/bin/time -f "%U %S %e" cargo build -q -p "$pkg" --bin quiver; } 2>&1 | tail -1) && echo "$rev clean $s" )
done
for i in 1 2 3 4 5; do
  for rev in before after; do
    read -r pkg main < <(cli_of "$work/$rev")
    for what in core cli; do
      file=$([ $what = core ] && echo src/lib.rs || echo "$main")
      ( cd "$work/$rev" && echo "// $i" >> "$file" && s=$( { CARGO_TARGET_DIR=$work/target-$rev /usr/bin/time -f "%U %S %e" cargo build -q -p "$pkg" --bin quiver; } 2>&1 | tail -1) && echo "$rev $what $s" )
    done
  done
done
for rev in before after; do git -C "$root" worktree remove --force "$work/$rev"; done
