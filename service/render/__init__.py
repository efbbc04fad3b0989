"""HTML rendering of a score response: one renderer for notebooks, reports and the review page.

``render_article(response)`` returns a self-contained fragment (scoped stylesheet, no script, no
external resource); ``render_document(fragment, title=...)`` wraps it in a standalone page.
Rendering only reads the response: it never computes a score.
"""

from service.render.article import render_article, render_document

__all__ = ["render_article", "render_document"]
