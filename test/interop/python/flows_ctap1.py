#!/usr/bin/python3
"""Interop flows: CTAP1/U2F over CTAPHID_MSG, driven by python-fido2 0.9.1's `fido2.ctap1.Ctap1`.

VERSION, REGISTER (fido-u2f attestation verified by python-fido2), AUTHENTICATE with each control
byte, the U2F status words, short APDUs built by hand, and the credentials CTAP 2.1 §10 shares
between the protocols: a U2F credential through Ctap2.get_assertion with rp_id = the appid, a
ES256 CTAP2 credential (discoverable or not, credProtect 1) through Ctap1.authenticate, one signature counter.

Run with the Debian interpreter (python3-fido2 0.9.1):
    /usr/bin/python3 test/interop/python/flows_ctap1.py --device-port 8111 --reply-port 7112
"""

import os
import struct
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fido2 import cose  # noqa: E402
from fido2.attestation import FidoU2FAttestation  # noqa: E402
from fido2.ctap import CtapError  # noqa: E402
from fido2.ctap1 import APDU, ApduError, Ctap1, RegistrationData, SignatureData  # noqa: E402
from fido2.ctap2 import AttestationObject, AuthenticatorData, Ctap2  # noqa: E402
from fido2.ctap2.config import Config  # noqa: E402
from fido2.hid import CAPABILITY, CTAPHID  # noqa: E402
from fido2.utils import sha256  # noqa: E402
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
FLAG = AuthenticatorData.FLAG
APPID = "https://u2f.softkey.test"
APP_PARAM = sha256(APPID.encode())
OTHER_APP_PARAM = sha256(b"https://other.softkey.test")
SW_WRONG_LENGTH = 0x6700
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_INS_NOT_SUPPORTED = 0x6D00


def main():
    return run_suite(flows, __doc__)


def expect_apdu_error(code, fn):
    try:
        fn()
    except ApduError as e:
        ensure(e.code == code, "expected status word %04X, got %04X" % (code, e.code))
        return
    raise AssertionError("expected status word %04X, got success" % code)


def raw_msg(dev, apdu):
    """Sends an APDU built by hand through CTAPHID_MSG; returns (data, status word)."""
    response = dev.call(CTAPHID.MSG, apdu)
    return response[:-2], struct.unpack(">H", response[-2:])[0]


def short_apdu(ins, p1=0, data=b"", le=None):
    """ISO 7816-4 short encoding: CLA INS P1 P2 [Lc data] [Le]."""
    out = struct.pack(">BBBB", 0, ins, p1, 0)
    if data:
        out += struct.pack(">B", len(data)) + data
    if le is not None:
        out += struct.pack(">B", le)
    return out


def ctap1_public_key(cose_key):
    """The 65-byte uncompressed point of an ES256 COSE key."""
    return b"\x04" + cose_key[-2] + cose_key[-3]


def flows(run, connection):
    state = {}

    def hid_init():
        dev = open_device(connection)
        ensure(not CAPABILITY.NMSG.supported(dev.capabilities), "NMSG set: CTAPHID_MSG refused")
        return dev

    state["dev"] = run.check("hid.init.msgSupported", hid_init)

    def make_clients():
        need(state["dev"])
        return Ctap1(state["dev"]), Ctap2(state["dev"], strict_cbor=True)

    clients = run.check("clients", make_clients) or (None, None)
    ctap1, ctap2 = clients

    def info_versions():
        need(ctap2)
        v = ctap2.info.versions
        ensure("U2F_V2" in v and "FIDO_2_1" in v, "getInfo versions %r" % (v,))

    run.check("getInfo.versions.U2F_V2", info_versions)

    def version():
        need(ctap1)
        v = ctap1.get_version()
        ensure(v == "U2F_V2", "version %r" % v)

    run.check("u2f.version", version)

    # ---- REGISTER ------------------------------------------------------------------------
    def register():
        need(ctap1)
        client_param = client_data_hash("navigator.id.finishEnrollment", "u2f.softkey.test")
        reg = ctap1.register(client_param, APP_PARAM)
        reg.verify(APP_PARAM, client_param)  # FidoU2FAttestation.verify_signature
        ensure(len(reg.public_key) == 65 and reg.public_key[0] == 4, "public key %r" % reg.public_key)
        ensure(0 < len(reg.key_handle) <= 255, "key handle length %d" % len(reg.key_handle))
        info("key handle %d bytes, certificate %d bytes" % (len(reg.key_handle), len(reg.certificate)))
        # The same registration as a WebAuthn fido-u2f attestation object, verified as such.
        att = AttestationObject.from_ctap1(APP_PARAM, reg)
        FidoU2FAttestation().verify(att.att_statement, att.auth_data, client_param)
        return reg

    reg = run.check("u2f.register.fidoU2fAttestation", register)

    def register_second():
        need(ctap1, reg)
        client_param = client_data_hash("navigator.id.finishEnrollment", "u2f.softkey.test")
        other = ctap1.register(client_param, APP_PARAM)
        other.verify(APP_PARAM, client_param)
        ensure(other.key_handle != reg.key_handle, "two registrations share a key handle")
        ensure(other.certificate == reg.certificate, "attestation certificate changed")

    run.check("u2f.register.second", register_second)

    # ---- AUTHENTICATE ----------------------------------------------------------------------
    counters = []

    def authenticate():
        need(ctap1, reg)
        for _ in range(2):
            client_param = client_data_hash("navigator.id.getAssertion", "u2f.softkey.test")
            sig = ctap1.authenticate(client_param, APP_PARAM, reg.key_handle)
            sig.verify(APP_PARAM, client_param, reg.public_key)
            ensure(sig.user_presence & 1 == 1, "user presence byte %r" % sig.user_presence)
            counters.append(sig.counter)
        ensure(counters[1] > counters[0] >= 1, "counters %r" % counters)

    run.check("u2f.authenticate.enforceUserPresence", authenticate)

    def check_only():
        need(ctap1, reg)
        cp = client_data_hash("navigator.id.getAssertion", "u2f.softkey.test")
        expect_apdu_error(APDU.USE_NOT_SATISFIED, lambda: ctap1.authenticate(cp, APP_PARAM, reg.key_handle, check_only=True))
        expect_apdu_error(APDU.WRONG_DATA, lambda: ctap1.authenticate(cp, OTHER_APP_PARAM, reg.key_handle, check_only=True))

    run.check("u2f.authenticate.checkOnly", check_only)

    def dont_enforce():
        need(ctap1, reg)
        cp = client_data_hash("navigator.id.getAssertion", "u2f.softkey.test")
        data = cp + APP_PARAM + struct.pack(">B", len(reg.key_handle)) + reg.key_handle
        sig = SignatureData(ctap1.send_apdu(ins=Ctap1.INS.AUTHENTICATE, p1=0x08, data=data))
        sig.verify(APP_PARAM, cp, reg.public_key)
        ensure(sig.user_presence == 0, "user presence byte %r" % sig.user_presence)
        ensure(sig.counter > counters[-1], "counter %d after %r" % (sig.counter, counters))
        counters.append(sig.counter)

    run.check("u2f.authenticate.dontEnforceUserPresence", dont_enforce)

    def wrong_app():
        need(ctap1, reg)
        cp = client_data_hash("navigator.id.getAssertion", "u2f.softkey.test")
        expect_apdu_error(APDU.WRONG_DATA, lambda: ctap1.authenticate(cp, OTHER_APP_PARAM, reg.key_handle))

    run.check("u2f.authenticate.wrongAppParam", wrong_app)

    def foreign_key_handle():
        need(ctap1, reg)
        cp = client_data_hash("navigator.id.getAssertion", "u2f.softkey.test")
        tampered = bytearray(reg.key_handle)
        tampered[-1] ^= 1
        expect_apdu_error(APDU.WRONG_DATA, lambda: ctap1.authenticate(cp, APP_PARAM, bytes(tampered)))
        expect_apdu_error(APDU.WRONG_DATA, lambda: ctap1.authenticate(cp, APP_PARAM, os.urandom(64)))

    run.check("u2f.authenticate.foreignKeyHandle", foreign_key_handle)

    def bad_control_byte():
        need(ctap1, reg)
        cp = client_data_hash("navigator.id.getAssertion", "u2f.softkey.test")
        data = cp + APP_PARAM + struct.pack(">B", len(reg.key_handle)) + reg.key_handle
        expect_apdu_error(APDU.WRONG_DATA, lambda: ctap1.send_apdu(ins=Ctap1.INS.AUTHENTICATE, p1=0x00, data=data))

    run.check("u2f.authenticate.unknownControlByte", bad_control_byte)

    # ---- status words and encodings --------------------------------------------------------
    def status_words():
        need(ctap1)
        expect_apdu_error(SW_CLA_NOT_SUPPORTED, lambda: ctap1.send_apdu(cla=0x80, ins=Ctap1.INS.VERSION))
        expect_apdu_error(SW_INS_NOT_SUPPORTED, lambda: ctap1.send_apdu(ins=0x10))
        expect_apdu_error(SW_WRONG_LENGTH, lambda: ctap1.send_apdu(ins=Ctap1.INS.REGISTER, data=os.urandom(63)))
        expect_apdu_error(SW_WRONG_LENGTH, lambda: ctap1.send_apdu(ins=Ctap1.INS.VERSION, data=b"\x00"))

    run.check("u2f.statusWords", status_words)

    def short_encoding():
        need(state["dev"], reg)
        dev = state["dev"]
        data, sw = raw_msg(dev, short_apdu(Ctap1.INS.VERSION))
        ensure(sw == APDU.OK and data == b"U2F_V2", "short case 1 VERSION: %04X %r" % (sw, data))
        data, sw = raw_msg(dev, short_apdu(Ctap1.INS.VERSION, le=0))
        ensure(sw == APDU.OK and data == b"U2F_V2", "short case 2 VERSION: %04X %r" % (sw, data))
        cp = client_data_hash("navigator.id.getAssertion", "u2f.softkey.test")
        body = cp + APP_PARAM + struct.pack(">B", len(reg.key_handle)) + reg.key_handle
        data, sw = raw_msg(dev, short_apdu(Ctap1.INS.AUTHENTICATE, p1=0x03, data=body, le=0))
        ensure(sw == APDU.OK, "short case 4 AUTHENTICATE: %04X" % sw)
        sig = SignatureData(data)
        sig.verify(APP_PARAM, cp, reg.public_key)
        ensure(sig.counter > counters[-1], "counter %d after %r" % (sig.counter, counters))
        counters.append(sig.counter)
        _, sw = raw_msg(dev, short_apdu(Ctap1.INS.AUTHENTICATE, p1=0x07, data=body))
        ensure(sw == APDU.USE_NOT_SATISFIED, "short case 3 check-only: %04X" % sw)
        client_param = client_data_hash("navigator.id.finishEnrollment", "u2f.softkey.test")
        data, sw = raw_msg(dev, short_apdu(Ctap1.INS.REGISTER, data=client_param + APP_PARAM, le=0))
        ensure(sw == APDU.OK, "short REGISTER: %04X" % sw)
        RegistrationData(data).verify(APP_PARAM, client_param)
        _, sw = raw_msg(dev, short_apdu(Ctap1.INS.REGISTER, data=client_param + APP_PARAM)[:-1])
        ensure(sw == SW_WRONG_LENGTH, "Lc larger than the data: %04X" % sw)

    run.check("u2f.shortApdus", short_encoding)

    # ---- shared with CTAP2 (CTAP 2.1 §10) --------------------------------------------------
    def u2f_credential_via_ctap2():
        need(ctap2, reg)
        cdh = client_data_hash("webauthn.get", "u2f.softkey.test")
        a = ctap2.get_assertion(APPID, cdh, allow_list=[descriptor(reg.key_handle)])
        a.verify(cdh, cose.ES256.from_ctap1(reg.public_key))
        ensure(a.auth_data.rp_id_hash == APP_PARAM, "rpIdHash is not the app param")
        ensure(a.auth_data.flags & FLAG.USER_PRESENT, "UP clear")
        ensure(a.auth_data.counter > counters[-1], "counter %d after U2F %r" % (a.auth_data.counter, counters))
        counters.append(a.auth_data.counter)
        # ... and U2F continues from the CTAP2 counter.
        cp = client_data_hash("navigator.id.getAssertion", "u2f.softkey.test")
        sig = ctap1.authenticate(cp, APP_PARAM, reg.key_handle)
        ensure(sig.counter > counters[-1], "U2F counter %d after %r" % (sig.counter, counters))

    run.check("cross.u2fCredentialViaGetAssertion", u2f_credential_via_ctap2)

    def u2f_credential_other_rp():
        need(ctap2, reg)
        cdh = client_data_hash("webauthn.get", "u2f.softkey.test")
        expect_ctap_error(
            ERR.NO_CREDENTIALS,
            lambda: ctap2.get_assertion("u2f.softkey.test", cdh, allow_list=[descriptor(reg.key_handle)]),
        )

    run.check("cross.u2fCredentialOtherRpId", u2f_credential_other_rp)

    def make(rk, alg=cose.ES256.ALGORITHM):
        cdh = client_data_hash("webauthn.create", "u2f.softkey.test")
        att = ctap2.make_credential(
            cdh,
            PublicKeyCredentialRpEntity(APPID, "u2f rp"),
            user(os.urandom(8), "u2f"),
            params(alg),
            options={"rk": rk},
        )
        return att.auth_data.credential_data

    def ctap2_credential_via_u2f():
        need(ctap1, ctap2)
        cd = make(False)
        pk = ctap1_public_key(cd.public_key)
        cp = client_data_hash("navigator.id.getAssertion", "u2f.softkey.test")
        expect_apdu_error(APDU.USE_NOT_SATISFIED, lambda: ctap1.authenticate(cp, APP_PARAM, cd.credential_id, check_only=True))
        sig = ctap1.authenticate(cp, APP_PARAM, cd.credential_id)
        sig.verify(APP_PARAM, cp, pk)
        ensure(sig.counter >= 1, "counter %d" % sig.counter)
        cdh = client_data_hash("webauthn.get", "u2f.softkey.test")
        a = ctap2.get_assertion(APPID, cdh, allow_list=[descriptor(cd.credential_id)])
        a.verify(cdh, cd.public_key)
        ensure(a.auth_data.counter > sig.counter, "CTAP2 counter %d after U2F %d" % (a.auth_data.counter, sig.counter))

    run.check("cross.ctap2CredentialViaU2f", ctap2_credential_via_u2f)

    def discoverable_via_u2f():
        # A discoverable ES256 credential at credProtect 1 is a U2F key handle too (solo1, canokey).
        need(ctap1, ctap2)
        cd = make(True)
        cp = client_data_hash("navigator.id.getAssertion", "u2f.softkey.test")
        expect_apdu_error(APDU.USE_NOT_SATISFIED, lambda: ctap1.authenticate(cp, APP_PARAM, cd.credential_id, check_only=True))
        sig = ctap1.authenticate(cp, APP_PARAM, cd.credential_id)
        sig.verify(APP_PARAM, cp, ctap1_public_key(cd.public_key))

    run.check("cross.discoverableCtap2CredentialViaU2f", discoverable_via_u2f)

    def not_u2f_credentials():
        need(ctap1, ctap2)
        cp = client_data_hash("navigator.id.getAssertion", "u2f.softkey.test")
        for label, cd in (("EdDSA", make(False, cose.EdDSA.ALGORITHM)), ("EdDSA discoverable", make(True, cose.EdDSA.ALGORITHM))):
            try:
                ctap1.authenticate(cp, APP_PARAM, cd.credential_id, check_only=True)
                raise AssertionError("%s credential accepted by U2F" % label)
            except ApduError as e:
                ensure(e.code == APDU.WRONG_DATA, "%s: %04X" % (label, e.code))

    run.check("cross.edDsaNotU2f", not_u2f_credentials)

    def after_power_cycle():
        need(reg)
        power_cycle(connection)
        dev = open_device(connection)
        c1 = Ctap1(dev)
        cp = client_data_hash("navigator.id.getAssertion", "u2f.softkey.test")
        sig = c1.authenticate(cp, APP_PARAM, reg.key_handle)
        sig.verify(APP_PARAM, cp, reg.public_key)

    run.check("u2f.afterPowerCycle", after_power_cycle)

    # ---- alwaysUv disables U2F (CTAP 2.1 §7.2): last, it changes the device for good --------
    def always_uv_disables_u2f():
        dev = open_device(connection)
        c2 = Ctap2(dev, strict_cbor=True)
        Config(c2).toggle_always_uv()  # no PIN set: no pinUvAuthParam needed
        info2 = Ctap2(dev, strict_cbor=True).info
        ensure(info2.options.get("alwaysUv") is True, "alwaysUv %r" % info2.options.get("alwaysUv"))
        ensure("U2F_V2" not in info2.versions, "versions %r" % (info2.versions,))
        expect_ctap_error(ERR.INVALID_COMMAND, lambda: Ctap1(dev).get_version())

    run.check("u2f.alwaysUvDisablesU2f", always_uv_disables_u2f)


if __name__ == "__main__":
    sys.exit(main())
