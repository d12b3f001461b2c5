"""Content model -> outputs: HTML fragments, Jinja -> MJML -> MRML, inlining, and the text part."""
