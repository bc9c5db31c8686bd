"""python-fido2 0.9.1 transport for softkey's UDP simulation (SoloKeys convention).

The device listens on a UDP port (default 127.0.0.1:8111) and sends every 64-byte CTAPHID
report to a fixed reply address (default 127.0.0.1:7112): one raw report per datagram, no
report-ID byte. This module only moves reports; the CTAPHID framing (INIT, channel ids,
fragmentation, keepalives, errors) is python-fido2's own `fido2.hid.CtapHidDevice`.
"""

import socket
import time

from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor

REPORT_SIZE = 64
DEFAULT_HOST = "127.0.0.1"
DEFAULT_DEVICE_PORT = 8111
DEFAULT_REPLY_PORT = 7112

# The solo simulation's reboot datagram: power-cycles the device instead of being a report.
MAGIC_REBOOT = bytes.fromhex(
    "ac1052ca95e569de69e02ebff333485f13f9b2da34c5a8a340526697a9ab2e0b"
    "394d8d04973c134005be1a0140bff6045bb26eb77a73eaa47813f6b49a7250dc"
)


class UdpCtapHidConnection(CtapHidConnection):
    """A `CtapHidConnection` (read_packet/write_packet/close) over two UDP endpoints.

    Binds the reply address (where the device sends its reports) and sends to the device
    address. `read_packet` raises `socket.timeout` after `timeout` seconds of silence, so a
    mute device fails a call instead of hanging it.
    """

    def __init__(
        self,
        device_port=DEFAULT_DEVICE_PORT,
        reply_port=DEFAULT_REPLY_PORT,
        device_host=DEFAULT_HOST,
        reply_host=DEFAULT_HOST,
        timeout=15.0,
    ):
        self.device_address = (device_host, device_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # A 7 KiB message is ~120 datagrams arriving back to back: make room for them.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind((reply_host, reply_port))
        self.sock.settimeout(timeout)

    def write_packet(self, packet):
        if len(packet) != REPORT_SIZE:
            raise ValueError("a CTAPHID report must be %d bytes" % REPORT_SIZE)
        self.sock.sendto(bytes(packet), self.device_address)

    def read_packet(self):
        while True:
            data, _ = self.sock.recvfrom(4096)
            if len(data) == REPORT_SIZE:
                return data
            # Anything else is not a report of this convention: ignore it.

    def drain(self, quiet=0.05):
        """Discards reports already queued (e.g. answers to an abandoned request)."""
        previous = self.sock.gettimeout()
        self.sock.settimeout(quiet)
        try:
            while True:
                self.sock.recvfrom(4096)
        except (socket.timeout, BlockingIOError):
            pass
        finally:
            self.sock.settimeout(previous)

    def send_raw(self, data):
        self.sock.sendto(bytes(data), self.device_address)

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def descriptor_for(connection):
    host, port = connection.device_address
    return HidDescriptor(
        "udp:%s:%d" % (host, port), 0, 0, REPORT_SIZE, REPORT_SIZE
    )


def open_device(connection):
    """A python-fido2 `CtapHidDevice` on `connection`; its constructor runs CTAPHID_INIT."""
    return CtapHidDevice(descriptor_for(connection), connection)


def power_cycle(connection, settle=0.1):
    """Sends the magic reboot datagram: the device drops volatile state (pinUvAuth state,
    pending assertions, the CTAPHID lock) and keeps credentials and the channels allocated
    before it (the solo1/canokey simulation convention). Returns the local time of the power-up."""
    connection.drain()
    connection.send_raw(MAGIC_REBOOT)
    at = time.monotonic()
    time.sleep(settle)
    connection.drain()
    return at
