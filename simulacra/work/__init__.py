"""The per-image work unit and rendering one scene graph under its render-time rules."""
