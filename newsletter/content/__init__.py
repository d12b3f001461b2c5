"""Issue file -> content model: front matter, Markdown, and the model itself."""
