"""Server-rendered HTML of the local backend: the gallery, the checkout and its receipt.

Pure string building with :func:`html.escape` (no template engine, no JavaScript, no
external assets): every function takes plain values and returns markup, and the routes in
:mod:`image_skill.local.routes.pages` and :mod:`image_skill.local.routes.gallery` wrap it
in responses.
"""
