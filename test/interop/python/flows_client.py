#!/usr/bin/python3
"""Interop oracle for softkey's WebAuthn client: python-fido2 0.9.1 re-derives PRF results.

Our TypeScript client (src/client) has already created credentials on the device and evaluated
the WebAuthn prf extension for some inputs, with and without user verification. For each case in
the --cases JSON file, this script computes the hmac-secret salt itself,
SHA-256("WebAuthn PRF" || 0x00 || input) (WebAuthn L3 10.1.4), asks the device through
python-fido2's own HmacSecretExtension (PIN/UV auth protocol 2, a pinUvAuthToken from its own
ClientPin when the case is user-verified), and checks output1 equals the client's results.first.

Every check prints `PASS name` or `FAIL name: reason`; the last line is `N passed, M failed`.
    /usr/bin/python3 test/interop/python/flows_client.py --device-port P --reply-port R --cases FILE
"""

import json
import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fido2.ctap2 import ClientPin, Ctap2, PinProtocolV2  # noqa: E402
from fido2.ctap2.extensions import HmacSecretExtension  # noqa: E402
from fido2.utils import sha256, websafe_decode  # noqa: E402

from harness import client_data_hash, descriptor, ensure, run_suite  # noqa: E402
from softkey_udp import open_device  # noqa: E402


def take_cases_argument():
    """Removes `--cases FILE` from argv (the harness parses the standard arguments) and loads it."""
    i = sys.argv.index("--cases")
    path = sys.argv[i + 1]
    del sys.argv[i : i + 2]
    with open(path) as f:
        return json.load(f)


CASES = take_cases_argument()


def flows(run, connection):
    state = {}

    def connect():
        state["ctap2"] = Ctap2(open_device(connection), strict_cbor=True)
        return state["ctap2"]

    ctap2 = run.check("connect", connect)
    if ctap2 is None:
        return

    for case in CASES["cases"]:

        def prf_matches(case=case):
            rp_id = CASES["rpId"]
            salt = sha256(b"WebAuthn PRF\x00" + websafe_decode(case["input"]))
            protocol = PinProtocolV2()
            cdh = client_data_hash("webauthn.get", rp_id)
            kwargs = {}
            if case["uv"]:
                token = ClientPin(ctap2, protocol).get_pin_token(
                    CASES["pin"], ClientPin.PERMISSION.GET_ASSERTION, rp_id
                )
                kwargs = {"pin_uv_param": protocol.authenticate(token, cdh), "pin_uv_protocol": protocol.VERSION}
            ext = HmacSecretExtension(ctap2, protocol)
            inputs = ext.process_get_input({"hmacGetSecret": {"salt1": salt}})
            a = ctap2.get_assertion(
                rp_id, cdh, [descriptor(websafe_decode(case["credentialId"]))],
                extensions={"hmac-secret": inputs}, **kwargs
            )
            ensure(a.auth_data.is_user_verified() == case["uv"], "UV flag")
            out = ext.process_get_output(a.auth_data)["hmacGetSecret"]["output1"]
            ensure(out == websafe_decode(case["expected"]), "python-fido2 derives another PRF value")

        run.check("prf.%s" % case["name"], prf_matches)


if __name__ == "__main__":
    sys.exit(run_suite(flows, __doc__))
