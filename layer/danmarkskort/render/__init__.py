"""Site rendering: pages, map snippets, the reading guide and open data (render_site's core)."""
