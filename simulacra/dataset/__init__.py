"""The dataset folder: its layout, atomic writes, records, staging, assembly, COCO, the job
record, the one reader, statistics, version id and card. Imports nothing of the conductor above it."""
