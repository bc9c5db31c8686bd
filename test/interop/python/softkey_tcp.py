"""python-fido2 0.9.1 transport for softkey's TCP HID (`softkey start --tcp-hid`).

Every report, both ways, is a 2-byte big-endian length followed by the 64-byte report (the
framing of pico-fido's emulation build). This module only moves reports; the CTAPHID framing is
python-fido2's own `fido2.hid.CtapHidDevice`.

TCP HID has no reset line, so `send_raw` (used by softkey_udp.power_cycle for the magic reboot
datagram) goes to the device's UDP port: the same device listens on both, and the power cycle is
an out-of-band event, like pulling the key out of the USB port.
"""

import socket
import struct

from fido2.hid.base import CtapHidConnection

REPORT_SIZE = 64


class TcpCtapHidConnection(CtapHidConnection):
    def __init__(self, host, port, udp_port, timeout=15.0):
        self.device_address = (host, port)
        self.udp_address = (host, udp_port)
        self.sock = socket.create_connection(self.device_address, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.buffer = b""

    def write_packet(self, packet):
        if len(packet) != REPORT_SIZE:
            raise ValueError("a CTAPHID report must be %d bytes" % REPORT_SIZE)
        self.sock.sendall(struct.pack(">H", REPORT_SIZE) + bytes(packet))

    def _read_exactly(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("softkey closed the TCP HID connection")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def read_packet(self):
        (length,) = struct.unpack(">H", self._read_exactly(2))
        report = self._read_exactly(length)
        if length != REPORT_SIZE:
            raise ValueError("frame of %d bytes is not a report" % length)
        return report

    def drain(self, quiet=0.05):
        """Discards reports already queued (e.g. answers to an abandoned request)."""
        previous = self.sock.gettimeout()
        self.sock.settimeout(quiet)
        try:
            while True:
                self.read_packet()
        except (socket.timeout, BlockingIOError):
            pass
        finally:
            self.sock.settimeout(previous)
        # A partial frame left by the timeout is dropped with the rest.
        self.buffer = b""

    def send_raw(self, data):
        self.udp.sendto(bytes(data), self.udp_address)

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.udp.close()
            self.sock = None
