#!/usr/bin/python3
"""Shared harness for the python-fido2 0.9.1 interop suites (flows*.py).

Every check prints `PASS name` or `FAIL name: reason`; the last line is `N passed, M failed`
and the exit code is 0 only when M == 0. Lines starting with `#` are information.
A suite is a function `flows(run, connection)`; `run_suite(flows, doc)` parses the standard
arguments (--device-port, --reply-port, --host, --timeout), connects over UDP and runs it.
"""

import argparse
import os
import socket
import sys
import traceback

sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fido2  # noqa: E402
from fido2.client import ClientData  # noqa: E402
from fido2.ctap import CtapError  # noqa: E402
from fido2.utils import websafe_encode  # noqa: E402
from fido2.webauthn import (  # noqa: E402
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialParameters,
    PublicKeyCredentialUserEntity,
)

from softkey_tcp import TcpCtapHidConnection  # noqa: E402
from softkey_udp import UdpCtapHidConnection  # noqa: E402


class Prerequisite(Exception):
    """An earlier step this check depends on failed."""


class Runner(object):
    def __init__(self, connection, reset_window_s=10.0):
        self.connection = connection
        # The device's reset window (CTAP 2.1 section 6.6), as its --reset-window-ms sets it.
        self.reset_window_s = reset_window_s
        self.passed = 0
        self.failed = 0

    def check(self, name, fn):
        """Runs fn; prints PASS/FAIL; returns fn's result, or None when it failed."""
        try:
            result = fn()
        except Exception as e:  # noqa: BLE001 - every failure is a FAIL line
            self.failed += 1
            print("FAIL %s: %s" % (name, describe(e)), flush=True)
            if not isinstance(e, (AssertionError, CtapError, Prerequisite, socket.timeout)):
                for line in traceback.format_exc().rstrip().splitlines():
                    print("#   " + line, flush=True)
            # A timed-out or half-read transaction may still deliver reports: drop them.
            try:
                self.connection.drain(0.2)
            except Exception:  # noqa: BLE001
                pass
            return None
        self.passed += 1
        print("PASS %s" % name, flush=True)
        return result


def describe(e):
    if isinstance(e, CtapError):
        return "CtapError %s" % e.code
    if isinstance(e, socket.timeout):
        return "timed out waiting for a report from the device"
    if isinstance(e, (AssertionError, Prerequisite)):
        return str(e) or "assertion failed"
    return "%s: %s" % (type(e).__name__, e)


def info(message):
    print("# " + message, flush=True)


def ensure(condition, message):
    if not condition:
        raise AssertionError(message)


def need(*values):
    for v in values:
        if v is None:
            raise Prerequisite("skipped: a prerequisite step failed")


def expect_ctap_error(code, fn):
    try:
        fn()
    except CtapError as e:
        ensure(e.code == code, "expected CtapError %s, got %s" % (code, e.code))
        return
    raise AssertionError("expected CtapError %s, got success" % code)


def run_suite(flows, doc=__doc__):
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--device-port", type=int, default=8111)
    parser.add_argument("--reply-port", type=int, default=7112)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per report")
    parser.add_argument(
        "--tcp-hid-port", type=int, help="use TCP HID on this port instead of UDP reports"
    )
    parser.add_argument(
        "--reset-window-ms",
        type=int,
        default=10000,
        help="the device's reset window (its --reset-window-ms; softkey's default 10000)",
    )
    args = parser.parse_args()

    info("python-fido2 %s, python %s" % (fido2.__version__, sys.version.split()[0]))
    try:
        if args.tcp_hid_port:
            info("transport: TCP HID %s:%d" % (args.host, args.tcp_hid_port))
            connection = TcpCtapHidConnection(
                args.host, args.tcp_hid_port, args.device_port, timeout=args.timeout
            )
        else:
            connection = UdpCtapHidConnection(
                device_port=args.device_port,
                reply_port=args.reply_port,
                device_host=args.host,
                reply_host=args.host,
                timeout=args.timeout,
            )
    except OSError as e:
        print("FAIL transport.open: %s" % e, flush=True)
        print("0 passed, 1 failed", flush=True)
        return 1
    run = Runner(connection, args.reset_window_ms / 1000.0)
    try:
        flows(run, connection)
    except Exception as e:  # noqa: BLE001 - a bug in this script must not hide the summary
        run.failed += 1
        print("FAIL flows.internal: %s" % describe(e), flush=True)
        for line in traceback.format_exc().rstrip().splitlines():
            print("#   " + line, flush=True)
    finally:
        connection.close()
    print("%d passed, %d failed" % (run.passed, run.failed), flush=True)
    return 0 if run.failed == 0 and run.passed > 0 else 1


def client_data_hash(kind, rp_id):
    return ClientData.build(
        type=kind,
        challenge=websafe_encode(os.urandom(32)),
        origin="https://" + rp_id,
        crossOrigin=False,
    ).hash


def params(alg):
    return [PublicKeyCredentialParameters("public-key", alg)]


def descriptor(credential_id):
    return PublicKeyCredentialDescriptor("public-key", credential_id)


def user(user_id, label):
    return PublicKeyCredentialUserEntity(
        user_id, "%s@softkey.test" % label, display_name="User " + label
    )
