"""Studies: anything that runs several jobs to compare them (sweeps, the privacy-utility trade-off)."""
