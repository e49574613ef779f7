"""Generating datasets: prepare and run a job, shards and merge, revocation, re-render, the demo;
auditing a folder of images and building indexes; curating assets (screening, the .blend check)."""
