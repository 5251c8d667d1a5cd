#!/usr/bin/python3
"""Runs a command on a pseudo-terminal, as a person at a terminal would: once its output shows the
marker, types Ctrl-C (the terminal's line discipline sends SIGINT to the process group), then waits
up to the grace period for the command to exit. Prints one JSON line: the exit code (None if it was
still running and had to be killed), the seconds from Ctrl-C to exit, and everything it printed."""
import json
import os
import pty
import select
import signal
import sys
import time

marker, grace, command = sys.argv[1].encode(), float(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

output = b''
typed_at = None
status = None
deadline = time.monotonic() + 120
while status is None and time.monotonic() < deadline and (typed_at is None or time.monotonic() - typed_at < grace):
    ready, _, _ = select.select([fd], [], [], 0.02)
    if ready:
        try:
            output += os.read(fd, 65536)
        except OSError:  # EIO: the command closed the terminal
            pass
    if typed_at is None and marker in output:
        os.write(fd, b'\x03')
        typed_at = time.monotonic()
    done, raw = os.waitpid(pid, os.WNOHANG)
    if done:
        status = raw
exited_after = None if typed_at is None or status is None else time.monotonic() - typed_at
if status is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
try:
    while select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        output += chunk
except OSError:
    pass
code = None if status is None else (os.waitstatus_to_exitcode(status))
print(json.dumps({'code': code, 'typed': typed_at is not None, 'exitedAfter': exited_after, 'output': output.decode('utf-8', 'replace')}))
