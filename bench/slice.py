# Sets the scheduler slice of threads: sched_setattr with the thread's own policy and nice kept and sched_runtime = the
# slice in ns, which Linux 6.12 and newer (EEVDF) honour for SCHED_OTHER (clamped to 0.1 to 100 ms; a thread with a
# shorter slice than the one running may preempt it when it wakes). Older kernels accept and ignore it.
#   python3 bench/slice.py NS TID...
import ctypes, os, struct, sys

libc = ctypes.CDLL(None, use_errno=True)
SYS_SCHED_SETATTR, SYS_SCHED_GETATTR = 314, 315  # x86_64
FMT = 'IIQiIQQQII'  # size, policy, flags, nice, priority, runtime, deadline, period, util_min, util_max


def attr(tid):
    buf = ctypes.create_string_buffer(56)
    if libc.syscall(SYS_SCHED_GETATTR, tid, buf, 56, 0) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return list(struct.unpack(FMT, buf.raw))


def set_slice(tid, ns):
    a = attr(tid)
    a[0], a[2], a[5] = 56, 0, ns
    buf = ctypes.create_string_buffer(struct.pack(FMT, *a), 56)
    if libc.syscall(SYS_SCHED_SETATTR, tid, buf, 0) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


ns = int(sys.argv[1])
for t in sys.argv[2:]:
    before = attr(int(t))[5]
    set_slice(int(t), ns)
    print(t, 'slice', before, '->', attr(int(t))[5])
