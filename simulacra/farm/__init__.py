"""The render farm: where images render (dispatch), worker processes, Ray actors, and the one
supervisor (retries, timeouts, failure ledger) both use."""
