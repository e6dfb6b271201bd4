"""The `tracelot` command line: a thin layer over the Python API.

It starts at once: importing it loads Typer and the small parts of tracelot that build
its commands, nothing else. A command imports the services it uses (and the facade,
through the root callback) when it runs; heavy libraries load inside the functions that
need them (tests/test_startup.py checks). The command modules do not use
`from __future__ import annotations`: Typer reads every command's annotations on each
run, and objects made once at import read about three times faster than strings to be
evaluated (docs/performance.md, "Start-up").
"""
