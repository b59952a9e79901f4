"""The command-line edge: each command parses its arguments, calls one use case and prints the
answer; errors a user can cause end with exit code 2 and one line naming the field.

The `docgen` group itself, and the commands that start processes (init, run, worker), are in
`docgen.main`, the composition root of the command line.
"""
