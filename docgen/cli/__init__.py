"""The command-line edge: each command parses its arguments, calls one use case and prints the
answer; errors a user can cause end with exit code 2 and one line naming the field.

The `docgen` group itself, which names these commands and imports each only when it runs, is in
`docgen.main`, the composition root of the command line, with `docgen init` and `docgen run`;
`docgen worker` is in `docgen.worker`.
"""
