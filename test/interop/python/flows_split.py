#!/usr/bin/python3
"""Interop, split mode: python-fido2 0.9.1 drives `softkey start --split` over UDP, where the PIN,
the pinUvAuthToken and every key live in the secure-core process (docs/split.md).

ClientPin with both protocols (setPIN, changePIN, getPinToken, getPinUvAuthTokenUsingPinWithPermissions,
retries, blocking until a power cycle), user verification by token in makeCredential and
getAssertion, the seed's 16-byte credential IDs, silent assertions, allow lists longer than the
seed's ten, and reset.

Run with the Debian interpreter (python3-fido2 0.9.1):
    /usr/bin/python3 test/interop/python/flows_split.py --device-port 8111 --reply-port 7112
"""

import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fido2.attestation import Attestation  # noqa: E402
from fido2.ctap import CtapError  # noqa: E402
from fido2.ctap2 import Ctap2  # noqa: E402
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2  # noqa: E402
from fido2.webauthn import PublicKeyCredentialRpEntity  # noqa: E402

from harness import (  # noqa: E402
    client_data_hash,
    descriptor,
    ensure,
    expect_ctap_error,
    info,
    need,
    params,
    run_suite,
    user,
)
from softkey_udp import open_device, power_cycle  # noqa: E402

ERR = CtapError.ERR
PERM = ClientPin.PERMISSION
PROTOCOLS = [("v1", PinProtocolV1), ("v2", PinProtocolV2)]
RP = PublicKeyCredentialRpEntity("split.softkey.test", "softkey split")
PIN = "1234"
# CTAP2_ERR_PUAT_REQUIRED (CTAP 2.1): python-fido2 0.9.1's CtapError.ERR has no name for 0x36.
PUAT_REQUIRED = 0x36


def main():
    return run_suite(flows, __doc__)


def flows(run, connection):
    s = {}

    def connect():
        s["ctap2"] = Ctap2(open_device(connection), strict_cbor=True)
        return s["ctap2"]

    def ctap2():
        need(s.get("ctap2"))
        return s["ctap2"]

    def client_pin(proto):
        return ClientPin(ctap2(), proto())

    def token(proto, permissions, rp_id=None, pin=PIN):
        p = proto()
        return p, ClientPin(ctap2(), p).get_pin_token(pin, permissions, rp_id)

    def refresh_info():
        s["ctap2"]._info = s["ctap2"].get_info()
        return s["ctap2"].info

    def get_info():
        i = connect().info
        info("getInfo %r" % (i,))
        ensure(i.options.get("clientPin") is False, "no PIN yet")
        ensure(i.options.get("pinUvAuthToken") is True, "pinUvAuthToken option")
        ensure(set(i.pin_uv_protocols) == {1, 2}, "pinUvAuthProtocols %r" % i.pin_uv_protocols)
        # The core's credential IDs are the seed's 16 bytes; getInfo is the single-process device's.
        ensure(i.max_cred_id_length >= 16, "maxCredentialIdLength %r" % i.max_cred_id_length)

    run.check("info.split", get_info)

    def retries_fresh():
        for _, proto in PROTOCOLS:
            ensure(client_pin(proto).get_pin_retries() == (8, False), "retries")

    def token_before_pin():
        expect_ctap_error(ERR.PIN_NOT_SET, lambda: token(PinProtocolV2, PERM.GET_ASSERTION, RP.id))

    def nonrk_without_pin():
        att = ctap2().make_credential(client_data_hash("webauthn.create", RP.id), RP, user(b"early", "early"), params(-7))
        s["early_id"] = att.auth_data.credential_data.credential_id
        ensure(len(s["early_id"]) == 16, "credential id %d bytes" % len(s["early_id"]))

    def set_pin():
        client_pin(PinProtocolV2).set_pin(PIN)
        ensure(refresh_info().options.get("clientPin") is True, "clientPin option not true after setPIN")
        expect_ctap_error(ERR.PIN_AUTH_INVALID, lambda: client_pin(PinProtocolV1).set_pin("9999"))

    run.check("pin.getRetries", retries_fresh)
    run.check("pin.tokenBeforeSetPin", token_before_pin)
    run.check("makeCredential.beforePin", nonrk_without_pin)
    run.check("pin.setPin", set_pin)

    for label, proto in PROTOCOLS:

        def legacy_token(proto=proto):
            cp = client_pin(proto)
            cp._supports_permissions = False  # python-fido2's own getPinToken (0x05) path
            ensure(len(cp.get_pin_token(PIN)) == 32, "token length")

        def change_pin(proto=proto):
            client_pin(proto).change_pin(PIN, "56789")
            token(proto, PERM.GET_ASSERTION, RP.id, pin="56789")
            expect_ctap_error(ERR.PIN_INVALID, lambda: token(proto, PERM.GET_ASSERTION, RP.id))
            ensure(client_pin(proto).get_pin_retries()[0] == 7, "a wrong PIN costs one retry")
            client_pin(proto).change_pin("56789", PIN)
            ensure(client_pin(proto).get_pin_retries()[0] == 8, "retries restored")

        def rk_with_uv(proto=proto, label=label):
            cdh = client_data_hash("webauthn.create", RP.id)
            p, t = token(proto, PERM.MAKE_CREDENTIAL, RP.id)
            uid = ("uv-" + label).encode()
            att = ctap2().make_credential(
                cdh, RP, user(uid, "uv-" + label), params(-7), options={"rk": True},
                pin_uv_param=p.authenticate(t, cdh), pin_uv_protocol=p.VERSION,
            )
            Attestation.for_type(att.fmt)().verify(att.att_statement, att.auth_data, cdh)
            ad = att.auth_data
            ensure(ad.is_user_verified() and ad.is_user_present(), "UV/UP flags %02x" % ad.flags)
            ensure(len(ad.credential_data.credential_id) == 16, "16-byte credential id")
            s["uv_" + label] = (uid, ad.credential_data)

        def assert_with_uv(proto=proto, label=label):
            need(s.get("uv_" + label))
            uid, cd = s["uv_" + label]
            cdh = client_data_hash("webauthn.get", RP.id)
            p, t = token(proto, PERM.GET_ASSERTION, RP.id)
            a = ctap2().get_assertion(
                RP.id, cdh, [descriptor(cd.credential_id)], pin_uv_param=p.authenticate(t, cdh), pin_uv_protocol=p.VERSION
            )
            ensure(a.auth_data.is_user_verified(), "UV flag clear")
            ensure(a.user.get("id") == uid and a.user.get("name") == "uv-%s@softkey.test" % label, "user %r" % (a.user,))
            cd.public_key.verify(a.auth_data + cdh, a.signature)

        run.check("pin.getPinToken." + label, legacy_token)
        run.check("pin.changePin." + label, change_pin)
        run.check("makeCredential.rkWithUv." + label, rk_with_uv)
        run.check("getAssertion.withUv." + label, assert_with_uv)

    def rk_needs_token():
        expect_ctap_error(
            PUAT_REQUIRED,
            lambda: ctap2().make_credential(
                client_data_hash("webauthn.create", RP.id), RP, user(b"no-token", "no-token"), params(-7), options={"rk": True}
            ),
        )

    def wrong_token():
        need(s.get("uv_v2"))
        cdh = client_data_hash("webauthn.get", RP.id)
        p, _ = token(PinProtocolV2, PERM.GET_ASSERTION, RP.id)
        expect_ctap_error(
            ERR.PIN_AUTH_INVALID,
            lambda: ctap2().get_assertion(RP.id, cdh, pin_uv_param=p.authenticate(os.urandom(32), cdh), pin_uv_protocol=2),
        )

    def discoverable_without_uv():
        need(s.get("uv_v1"), s.get("uv_v2"))
        first = ctap2().get_assertion(RP.id, client_data_hash("webauthn.get", RP.id))
        ensure(first.number_of_credentials == 2, "numberOfCredentials %r" % first.number_of_credentials)
        ensure(not first.auth_data.is_user_verified(), "UV without a token")
        ensure(set(first.user.keys()) == {"id"}, "user identifying information without UV: %r" % (first.user,))
        ctap2().get_next_assertion()

    def silent():
        need(s.get("early_id"))
        a = ctap2().get_assertion(RP.id, client_data_hash("webauthn.get", RP.id), [descriptor(s["early_id"])], options={"up": False})
        ensure(not a.auth_data.is_user_present(), "UP set in a silent assertion")

    def long_allow_list():
        need(s.get("early_id"))
        allow = [descriptor(os.urandom(16)) for _ in range(11)] + [descriptor(os.urandom(48)), descriptor(s["early_id"])]
        a = ctap2().get_assertion(RP.id, client_data_hash("webauthn.get", RP.id), allow)
        ensure(a.credential["id"] == s["early_id"], "the known credential answers")

    run.check("makeCredential.rkNeedsToken", rk_needs_token)
    run.check("getAssertion.wrongToken", wrong_token)
    run.check("getAssertion.discoverableWithoutUv", discoverable_without_uv)
    run.check("getAssertion.silent", silent)
    run.check("getAssertion.allowListOfThirteen", long_allow_list)

    def blocked():
        for _ in range(2):
            expect_ctap_error(ERR.PIN_INVALID, lambda: token(PinProtocolV2, PERM.GET_ASSERTION, RP.id, pin="0000"))
        expect_ctap_error(ERR.PIN_AUTH_BLOCKED, lambda: token(PinProtocolV2, PERM.GET_ASSERTION, RP.id, pin="0000"))
        expect_ctap_error(ERR.PIN_AUTH_BLOCKED, lambda: token(PinProtocolV2, PERM.GET_ASSERTION, RP.id))
        ensure(client_pin(PinProtocolV2).get_pin_retries() == (5, True), "retries / powerCycleState")
        power_cycle(connection)
        connect()
        token(PinProtocolV2, PERM.GET_ASSERTION, RP.id)
        ensure(client_pin(PinProtocolV2).get_pin_retries() == (8, False), "retries restored by the right PIN")

    def reset():
        power_cycle(connection)
        connect().reset()
        ensure(refresh_info().options.get("clientPin") is False, "PIN gone")
        expect_ctap_error(ERR.NO_CREDENTIALS, lambda: ctap2().get_assertion(RP.id, client_data_hash("webauthn.get", RP.id)))

    run.check("pin.authBlockedUntilPowerCycle", blocked)
    run.check("reset.pinAndCredentialsGone", reset)


if __name__ == "__main__":
    sys.exit(main())
