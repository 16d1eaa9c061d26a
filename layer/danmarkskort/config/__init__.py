"""Configuration: where the files come from, their typed models and the bundled defaults."""
