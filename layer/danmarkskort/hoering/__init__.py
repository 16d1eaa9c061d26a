"""The consultation round (høring): municipalities see their figures before publication,
comment through a personal link, and the site is published with their comments."""
