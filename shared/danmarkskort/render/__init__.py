"""Site rendering: pages, map snippets, the reading guide and open data (render_site's core).

Kept import-light on purpose: remarks and the mail composer use ``render.fmt`` without
pulling in the templates or the geometry.
"""
