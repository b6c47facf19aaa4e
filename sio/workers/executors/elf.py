"""What kind of program a file is, read from its first bytes: a static or
dynamically linked ELF executable, a Java archive, or something else."""

import struct

_PT_INTERP = 3


def program_kind(path: str) -> str:
    """``'static'``, ``'dynamic'`` (an ELF asking for a program
    interpreter, i.e. the dynamic loader), ``'jar'`` (a zip) or ``'other'``."""
    try:
        with open(path, 'rb') as f:
            header = f.read(64)
            if header.startswith(b'PK\x03\x04'):
                return 'jar'
            if len(header) < 64 or header[:4] != b'\x7fELF' or header[4] != 2:
                return 'other'  # not a 64-bit ELF: let the kernel say
            endian = '<' if header[5] == 1 else '>'
            phoff, = struct.unpack_from(endian + 'Q', header, 32)
            phentsize, phnum = struct.unpack_from(endian + 'HH', header, 54)
            if phnum > 4096 or phentsize < 4:
                return 'other'
            f.seek(phoff)
            table = f.read(phentsize * phnum)
    except OSError:
        return 'other'
    for i in range(min(phnum, len(table) // phentsize)):
        p_type, = struct.unpack_from(endian + 'I', table, i * phentsize)
        if p_type == _PT_INTERP:
            return 'dynamic'
    return 'static'
