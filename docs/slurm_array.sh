#!/bin/bash
#SBATCH --job-name=simulacra
#SBATCH --array=0-15
#SBATCH --cpus-per-task=8
#SBATCH --mem=16G
#SBATCH --time=12:00:00
#SBATCH --requeue
# 16 shards of one 100000-image job; each task runs 2 workers with 4 threads each.
# Join them when all are done:  simulacra merge /shared/tabletop-shards/shard-* -o /shared/tabletop
set -euo pipefail
SHARDS=16
OUT=/shared/tabletop-shards
simulacra generate tabletop -n 100000 --seed 7 \
    -o "$OUT/shard-$SLURM_ARRAY_TASK_ID" --shard "$SLURM_ARRAY_TASK_ID/$SHARDS" \
    --workers 2 --threads-per-worker 4 --max-worker-rss-mb 4000 --resume
