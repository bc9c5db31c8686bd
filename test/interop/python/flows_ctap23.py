#!/usr/bin/python3
"""Interop: python-fido2 0.9.1 drives softkey's CTAP 2.3 surface over UDP.

python-fido2 0.9.1 predates CTAP 2.2/2.3, so the new members and parameters go as raw CBOR through
its Ctap2.send_cbor, while its own ClientPin (with the pcmr permission bit 0x40) and
CredentialManagement classes carry the persistent pinUvAuthToken. encIdentifier / encCredStoreState
are decrypted with the `cryptography` package (HKDF-SHA-256, AES-128-CBC), and ES384 / ES512
assertions are verified with it too (python-fido2 0.9.1's COSE has neither algorithm).

Run with the Debian interpreter (python3-fido2 0.9.1):
    /usr/bin/python3 test/interop/python/flows_ctap23.py --device-port 8111 --reply-port 7112
"""

import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cryptography.hazmat.backends import default_backend  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: E402
from fido2 import cbor  # noqa: E402
from fido2.ctap import CtapError  # noqa: E402
from fido2.ctap2 import AuthenticatorData, Ctap2  # noqa: E402
from fido2.ctap2.base import args  # noqa: E402
from fido2.ctap2.credman import CredentialManagement  # noqa: E402
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
RES = CredentialManagement.RESULT
PCMR = 0x40  # CTAP 2.3 persistent credential management read-only; 0.9.1 has no name for it
GET_INFO = 0x04
MAKE_CREDENTIAL = 0x01
CONFIG = 0x0D
RESET = 0x07
RP = PublicKeyCredentialRpEntity("ctap23.softkey.test", "CTAP 2.3")
PIN = "1234"


def main():
    return run_suite(flows, __doc__)


def hkdf_aes_decrypt(ppuat, enc, label):
    """CTAP 2.3 §6.4: key = HKDF-SHA-256(salt 32 zero bytes, IKM ppuat, L 16, info label); enc = iv ‖ ct."""
    ensure(len(enc) == 32, "%s is %d bytes, expected iv(16) ‖ one block" % (label, len(enc)))
    key = HKDF(algorithm=hashes.SHA256(), length=16, salt=b"\0" * 32, info=label.encode(), backend=default_backend()).derive(ppuat)
    d = Cipher(algorithms.AES(key), modes.CBC(enc[:16]), backend=default_backend()).decryptor()
    return d.update(enc[16:]) + d.finalize()


def flows(run, connection):
    s = {}

    def connect():
        s["ctap2"] = Ctap2(open_device(connection), strict_cbor=True)
        return s["ctap2"]

    def ctap2():
        need(s.get("ctap2"))
        return s["ctap2"]

    def raw_info():
        return ctap2().send_cbor(GET_INFO)

    # ---- getInfo (§6.4) ------------------------------------------------------------------------
    def versions_and_members():
        connect()
        m = raw_info()
        ensure(m[1] == ["U2F_V2", "FIDO_2_0", "FIDO_2_1", "FIDO_2_3"], "versions %r" % m[1])
        ensure("FIDO_2_2" not in m[1], "FIDO_2_2 listed")
        ensure(m[0x16] == ["packed", "none"], "attestationFormats %r" % m.get(0x16))
        ensure(m[0x18] is False, "longTouchForReset %r" % m.get(0x18))
        ensure(m[0x1A] == ["usb"], "transportsForReset %r" % m.get(0x1A))
        ensure(m[0x1B] is False, "pinComplexityPolicy %r" % m.get(0x1B))
        ensure(isinstance(m[0x1C], bytes) and m[0x1C].startswith(b"https://"), "pinComplexityPolicyURL %r" % m.get(0x1C))
        ensure(m[0x1D] == 63, "maxPINLength %r" % m.get(0x1D))
        ensure(m[0x1F] == [1, 2, 3, 4], "authenticatorConfigCommands %r" % m.get(0x1F))
        ensure(m[4].get("perCredMgmtRO") is True, "perCredMgmtRO %r" % m[4].get("perCredMgmtRO"))
        for k in (0x19, 0x1E):
            ensure(isinstance(m[k], bytes) and len(m[k]) == 32, "member 0x%02x %r" % (k, m.get(k)))
        ensure(-35 in [a["alg"] for a in m[0x0A]] and -36 in [a["alg"] for a in m[0x0A]], "algorithms %r" % m[0x0A])
        info("getInfo members %s" % sorted(m.keys()))

    run.check("getInfo.ctap23Members", versions_and_members)

    # ---- ES384 / ES512 -------------------------------------------------------------------------
    for alg, curve, digest in ((-35, ec.SECP384R1(), hashes.SHA384()), (-36, ec.SECP521R1(), hashes.SHA512())):

        def es_credential(alg=alg, curve=curve, digest=digest):
            att = ctap2().make_credential(client_data_hash("webauthn.create", RP.id), RP, user(b"es", "es"), params(alg))
            cred = att.auth_data.credential_data
            key = dict(cred.public_key)
            ensure(key[3] == alg and key[1] == 2 and key[-1] == (2 if alg == -35 else 3), "COSE key %r" % {k: key[k] for k in (1, 3, -1)})
            n = 48 if alg == -35 else 66
            ensure(len(key[-2]) == n and len(key[-3]) == n, "coordinate lengths")
            pub = ec.EllipticCurvePublicNumbers(int.from_bytes(key[-2], "big"), int.from_bytes(key[-3], "big"), curve).public_key(default_backend())
            cdh = client_data_hash("webauthn.get", RP.id)
            a = ctap2().get_assertion(RP.id, cdh, [descriptor(cred.credential_id)])
            pub.verify(a.signature, a.auth_data + cdh, ec.ECDSA(digest))  # raises InvalidSignature

        run.check("algorithms.%s" % ("ES384" if alg == -35 else "ES512"), es_credential)

    # ---- attestationFormatsPreference (§6.1 0x0B) -----------------------------------------------
    def formats_preference():
        def make(pref):
            cdh = client_data_hash("webauthn.create", RP.id)
            return ctap2().send_cbor(
                MAKE_CREDENTIAL,
                args(cdh, RP, user(b"af", "af"), params(-7), None, None, None, None, None, None, pref),
            )

        ensure(make(["none", "packed"])[1] == "none", "none preferred")
        ensure(make(["tpm", "packed"])[1] == "packed", "first supported")
        expect_ctap_error(ERR.CBOR_UNEXPECTED_TYPE, lambda: make([7]))

    run.check("makeCredential.attestationFormatsPreference", formats_preference)

    # ---- persistent pinUvAuthToken (pcmr) --------------------------------------------------------
    def set_pin_and_credential():
        ClientPin(ctap2(), PinProtocolV2()).set_pin(PIN)
        s["ctap2"] = connect()
        t = ClientPin(ctap2(), PinProtocolV2()).get_pin_token(PIN, PERM.MAKE_CREDENTIAL, RP.id)
        cdh = client_data_hash("webauthn.create", RP.id)
        ctap2().make_credential(
            cdh, RP, user(b"rk", "rk"), params(-7), options={"rk": True},
            pin_uv_param=PinProtocolV2().authenticate(t, cdh), pin_uv_protocol=2,
        )

    run.check("setup.pinAndCredential", set_pin_and_credential)

    for label, proto in (("v1", PinProtocolV1), ("v2", PinProtocolV2)):

        def persistent(label=label, proto=proto):
            expect_ctap_error(ERR.UNAUTHORIZED_PERMISSION, lambda: ClientPin(ctap2(), proto()).get_pin_token(PIN, PCMR | PERM.CREDENTIAL_MGMT))
            ppuat = ClientPin(ctap2(), proto()).get_pin_token(PIN, PCMR)
            s["ppuat_" + label] = ppuat
            cm = CredentialManagement(ctap2(), proto(), ppuat)
            ensure(cm.get_metadata()[RES.EXISTING_CRED_COUNT] == 1, "metadata with the persistent token")
            rps = cm.enumerate_rps()
            ensure(rps[0][RES.RP]["id"] == RP.id, "enumerateRPs %r" % rps)
            creds = cm.enumerate_creds(rps[0][RES.RP_ID_HASH])
            ensure(len(creds) == 1, "enumerateCredentials %r" % len(creds))
            expect_ctap_error(ERR.PIN_AUTH_INVALID, lambda: cm.delete_cred(creds[0][RES.CREDENTIAL_ID]))

        run.check("pcmr.readOnlyCredentialManagement." + label, persistent)

    def enc_members():
        ppuat = s.get("ppuat_v2")
        need(ppuat)
        a, b = raw_info(), raw_info()
        ensure(a[0x19] != b[0x19] and a[0x1E] != b[0x1E], "two getInfo calls gave the same ciphertext")
        ident = hkdf_aes_decrypt(ppuat, a[0x19], "encIdentifier")
        ensure(ident == hkdf_aes_decrypt(ppuat, b[0x19], "encIdentifier"), "identifier differs between calls")
        state = hkdf_aes_decrypt(ppuat, a[0x1E], "encCredStoreState")
        ensure(state == hkdf_aes_decrypt(ppuat, b[0x1E], "encCredStoreState"), "store state differs between calls")
        ensure(s["ppuat_v1"] == ppuat, "both protocols hand out the same persistent token")
        s["ident"] = ident

    run.check("getInfo.encIdentifier.encCredStoreState", enc_members)

    # ---- enableLongTouchForReset (§6.11.5) -------------------------------------------------------
    def long_touch():
        t = ClientPin(ctap2(), PinProtocolV2()).get_pin_token(PIN, PERM.AUTHENTICATOR_CFG)
        msg = b"\xff" * 32 + bytes([0x0D, 0x04])
        expect_ctap_error(0x36, lambda: ctap2().send_cbor(CONFIG, args(0x04)))  # PUAT_REQUIRED (0.9.1 has no name)
        ctap2().send_cbor(CONFIG, args(0x04, None, 2, PinProtocolV2().authenticate(t, msg)))
        ensure(raw_info()[0x18] is True, "longTouchForReset not on")

    run.check("config.enableLongTouchForReset", long_touch)

    def reset_rekeys():
        need(s.get("ident"))
        power_cycle(connection)  # inside the reset window again
        connect()
        # The device runs with presence "auto", which gives the long touch the reset now asks for.
        ctap2().send_cbor(RESET)
        m = raw_info()
        ensure(m[0x18] is False, "longTouchForReset survives a reset")
        ClientPin(ctap2(), PinProtocolV2()).set_pin(PIN)
        connect()
        ppuat = ClientPin(ctap2(), PinProtocolV2()).get_pin_token(PIN, PCMR)
        ensure(ppuat != s["ppuat_v2"], "the persistent token survived the reset")
        ident = hkdf_aes_decrypt(ppuat, raw_info()[0x19], "encIdentifier")
        ensure(ident != s["ident"], "the identifier survived the reset")

    run.check("reset.newIdentifierAndToken", reset_rekeys)


if __name__ == "__main__":
    sys.exit(main())
