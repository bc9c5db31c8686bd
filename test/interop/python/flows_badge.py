#!/usr/bin/python3
"""Interop: python-fido2 0.9.1 drives softkey started with `--profile badge` (seed 003's badge).

The device's PIN was set on the device beforehand (`softkey pin set`, PIN 1234). python-fido2 parses
the badge's 10-member getInfo; ClientPin picks protocol 2 and pinUvAuthToken permissions; setPIN and
changePIN are refused (CTAP2_ERR_UNSUPPORTED_OPTION); ES256 and EdDSA credentials are made with a PIN
token (packed attestation verified by python-fido2) and have 64-byte IDs; RS256 and uv=true are
refused; largeBlobs/authenticatorConfig are CTAP2_ERR_UNSUPPORTED_OPTION and bioEnrollment
CTAP1_ERR_INVALID_COMMAND; 26 credential slots fill (CTAP2_ERR_KEY_STORE_FULL), and deleting a
discoverable credential through CredentialManagement frees one.

Run with the Debian interpreter (python3-fido2 0.9.1):
    /usr/bin/python3 test/interop/python/flows_badge.py --device-port 8111 --reply-port 7112
"""

import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fido2 import cbor, cose  # noqa: E402
from fido2.attestation import Attestation  # noqa: E402
from fido2.ctap import CtapError  # noqa: E402
from fido2.ctap2 import Ctap2  # noqa: E402
from fido2.ctap2.credman import CredentialManagement  # noqa: E402
from fido2.ctap2.pin import ClientPin, PinProtocolV2  # noqa: E402
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
PERM = ClientPin.PERMISSION
RP = PublicKeyCredentialRpEntity("badge.softkey.test", "Badge RP")
PIN = "1234"
SLOTS = 26
AAGUID = bytes.fromhex("CDCBAD6E39C30001BAD6E00100000001")


def main():
    return run_suite(flows, __doc__)


def flows(run, connection):
    s = {"made": []}

    def connect():
        s["dev"] = open_device(connection)
        s["ctap2"] = Ctap2(s["dev"], strict_cbor=True)
        return s["ctap2"]

    run.check("connect", connect)

    def ctap2():
        need(s.get("ctap2"))
        return s["ctap2"]

    def get_info():
        i = ctap2().info
        ensure(sorted(cbor.decode(bytes(i)).keys()) == list(range(1, 11)), "10 members")
        ensure(i.versions == ["FIDO_2_0", "FIDO_2_1", "U2F_V2"], "versions %r" % (i.versions,))
        ensure(i.extensions == ["appid", "credProtect", "appidExclude"], "extensions %r" % (i.extensions,))
        ensure(i.aaguid == AAGUID, "aaguid %s" % i.aaguid.hex())
        ensure(
            i.options == {"rk": True, "up": True, "uv": False, "plat": False, "credMgmt": True, "clientPin": True, "pinUvAuthToken": True},
            "options %r" % (i.options,),
        )
        ensure(i.max_msg_size == 1200, "maxMsgSize %r" % i.max_msg_size)
        ensure(i.pin_uv_protocols == [2], "pinUvAuthProtocols %r" % (i.pin_uv_protocols,))
        ensure(i.max_creds_in_list == 8 and i.max_cred_id_length == 64, "limits")
        ensure(i.transports == ["usb"], "transports %r" % (i.transports,))
        ensure([a["alg"] for a in i.algorithms] == [-7, -8], "algorithms %r" % (i.algorithms,))

    run.check("getInfo.seed003", get_info)

    def client_pin():
        cp = ClientPin(ctap2())
        ensure(isinstance(cp.protocol, PinProtocolV2), "ClientPin chose %r" % type(cp.protocol).__name__)
        s["pin"] = cp
        return cp

    run.check("clientPin.protocolTwo", client_pin)

    def set_pin_refused():
        need(s.get("pin"))
        expect_ctap_error(ERR.UNSUPPORTED_OPTION, lambda: s["pin"].set_pin("5678"))
        expect_ctap_error(ERR.UNSUPPORTED_OPTION, lambda: s["pin"].change_pin(PIN, "5678"))
        ensure(s["pin"].get_pin_retries()[0] == 8, "retries")

    run.check("clientPin.setPIN_changePIN.UNSUPPORTED_OPTION", set_pin_refused)

    def token(permissions=PERM.MAKE_CREDENTIAL | PERM.GET_ASSERTION, rp_id=RP.id):
        need(s.get("pin"))
        return s["pin"].get_pin_token(PIN, permissions, rp_id)

    def make(alg, rk, label):
        cdh = client_data_hash("webauthn.create", RP.id)
        auth = PinProtocolV2().authenticate(token(), cdh)
        return ctap2().make_credential(cdh, RP, user(label.encode(), label), params(alg), options={"rk": rk}, pin_uv_param=auth, pin_uv_protocol=2)

    for name, alg in (("ES256", cose.ES256.ALGORITHM), ("EdDSA", cose.EdDSA.ALGORITHM)):

        def make_checked(name=name, alg=alg):
            att = make(alg, name == "ES256", "user-" + name)
            cdh_ok = att.auth_data.credential_data
            ensure(len(cdh_ok.credential_id) == 64, "credential ID %d bytes" % len(cdh_ok.credential_id))
            ensure(att.auth_data.is_user_verified(), "UV flag")
            ensure(cdh_ok.aaguid == AAGUID, "aaguid in authData")
            ensure(att.fmt == "packed", "fmt %r" % att.fmt)
            s["made"].append(cdh_ok)
            return att

        run.check("makeCredential.%s.pinToken" % name, make_checked)

    def attestation():
        cdh = client_data_hash("webauthn.create", RP.id)
        auth = PinProtocolV2().authenticate(token(), cdh)
        att = ctap2().make_credential(cdh, RP, user(b"att", "att"), params(cose.ES256.ALGORITHM), pin_uv_param=auth, pin_uv_protocol=2)
        Attestation.for_type(att.fmt)().verify(att.att_statement, att.auth_data, cdh)
        s["made"].append(att.auth_data.credential_data)

    run.check("makeCredential.packedAttestation.verified", attestation)

    def assert_each():
        ensure(len(s["made"]) == 3, "three credentials made")
        for cred in s["made"]:
            cdh = client_data_hash("webauthn.get", RP.id)
            auth = PinProtocolV2().authenticate(token(), cdh)
            a = ctap2().get_assertion(RP.id, cdh, [descriptor(cred.credential_id)], pin_uv_param=auth, pin_uv_protocol=2)
            a.verify(cdh, cred.public_key)

    run.check("getAssertion.allowList.verified", assert_each)

    def rs256():
        cdh = client_data_hash("webauthn.create", RP.id)
        auth = PinProtocolV2().authenticate(token(), cdh)
        expect_ctap_error(
            ERR.UNSUPPORTED_ALGORITHM,
            lambda: ctap2().make_credential(cdh, RP, user(b"rs", "rs"), params(cose.RS256.ALGORITHM), pin_uv_param=auth, pin_uv_protocol=2),
        )

    run.check("makeCredential.RS256.UNSUPPORTED_ALGORITHM", rs256)

    def uv_option():
        cdh = client_data_hash("webauthn.create", RP.id)
        expect_ctap_error(
            ERR.UNSUPPORTED_OPTION,
            lambda: ctap2().make_credential(cdh, RP, user(b"uv", "uv"), params(cose.ES256.ALGORITHM), options={"uv": True}),
        )

    run.check("makeCredential.uv.UNSUPPORTED_OPTION", uv_option)

    for command, code, name in ((0x0C, ERR.UNSUPPORTED_OPTION, "largeBlobs"), (0x0D, ERR.UNSUPPORTED_OPTION, "authenticatorConfig"), (0x09, ERR.INVALID_COMMAND, "bioEnrollment")):
        run.check(
            "command.%s" % name,
            lambda command=command, code=code: expect_ctap_error(code, lambda: ctap2().send_cbor(command, {1: 1})),
        )

    def fill_slots():
        ensure(len(s["made"]) == 3, "three credentials so far")
        for i in range(SLOTS - 3):
            s["made"].append(make(cose.EdDSA.ALGORITHM, i % 2 == 0, "fill-%d" % i).auth_data.credential_data)
        expect_ctap_error(ERR.KEY_STORE_FULL, lambda: make(cose.EdDSA.ALGORITHM, False, "one-too-many"))

    run.check("slots.26.KEY_STORE_FULL", fill_slots)

    def delete_frees():
        cm = CredentialManagement(ctap2(), PinProtocolV2(), token(PERM.CREDENTIAL_MGMT, None))  # metadata: a token without an RP ID
        meta = cm.get_metadata()
        ensure(meta[CredentialManagement.RESULT.MAX_REMAINING_COUNT] == 0, "remaining %r" % (meta,))
        resident = s["made"][0]  # the ES256 rk credential
        cm.delete_cred(descriptor(resident.credential_id))
        make(cose.EdDSA.ALGORITHM, False, "after-delete")

    run.check("slots.credMgmtDelete.frees", delete_frees)


if __name__ == "__main__":
    sys.exit(main())
