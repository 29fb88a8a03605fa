#!/usr/bin/env python3
"""Time from launching Sluice to its first answered request, over repeated runs.

Usage: bench/startup.py [runs] -- java [JVM options] -jar gateway/target/sluice.jar run --config routes/demo.yaml

The clock starts just before the process is launched; the poller then asks GET /hello on
127.0.0.1:$SLUICE_PORT (default 8080) every millisecond until one answers 200, records the time,
and stops the gateway (SIGTERM). Prints each run and the median, min and max.
"""
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def answered(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def main():
    args = sys.argv[1:]
    runs = 10
    if args and args[0].isdigit():
        runs = int(args.pop(0))
    if args and args[0] == "--":
        args.pop(0)
    if not args:
        sys.exit(__doc__)
    port = int(os.environ.get("SLUICE_PORT", "8080"))
    times = []
    for i in range(runs):
        if answered(port):
            sys.exit(f"something already answers on port {port}")
        t0 = time.perf_counter()
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not answered(port):
            if p.poll() is not None:
                sys.exit(f"the gateway exited with {p.returncode} before answering")
            time.sleep(0.001)
        t = time.perf_counter() - t0
        times.append(t)
        p.send_signal(signal.SIGTERM)
        p.wait(30)
        print(f"run {i + 1}: {t * 1000:.0f} ms", flush=True)
    print(f"median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms,"
          f" max {max(times) * 1000:.0f} ms over {runs} runs")


if __name__ == "__main__":
    main()
