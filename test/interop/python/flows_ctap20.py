#!/usr/bin/python3
"""Interop: python-fido2 0.9.1 drives softkey started with `--profile ctap20` (a CTAP 2.0-only key).

getInfo shows only CTAP 2.0 (versions U2F_V2 and FIDO_2_0, getInfo members 0x01-0x06, the options of
CTAP 2.0 section 5.4, pinProtocols [1]); python-fido2's ClientPin therefore picks PIN protocol 1 and the
legacy getPinToken; makeCredential and getAssertion work with that PIN token (pinAuth); CTAP 2.1
commands are CTAP1_ERR_INVALID_COMMAND; a PIN set means every makeCredential needs pinAuth
(CTAP2_ERR_PIN_REQUIRED, CTAP 2.0 section 5.1 step 6); an unsupported "uv" option is
CTAP2_ERR_UNSUPPORTED_OPTION (CTAP 2.0 wording).

Run with the Debian interpreter (python3-fido2 0.9.1):
    /usr/bin/python3 test/interop/python/flows_ctap20.py --device-port 8111 --reply-port 7112
"""

import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fido2 import cbor, cose  # noqa: E402
from fido2.ctap import CtapError  # noqa: E402
from fido2.ctap1 import Ctap1  # noqa: E402
from fido2.ctap2 import Ctap2  # noqa: E402
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2  # noqa: E402
from fido2.webauthn import PublicKeyCredentialRpEntity  # noqa: E402

from harness import (  # noqa: E402
    client_data_hash,
    descriptor,
    ensure,
    expect_ctap_error,
    need,
    params,
    run_suite,
    user,
)
from softkey_udp import open_device  # noqa: E402

ERR = CtapError.ERR
RP = PublicKeyCredentialRpEntity("ctap20.softkey.test", "CTAP 2.0 RP")
PIN = "1234"
# CTAP 2.0 section 5.4: authenticatorGetInfo members and options.
CTAP20_MEMBERS = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06}
CTAP20_OPTIONS = {"plat", "rk", "clientPin", "up", "uv"}
# CTAP 2.1 command bytes: credentialManagement, selection, largeBlobs, config, bioEnrollment and
# the credentialManagement preview.
CTAP21_COMMANDS = [0x0A, 0x0B, 0x0C, 0x0D, 0x09, 0x41]
GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS = 0x09


def main():
    return run_suite(flows, __doc__)


def flows(run, connection):
    s = {}

    def connect():
        s["dev"] = open_device(connection)
        s["ctap2"] = Ctap2(s["dev"], strict_cbor=True)
        return s["ctap2"]

    run.check("connect", connect)

    def ctap2():
        need(s.get("ctap2"))
        return s["ctap2"]

    def versions():
        v = ctap2().info.versions
        ensure(v == ["U2F_V2", "FIDO_2_0"], "versions %r" % (v,))

    def members():
        raw = cbor.decode(bytes(ctap2().info))  # Info keeps the response bytes
        ensure(set(raw.keys()) == CTAP20_MEMBERS, "getInfo members %r" % sorted(raw.keys()))

    def options():
        o = ctap2().info.options
        ensure(set(o.keys()) <= CTAP20_OPTIONS, "2.1 options in getInfo: %r" % sorted(set(o) - CTAP20_OPTIONS))
        ensure(o.get("clientPin") is False, "clientPin %r before a PIN is set" % o.get("clientPin"))
        ensure(o.get("rk") is True and o.get("up") is True, "options %r" % o)

    def pin_protocols():
        ensure(ctap2().info.pin_uv_protocols == [1], "pinProtocols %r" % ctap2().info.pin_uv_protocols)

    run.check("getInfo.versions", versions)
    run.check("getInfo.members", members)
    run.check("getInfo.options", options)
    run.check("getInfo.pinProtocols", pin_protocols)

    def client_pin_protocol():
        cp = ClientPin(ctap2())
        ensure(isinstance(cp.protocol, PinProtocolV1), "ClientPin chose %r" % type(cp.protocol).__name__)
        ensure(not cp._supports_permissions, "python-fido2 sees pinUvAuthToken support")
        s["pin"] = cp
        return cp

    run.check("clientPin.protocolOne", client_pin_protocol)

    def set_pin():
        need(s.get("pin"))
        s["pin"].set_pin(PIN)
        ensure(s["pin"].get_pin_retries()[0] == 8, "retries after setPIN")
        s["ctap2"].get_info()  # refresh
        s["ctap2"] = Ctap2(s["dev"], strict_cbor=True)
        ensure(s["ctap2"].info.options.get("clientPin") is True, "clientPin option after setPIN")

    run.check("clientPin.setPIN.v1", set_pin)

    def pin_token():
        need(s.get("pin"))
        token = s["pin"].get_pin_token(PIN)  # the legacy getPinToken (0x05): no pinUvAuthToken option
        ensure(len(token) == 32, "token %d bytes" % len(token))
        return token

    def make(token):
        cdh = client_data_hash("webauthn.create", RP.id)
        auth = PinProtocolV1().authenticate(token, cdh)
        return ctap2().make_credential(cdh, RP, user(b"ctap20-user", "ctap20"), params(cose.ES256.ALGORITHM), pin_uv_param=auth, pin_uv_protocol=1)

    def make_credential():
        token = pin_token()
        att = make(token)
        ad = att.auth_data
        ensure(ad.is_user_present() and ad.is_user_verified(), "flags 0x%02x" % ad.flags)
        ensure(att.fmt == "packed", "fmt %r" % att.fmt)
        s["cred"] = ad.credential_data
        return att

    run.check("makeCredential.pinToken.v1", make_credential)

    def get_assertion():
        need(s.get("cred"))
        token = pin_token()
        cdh = client_data_hash("webauthn.get", RP.id)
        auth = PinProtocolV1().authenticate(token, cdh)
        a = ctap2().get_assertion(RP.id, cdh, [descriptor(s["cred"].credential_id)], pin_uv_param=auth, pin_uv_protocol=1)
        ensure(a.auth_data.is_user_verified(), "UV flag clear")
        a.verify(cdh, s["cred"].public_key)

    run.check("getAssertion.pinToken.v1", get_assertion)

    def token_reuse():
        # CTAP 2.0 §5.5.8: one pinToken authorizes any number of makeCredential/getAssertion calls
        # (until a power cycle or a new token); CTAP 2.1 would use it up after one.
        need(s.get("cred"))
        token = pin_token()
        for i in range(2):
            cdh = client_data_hash("webauthn.create", RP.id)
            auth = PinProtocolV1().authenticate(token, cdh)
            att = ctap2().make_credential(
                cdh, RP, user(b"reuse-%d" % i, "reuse"), params(cose.ES256.ALGORITHM), pin_uv_param=auth, pin_uv_protocol=1
            )
            ensure(att.auth_data.is_user_verified(), "makeCredential %d: UV flag clear" % i)
        for i in range(2):
            cdh = client_data_hash("webauthn.get", RP.id)
            auth = PinProtocolV1().authenticate(token, cdh)
            a = ctap2().get_assertion(RP.id, cdh, [descriptor(s["cred"].credential_id)], pin_uv_param=auth, pin_uv_protocol=1)
            ensure(a.auth_data.is_user_verified(), "getAssertion %d: UV flag clear" % i)
            a.verify(cdh, s["cred"].public_key)

    run.check("pinToken.reusedUntilPowerCycle", token_reuse)

    def up_option():
        # CTAP 2.0 §5.1: "up" is a known option that is not valid for makeCredential.
        token = pin_token()
        cdh = client_data_hash("webauthn.create", RP.id)
        auth = PinProtocolV1().authenticate(token, cdh)
        expect_ctap_error(
            ERR.INVALID_OPTION,
            lambda: ctap2().make_credential(
                cdh, RP, user(b"up", "up"), params(cose.ES256.ALGORITHM), options={"up": True}, pin_uv_param=auth, pin_uv_protocol=1
            ),
        )

    run.check("makeCredential.up.INVALID_OPTION", up_option)

    def pin_required():
        need(s.get("cred"))
        cdh = client_data_hash("webauthn.create", RP.id)
        expect_ctap_error(
            ERR.PIN_REQUIRED,
            lambda: ctap2().make_credential(cdh, RP, user(b"no-pin", "nopin"), params(cose.ES256.ALGORITHM)),
        )

    run.check("makeCredential.pinSet.noPinAuth.PIN_REQUIRED", pin_required)

    def uv_option():
        cdh = client_data_hash("webauthn.create", RP.id)
        expect_ctap_error(
            ERR.UNSUPPORTED_OPTION,
            lambda: ctap2().make_credential(cdh, RP, user(b"uv", "uv"), params(cose.ES256.ALGORITHM), options={"uv": True}),
        )

    run.check("makeCredential.uv.UNSUPPORTED_OPTION", uv_option)

    for command in CTAP21_COMMANDS:
        run.check(
            "command.0x%02x.INVALID_COMMAND" % command,
            lambda command=command: expect_ctap_error(ERR.INVALID_COMMAND, lambda: ctap2().send_cbor(command, {1: 1})),
        )

    def protocol_two():
        expect_ctap_error(ERR.INVALID_PARAMETER, lambda: ctap2().client_pin(PinProtocolV2.VERSION, ClientPin.CMD.GET_KEY_AGREEMENT))

    run.check("clientPin.protocolTwo.INVALID_PARAMETER", protocol_two)

    def permissions_subcommand():
        expect_ctap_error(
            ERR.INVALID_SUBCOMMAND,
            lambda: ctap2().client_pin(1, GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS, permissions=3),
        )

    run.check("clientPin.0x09.INVALID_SUBCOMMAND", permissions_subcommand)

    def u2f_version():
        need(s.get("dev"))
        version = Ctap1(s["dev"]).get_version()
        ensure(version == "U2F_V2", "U2F VERSION %r" % version)

    run.check("ctap1.version.U2F_V2", u2f_version)


if __name__ == "__main__":
    sys.exit(main())
