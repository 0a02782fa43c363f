"""What the test_log_* files share: reading a log file's lines, writing a logging section,
running tend to its end."""

PY = "/usr/bin/python3"


def lines(path):
    """The file's lines; none while it does not exist."""
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def log_section(name, selector, file, **keys):
    """A NAME.logging section writing what `selector` picks to `file`, then `keys` (format="json",
    extended=True, ...) in that order."""
    settings = "".join(f"  {key}: {str(value).lower() if value is True else value}\n"
                       for key, value in keys.items())
    return f"""
{name}.logging:
  selector: "{selector}"
  file: {file}
{settings}"""


def run_clean(tend, config, args=(), timeout=30):
    """Run tend with `config` until it exits by itself; assert that it exits 0; return it."""
    tp = tend(list(args), config=config)
    assert tp.wait(timeout) == 0, tp.stderr
    return tp


def text(path):
    """The file's text; "" while it does not exist."""
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""
