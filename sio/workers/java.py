"""How a Java program is started: one launcher for the exec jobs, the file
runners of upstream's API and the JVM's jail.

As upstream, a Java program's memory limit is its heap (``-Xmx``), not the
JVM's address space, which is far larger than what it uses. The thread
stack gets the same limit, capped (a stack reserved per thread). What the
whole JVM may hold (heap, stack, its code, metaspace, GC structures) is the
heap bound :func:`java_command` returns; the jail bounds the run's memory
cgroup by it.
"""

#: What a JVM holds beyond its heap and main stack (KiB).
JVM_OVERHEAD_KIB = 256 << 10
#: The largest thread stack given (KiB).
MAX_STACK_KIB = 256 << 10
#: The heap of a JVM started without a limit (KiB).
UNLIMITED_HEAP_KIB = 1 << 20


def java_command(jar: str, mem_limit_kib: int | None, main_class: str | None = None,
                 args: tuple | list = ()) -> tuple[list[str], int]:
    """The command that runs ``jar`` (its ``main_class``, or the jar's own
    entry point) with ``args`` under the memory limit ``mem_limit_kib``
    (None: the JVM's defaults), and the bound of all the memory that JVM
    may hold (KiB)."""
    options = ['-XX:+UseSerialGC']  # one collector thread: a small, steady footprint
    heap, stack = UNLIMITED_HEAP_KIB, 8 << 10
    if mem_limit_kib:
        heap, stack = mem_limit_kib, min(mem_limit_kib, MAX_STACK_KIB)
        options = [f'-Xmx{heap}k', f'-Xss{stack}k', *options]
    target = ['-classpath', jar, main_class] if main_class else ['-jar', jar]
    return ['java', *options, *target, *args], heap + stack + JVM_OVERHEAD_KIB
