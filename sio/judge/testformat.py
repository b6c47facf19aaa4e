"""The checks sinol-make makes of a test file's layout (``sinol-make
gen``/``verify``): no leading or trailing spaces on a line, tokens
separated by one space, Unix line ends, a newline at the end, no empty
lines but (at most) one at the very end."""


def problems(path: str) -> str | None:
    """What is wrong with the test at ``path``, as sinol-make words it
    (the first problem), or None."""
    name = path.rsplit('/', 1)[-1]
    with open(path, 'rb') as f:
        lines = f.readlines()
    empty = 0
    for number, raw in enumerate(lines, 1):
        try:
            line = raw.decode('utf-8')
        except UnicodeDecodeError:
            return f'Not UTF-8 text in {name}:{number}'
        if line.startswith(' '):
            return f'Leading whitespace in {name}:{number}'
        if line.endswith(('\r\n', '\n\r', '\r')):
            return f'Carriage return at the end of {name}:{number}'
        if not line.endswith('\n'):
            return f'No newline at the end of {name}'
        if line == '\n':
            empty += 1
            continue
        if number == len(lines):
            empty = 0
        if line[-2] == ' ':
            return f'Trailing whitespace in {name}:{number}'
        if '  ' in line:
            return f'Tokens not separated by one space in {name}:{number}'
    if empty:
        return f'Exactly one empty line expected in {name}'
    return None
