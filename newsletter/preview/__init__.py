"""`newsletter preview`: a small live-reload server for issues, built on the standard library.

plan.py decides what a file change rebuilds, state.py keeps the last good build of every
issue and an epoch counter, watcher.py feeds file changes in, variants.py makes the
"Dark", "No styles" and "Images off" views, pages.py renders the index and the issue
summary, and server.py routes requests. The page itself is static/ (plain HTML, CSS, JS).
"""
