"""Reading processes from /proc (children, process group) and the environment a service
dumped with `env > FILE`, for the tests that look at tend's children."""
import pathlib


def children_of(pid):
    """The pids of the process's children (none once it is gone)."""
    try:
        return [int(x) for x in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def pgrp(pid):
    """The process's group id."""
    stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[2])


def read_env(path):
    """A file written by `env` as a dict (a line without '=' is a name with an empty value)."""
    env = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        env[name] = value
    return env
