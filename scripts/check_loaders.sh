#!/usr/bin/env bash
# Do FiftyOne and Datumaro read simulacra's exports as they are? Checked with their own importers.
#
# Not CI: it downloads FiftyOne and Datumaro (hundreds of MB) into throwaway environments,
# one per tool, because neither installs beside the project's pinned packages (Datumaro
# wants pandas < 3 and pillow < 13, FiftyOne's botocore python-dateutil < 3). Renders two
# small datasets with this checkout's CLI (a 64 px tabletop set, and a 96 px bin-picking
# set of a dozen piled, occluded objects an image), exports coco (polygons and RLE), yolo
# and yolo-seg, and runs scripts/check_loaders.py in each environment: one line per check,
# compared with the dataset's own labels, pixel for pixel. Exit status 1 if a check failed.
#
# Usage: scripts/check_loaders.sh [WORK]   (default WORK: /tmp/simulacra-loaders; the
#        environments there are reused on a second run, the datasets are rendered anew)
#        SIMULACRA=path/to/simulacra overrides the CLI (default: .venv/bin/simulacra)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-/tmp/simulacra-loaders}
SIMULACRA=${SIMULACRA:-$REPO/.venv/bin/simulacra}
PYTHON=${PYTHON:-python3.11}
SPLIT=train=0.5,val=0.25,test=0.25
declare -A PACKAGES=(
  [fiftyone]="fiftyone pycocotools" # FiftyOne decodes every COCO mask with pycocotools, not its dependency
  [datumaro]="datumaro"
)

if [[ ! -x $SIMULACRA ]]; then
  echo "check_loaders: $SIMULACRA not found; run 'make setup' first or set SIMULACRA" >&2
  exit 2
fi
mkdir -p "$WORK"

# A throwaway environment per tool; torch must not come with either (it would be gigabytes).
for tool in "${!PACKAGES[@]}"; do
  env=$WORK/env-$tool
  if [[ ! -e $env/.installed ]]; then
    rm -rf "$env"
    "$PYTHON" -m venv "$env"
    "$env/bin/pip" install --quiet --upgrade pip 2> >(grep -v '^WARNING: Location' >&2)
    # shellcheck disable=SC2086 # the package list is meant to split
    "$env/bin/pip" install --quiet ${PACKAGES[$tool]} 2> >(grep -v '^WARNING: Location' >&2)
    touch "$env/.installed"
  fi
  "$env/bin/python" -c "
import importlib.metadata as m, importlib.util as u
print('$tool: installed', m.version('$tool'), '(torch installed too)' if u.find_spec('torch') else '(no torch)')"
done

datasets=$WORK/datasets
rm -rf "$datasets" "$WORK/simulacra.log"
mkdir -p "$datasets"
cat >"$datasets/tabletop.yaml" <<'EOF'
name: tabletop-tiny
resolution: [64, 64]
samples: 4
objects:
  count_range: [3, 5]
  scale_range: [1.4, 1.8]
camera:
  distance_range: [0.9, 1.1]
posters:
  probability: 0.0
EOF
sed -e 's/^resolution: .*/resolution: [96, 96]/' -e 's/^samples: .*/samples: 4/' \
  "$REPO/scenes/bin-picking.yaml" >"$datasets/bin-picking.yaml"

log=$WORK/simulacra.log
quietly() { # the CLI's progress goes to the log; on failure its last lines are shown
  "$@" >>"$log" 2>&1 || { tail -n 5 "$log" >&2; exit 1; }
}
failed=0
for spec in tabletop:8 bin-picking:4; do
  name=${spec%%:*}
  data=$datasets/$name
  quietly "$SIMULACRA" generate "$datasets/$name.yaml" -n "${spec##*:}" -o "$data" --seed 5
  for fmt in coco:polygon coco-rle:rle yolo: yolo-seg:; do
    out=${fmt%%:*}
    segmentation=${fmt##*:}
    quietly "$SIMULACRA" export "$data" --format "${out%-rle}" -o "$data-exports/$out" --split "$SPLIT" \
      ${segmentation:+--segmentation "$segmentation"}
  done
  for tool in fiftyone datumaro; do
    "$WORK/env-$tool/bin/python" "$REPO/scripts/check_loaders.py" "$tool" "$data" "$data-exports" |
      sed "s/^/$name: /" || failed=1
  done
done

exit $failed
