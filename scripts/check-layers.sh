#!/usr/bin/env bash
# Who may include which part of engine/lib: base/ and proto/ are shared by
# every program and include no side's header; client/, daemon/ and admin/
# belong to one side each; each program includes only its own side.
# Prints one line per violation and exits 1, or prints nothing and exits 0.
# Usage: scripts/check-layers.sh [TOP]   (TOP: a checkout, default this one)
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"

# directory (relative to TOP) : the engine/lib folders it may include, joined by +
rules=(
  engine/lib/base:base
  engine/lib/proto:base+proto
  engine/lib/client:base+proto+client
  engine/lib/daemon:base+proto+daemon
  engine/lib/admin:base+proto+admin
  engine/client:base+proto+client
  engine/pump:base+proto+client
  engine/monitor:base+proto+client
  engine/daemon:base+proto+daemon
  engine/preflight:base+proto+admin
  distcc-config:base+proto+admin
  flags:base+proto+admin
)
folders='base|proto|client|daemon|admin'

bad=0
for rule in "${rules[@]}"; do
  dir=${rule%%:*}
  allowed="+${rule#*:}+"
  [ -d "$dir" ] || continue
  while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    inc=$(sed -E 's/^[^"]*"([^"]*)".*/\1/' <<<"${rest#*:}")
    case $inc in
      */*)
        part=${inc%%/*}
        if [[ ! $part =~ ^($folders)$ ]]; then continue; fi
        if [[ $allowed != *"+$part+"* ]]; then
          may=${rule#*:}
          echo "$file:$line: includes $inc, but $dir may include only ${may//+//, }/"
          bad=1
        fi
        ;;
      dcc_*.h)
        echo "$file:$line: includes $inc without its folder (write base/, proto/, client/, daemon/ or admin/)"
        bad=1
        ;;
    esac
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$dir"/*.c "$dir"/*.h 2>/dev/null || true)
done

# Every folder of engine/lib has a rule: a new one must say who may use it.
for d in engine/lib/*/; do
  d=${d%/}
  known=0
  for rule in "${rules[@]}"; do [ "${rule%%:*}" = "$d" ] && known=1; done
  if [ "$known" -eq 0 ]; then
    echo "$d: a folder of engine/lib that scripts/check-layers.sh has no rule for"
    bad=1
  fi
done
exit "$bad"
