#!/usr/bin/python3
"""Interop: python-fido2 0.9.1 drives softkey's CTAP 2.1 management surface over UDP.

ClientPin (both PIN/UV auth protocols: setPIN, changePIN, getPinToken, getPinUvAuthTokenUsing-
PinWithPermissions, getPINRetries, blocking after 3 wrong PINs until a power cycle),
authenticatorCredentialManagement (0x0A, and the 0x41 preview command) with python-fido2's
CredentialManagement, authenticatorLargeBlobs with its LargeBlobs, authenticatorConfig with its Config
(and our own encoding where 0.9.1 has no method: enableEnterpriseAttestation, the enterpriseAttestation
parameter, multi-fragment writes, vendorPrototype), and the negative paths.

Run with the Debian interpreter (python3-fido2 0.9.1):
    /usr/bin/python3 test/interop/python/flows_manage.py --device-port 8111 --reply-port 7112
"""

import os
import struct
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fido2 import cbor  # noqa: E402
from fido2.cose import CoseKey  # noqa: E402
from fido2.ctap import CtapError  # noqa: E402
from fido2.ctap2 import AuthenticatorData, Ctap2  # noqa: E402
from fido2.ctap2.base import args  # noqa: E402
from fido2.ctap2.blob import LargeBlobs  # noqa: E402
from fido2.ctap2.config import Config  # noqa: E402
from fido2.ctap2.credman import CredentialManagement  # noqa: E402
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2  # noqa: E402
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
PERM = ClientPin.PERMISSION
RES = CredentialManagement.RESULT
CMD = CredentialManagement.CMD

PROTOCOLS = [("v1", PinProtocolV1), ("v2", PinProtocolV2)]
RP_A = PublicKeyCredentialRpEntity("a.manage.test", "Manage A")
RP_B = PublicKeyCredentialRpEntity("b.manage.test", "Manage B")
PIN = "1234"
PREVIEW = 0x41  # authenticatorCredentialManagement, FIDO_2_1_PRE
FF32 = b"\xff" * 32
# CTAP2_ERR_PUAT_REQUIRED (CTAP 2.1): python-fido2 0.9.1's CtapError.ERR has no name for 0x36.
PUAT_REQUIRED = 0x36
# CTAP 2.2 §6.8: enumerateCredentials response member thirdPartyPayment.
THIRD_PARTY_PAYMENT = 0x0C


def main():
    return run_suite(flows, __doc__)


def flows(run, connection):
    s = {}

    def connect():
        s["dev"] = open_device(connection)
        s["ctap2"] = Ctap2(s["dev"], strict_cbor=True)  # canonical CBOR enforced on every answer
        return s["ctap2"]

    def ctap2():
        need(s.get("ctap2"))
        return s["ctap2"]

    def client_pin(proto):
        return ClientPin(ctap2(), proto())

    def token(proto, permissions, rp_id=None, pin=PIN):
        return client_pin(proto).get_pin_token(pin, permissions, rp_id)

    def legacy_pin_token(proto, pin=PIN):
        """getPinToken (0x05), which python-fido2 0.9.1 sends only to authenticators without
        pinUvAuthToken: built here from its own protocol primitives."""
        cp = client_pin(proto)
        key_agreement, shared_secret = cp._get_shared_secret()
        pin_hash_enc = cp.protocol.encrypt(shared_secret, sha256(pin.encode())[:16])
        return ctap2().client_pin(
            cp.protocol.VERSION, ClientPin.CMD.GET_TOKEN_USING_PIN_LEGACY, key_agreement=key_agreement, pin_hash_enc=pin_hash_enc
        )

    def refresh_info():
        s["ctap2"]._info = s["ctap2"].get_info()
        return s["ctap2"].info

    # ---- getInfo ----------------------------------------------------------------------------
    def get_info():
        i = connect().info
        for option in ("credMgmt", "credentialMgmtPreview", "largeBlobs", "authnrCfg", "setMinPINLength", "pinUvAuthToken"):
            ensure(i.options.get(option) is True, "option %s is %r" % (option, i.options.get(option)))
        ensure(i.options.get("ep") is False, "ep should start disabled")
        ensure(i.options.get("alwaysUv") is False, "alwaysUv should start off")
        ensure(i.options.get("clientPin") is False, "no PIN yet")
        ensure(i.max_large_blob is not None and i.max_large_blob >= 4096, "maxSerializedLargeBlobArray %r" % i.max_large_blob)
        ensure((i.max_rpids_for_min_pin or 0) >= 1, "maxRPIDsForSetMinPINLength %r" % i.max_rpids_for_min_pin)
        ensure(set(i.pin_uv_protocols) == {1, 2}, "pinUvAuthProtocols %r" % i.pin_uv_protocols)
        info("options %r" % dict(i.options))

    run.check("info.managementOptions", get_info)

    # ---- discoverable credentials, made before a PIN exists -----------------------------------
    def make(rp, uid, extensions=None):
        att = ctap2().make_credential(
            client_data_hash("webauthn.create", rp.id), rp, user(uid, uid.decode()), params(-7),
            extensions=extensions, options={"rk": True},
        )
        return att

    def make_credentials():
        s["a1"] = make(RP_A, b"a-one", {"largeBlobKey": True, "thirdPartyPayment": True})
        s["a3"] = make(RP_A, b"a-three", {"credProtect": 3})
        s["b1"] = make(RP_B, b"b-one")
        s["b2"] = make(RP_B, b"b-two")
        for name in ("a1", "a3", "b1", "b2"):
            s[name + "_id"] = s[name].auth_data.credential_data.credential_id

    run.check("setup.discoverableCredentials", make_credentials)

    def large_blob_key_made():
        need(s.get("a1"))
        ensure(s["a1"].large_blob_key is not None and len(s["a1"].large_blob_key) == 32, "no 32-byte largeBlobKey")

    run.check("setup.largeBlobKey", large_blob_key_made)

    # ---- ClientPin --------------------------------------------------------------------------
    def pin_retries_fresh():
        for _, proto in PROTOCOLS:
            retries, power_cycle_state = client_pin(proto).get_pin_retries()
            ensure(retries == 8, "retries %r" % retries)
            ensure(power_cycle_state is False, "powerCycleState %r" % power_cycle_state)

    run.check("pin.getRetries", pin_retries_fresh)

    def pin_not_set_token():
        expect_ctap_error(ERR.PIN_NOT_SET, lambda: token(PinProtocolV2, PERM.CREDENTIAL_MGMT))

    run.check("pin.tokenBeforeSetPin", pin_not_set_token)

    def set_pin():
        client_pin(PinProtocolV1).set_pin(PIN)
        ensure(refresh_info().options.get("clientPin") is True, "clientPin option not true after setPIN")
        expect_ctap_error(ERR.PIN_AUTH_INVALID, lambda: client_pin(PinProtocolV2).set_pin("9999"))

    run.check("pin.setPin.v1", set_pin)

    for label, proto in PROTOCOLS:

        def legacy_token(proto=proto):
            cp = client_pin(proto)
            cp._supports_permissions = False  # python-fido2's own getPinToken (0x05) path
            t = cp.get_pin_token(PIN)
            ensure(len(t) == 32, "token length %d" % len(t))

        def permissions_token(proto=proto):
            t = token(proto, PERM.CREDENTIAL_MGMT | PERM.LARGE_BLOB_WRITE | PERM.AUTHENTICATOR_CFG)
            ensure(len(t) == 32, "token length %d" % len(t))

        def change_pin(proto=proto):
            client_pin(proto).change_pin(PIN, "56789")
            token(proto, PERM.CREDENTIAL_MGMT, pin="56789")
            expect_ctap_error(ERR.PIN_INVALID, lambda: token(proto, PERM.CREDENTIAL_MGMT))
            ensure(client_pin(proto).get_pin_retries()[0] == 7, "a wrong PIN costs one retry")
            client_pin(proto).change_pin("56789", PIN)
            ensure(client_pin(proto).get_pin_retries()[0] == 8, "retries restored")

        run.check("pin.getPinToken." + label, legacy_token)
        run.check("pin.tokenWithPermissions." + label, permissions_token)
        run.check("pin.changePin." + label, change_pin)

    def unauthorized_permission():
        # bioEnroll is not offered (getInfo has no bioEnroll option): UNAUTHORIZED_PERMISSION.
        expect_ctap_error(ERR.UNAUTHORIZED_PERMISSION, lambda: token(PinProtocolV2, PERM.BIO_ENROLL))

    run.check("pin.unauthorizedPermission", unauthorized_permission)

    # ---- authenticatorCredentialManagement ---------------------------------------------------
    def credman(proto, rp_id=None, permissions=PERM.CREDENTIAL_MGMT):
        p = proto()
        t = ClientPin(ctap2(), p).get_pin_token(PIN, permissions, rp_id)
        return CredentialManagement(ctap2(), p, t)

    s["remaining"] = ["a1", "a3", "b1", "b2"]
    for label, proto in PROTOCOLS:

        def metadata(proto=proto):
            m = credman(proto).get_metadata()
            ensure(m[RES.EXISTING_CRED_COUNT] == len(s["remaining"]), "existing %r" % m[RES.EXISTING_CRED_COUNT])
            ensure(m[RES.MAX_REMAINING_COUNT] > 0, "remaining %r" % m[RES.MAX_REMAINING_COUNT])

        def enumerate_rps(proto=proto):
            rps = credman(proto).enumerate_rps()
            ensure(rps[0][RES.TOTAL_RPS] == 2, "totalRPs %r" % rps[0][RES.TOTAL_RPS])
            found = {}
            for r in rps:
                rp = r[RES.RP]
                ensure(r[RES.RP_ID_HASH] == sha256(rp["id"].encode()), "rpIDHash of %s" % rp["id"])
                found[rp["id"]] = rp.get("name")
            ensure(found == {RP_A.id: RP_A.name, RP_B.id: RP_B.name}, "RPs %r" % found)

        def enumerate_creds(proto=proto):
            creds = credman(proto).enumerate_creds(sha256(RP_A.id.encode()))
            ensure(creds[0][RES.TOTAL_CREDENTIALS] == 2, "totalCredentials %r" % creds[0][RES.TOTAL_CREDENTIALS])
            by_id = {c[RES.CREDENTIAL_ID]["id"]: c for c in creds}
            a1, a3 = by_id[s["a1_id"]], by_id[s["a3_id"]]
            ensure(a1[RES.CRED_PROTECT] == 1 and a3[RES.CRED_PROTECT] == 3, "credProtect %r %r" % (a1[RES.CRED_PROTECT], a3[RES.CRED_PROTECT]))
            ensure(a1[RES.USER]["id"] == b"a-one", "user %r" % a1[RES.USER])
            ensure(a1[RES.CREDENTIAL_ID]["type"] == "public-key", "descriptor type")
            pk = CoseKey.parse(a1[RES.PUBLIC_KEY])
            ensure(pk == s["a1"].auth_data.credential_data.public_key, "publicKey is the attested key")
            if s["a1"].large_blob_key is not None:
                ensure(a1.get(RES.LARGE_BLOB_KEY) == s["a1"].large_blob_key, "largeBlobKey reported")
            ensure(RES.LARGE_BLOB_KEY not in a3, "no largeBlobKey for a credential without one")
            # CTAP 2.2 §6.8 member 0x0C thirdPartyPayment (python-fido2 0.9.1's RESULT has no name for it).
            ensure(a1.get(THIRD_PARTY_PAYMENT) is True, "thirdPartyPayment %r" % a1.get(THIRD_PARTY_PAYMENT))
            ensure(THIRD_PARTY_PAYMENT not in a3, "no thirdPartyPayment for a credential without it")

        def update_user(proto=proto, tag=label):
            cm = credman(proto)
            new_name = "renamed-" + tag
            cm.update_user_info(descriptor(s["a3_id"]), {"id": b"a-three", "name": new_name, "displayName": "Renamed " + tag})
            creds = cm.enumerate_creds(sha256(RP_A.id.encode()))
            a3 = [c for c in creds if c[RES.CREDENTIAL_ID]["id"] == s["a3_id"]][0]
            ensure(a3[RES.USER].get("name") == new_name, "user after update %r" % a3[RES.USER])
            expect_ctap_error(
                ERR.INVALID_PARAMETER,
                lambda: cm.update_user_info(descriptor(s["a3_id"]), {"id": b"someone-else", "name": "x"}),
            )

        def delete(proto=proto, victim="b1" if label == "v1" else "b2"):
            cm = credman(proto)
            cm.delete_cred(descriptor(s[victim + "_id"]))
            s["remaining"].remove(victim)
            expect_ctap_error(ERR.NO_CREDENTIALS, lambda: cm.delete_cred(descriptor(s[victim + "_id"])))
            expect_ctap_error(
                ERR.NO_CREDENTIALS,
                lambda: ctap2().get_assertion(RP_B.id, client_data_hash("webauthn.get", RP_B.id), [descriptor(s[victim + "_id"])]),
            )

        run.check("credMgmt.getCredsMetadata." + label, metadata)
        run.check("credMgmt.enumerateRPs." + label, enumerate_rps)
        run.check("credMgmt.enumerateCredentials." + label, enumerate_creds)
        run.check("credMgmt.updateUserInformation." + label, update_user)
        run.check("credMgmt.deleteCredential." + label, delete)

    def b_rp_gone():
        cm = credman(PinProtocolV2)
        ensure(cm.enumerate_rps()[0][RES.TOTAL_RPS] == 1, "RP B left after deleting both its credentials")
        ensure(cm.enumerate_creds(sha256(RP_B.id.encode())) == [], "no credentials for RP B")

    run.check("credMgmt.emptyRpGone", b_rp_gone)

    def preview_command():
        p = PinProtocolV1()
        t = ClientPin(ctap2(), p).get_pin_token(PIN, PERM.CREDENTIAL_MGMT)
        param = p.authenticate(t, struct.pack(">B", CMD.GET_CREDS_METADATA))
        m = ctap2().send_cbor(PREVIEW, args(CMD.GET_CREDS_METADATA, None, p.VERSION, param))
        ensure(m[RES.EXISTING_CRED_COUNT] == 2, "preview metadata %r" % m)
        param = p.authenticate(t, struct.pack(">B", CMD.ENUMERATE_RPS_BEGIN))
        first = ctap2().send_cbor(PREVIEW, args(CMD.ENUMERATE_RPS_BEGIN, None, p.VERSION, param))
        ensure(first[RES.RP]["id"] == RP_A.id and first[RES.TOTAL_RPS] == 1, "preview enumerateRPsBegin %r" % first)
        expect_ctap_error(ERR.NOT_ALLOWED, lambda: ctap2().send_cbor(PREVIEW, args(CMD.ENUMERATE_RPS_NEXT)))

    run.check("credMgmt.previewCommand0x41", preview_command)

    def missing_permission():
        cm = credman(PinProtocolV2, permissions=PERM.GET_ASSERTION)
        expect_ctap_error(ERR.PIN_AUTH_INVALID, cm.get_metadata)
        expect_ctap_error(PUAT_REQUIRED, lambda: ctap2().credential_mgmt(CMD.GET_CREDS_METADATA))

    run.check("credMgmt.tokenWithoutCm", missing_permission)

    def other_rp_token():
        cm = credman(PinProtocolV1, rp_id=RP_B.id)
        expect_ctap_error(ERR.PIN_AUTH_INVALID, cm.get_metadata)
        expect_ctap_error(ERR.PIN_AUTH_INVALID, cm.enumerate_rps_begin)
        expect_ctap_error(ERR.PIN_AUTH_INVALID, lambda: cm.enumerate_creds_begin(sha256(RP_A.id.encode())))
        expect_ctap_error(ERR.PIN_AUTH_INVALID, lambda: cm.delete_cred(descriptor(s["a1_id"])))
        cm_a = credman(PinProtocolV1, rp_id=RP_A.id)
        ensure(len(cm_a.enumerate_creds(sha256(RP_A.id.encode()))) == 2, "a token bound to RP A lists RP A")

    run.check("credMgmt.tokenForAnotherRpId", other_rp_token)

    def cred_protect_hidden():
        cdh = client_data_hash("webauthn.get", RP_A.id)
        plain = ctap2().get_assertion(RP_A.id, cdh)
        ensure(plain.credential["id"] == s["a1_id"], "without UV only the credProtect-1 credential answers")
        ensure(plain.number_of_credentials in (None, 1), "numberOfCredentials %r" % plain.number_of_credentials)
        expect_ctap_error(
            ERR.NO_CREDENTIALS,
            lambda: ctap2().get_assertion(RP_A.id, cdh, [descriptor(s["a3_id"])]),
        )
        p = PinProtocolV2()
        t = ClientPin(ctap2(), p).get_pin_token(PIN, PERM.GET_ASSERTION, RP_A.id)
        verified = ctap2().get_assertion(RP_A.id, cdh, pin_uv_param=p.authenticate(t, cdh), pin_uv_protocol=p.VERSION)
        ensure(verified.number_of_credentials == 2, "with UV both credentials answer (%r)" % verified.number_of_credentials)
        ensure(verified.auth_data.flags & FLAG.USER_VERIFIED, "UV flag")

    run.check("credProtect.level3HiddenWithoutUv", cred_protect_hidden)

    def excluded():
        cdh = client_data_hash("webauthn.create", RP_A.id)
        expect_ctap_error(
            ERR.CREDENTIAL_EXCLUDED,
            lambda: ctap2().make_credential(cdh, RP_A, user(b"x", "x"), params(-7), exclude_list=[descriptor(s["a1_id"])]),
        )

    run.check("makeCredential.excludedCredential", excluded)

    # ---- authenticatorLargeBlobs ----------------------------------------------------------------
    def blobs(proto=None, permissions=PERM.LARGE_BLOB_WRITE):
        if proto is None:
            return LargeBlobs(ctap2())
        p = proto()
        return LargeBlobs(ctap2(), p, ClientPin(ctap2(), p).get_pin_token(PIN, permissions))

    def blob_initial():
        ensure(blobs().read_blob_array() == [], "a fresh authenticator holds []")
        raw = ctap2().large_blobs(0, get=100)[1]
        ensure(raw == b"\x80" + sha256(b"\x80")[:16], "initial serialized array %s" % raw.hex())

    run.check("largeBlobs.initialArray", blob_initial)

    for label, proto in PROTOCOLS:

        def round_trip(proto=proto, tag=label):
            key = s["a1"].large_blob_key if s.get("a1") is not None and s["a1"].large_blob_key else os.urandom(32)
            data = ("large blob written with protocol %s " % tag).encode() * 20
            blobs(proto).put_blob(key, data)
            ensure(blobs().get_blob(key) == data, "blob read back")
            other = os.urandom(32)
            blobs(proto).put_blob(other, b"second entry")
            ensure(len(blobs().read_blob_array()) == 2, "two entries")
            blobs(proto).delete_blob(other)
            ensure(blobs().get_blob(key) == data and blobs().get_blob(other) is None, "delete_blob kept the other entry")

        run.check("largeBlobs.writeReadRoundTrip." + label, round_trip)

    def blob_auth_needed():
        expect_ctap_error(PUAT_REQUIRED, lambda: blobs().write_blob_array([]))
        expect_ctap_error(ERR.PIN_AUTH_INVALID, lambda: blobs(PinProtocolV2, PERM.CREDENTIAL_MGMT).write_blob_array([]))

    run.check("largeBlobs.writeNeedsLbwToken", blob_auth_needed)

    def write_fragments(proto, data, fragment, length=None):
        p = proto()
        t = ClientPin(ctap2(), p).get_pin_token(PIN, PERM.LARGE_BLOB_WRITE)
        for offset in range(0, len(data), fragment):
            part = data[offset:offset + fragment]
            msg = FF32 + b"\x0c\x00" + struct.pack("<I", offset) + sha256(part)
            ctap2().large_blobs(
                offset, set=part, length=(length or len(data)) if offset == 0 else None,
                pin_uv_protocol=p.VERSION, pin_uv_param=p.authenticate(t, msg),
            )

    def integrity_failure():
        before = blobs().read_blob_array()
        body = cbor.encode([{1: os.urandom(40), 2: os.urandom(12), 3: 40}])
        bad = body + bytes(x ^ 0xFF for x in sha256(body)[:16])
        expect_ctap_error(ERR.INTEGRITY_FAILURE, lambda: write_fragments(PinProtocolV1, bad, 4000))
        ensure(blobs().read_blob_array() == before, "the array is unchanged after INTEGRITY_FAILURE")

    run.check("largeBlobs.integrityFailure", integrity_failure)

    def multi_fragment():
        maximum = ctap2().info.max_large_blob
        entries = [{1: os.urandom(3500), 2: os.urandom(12), 3: 3500}, {1: os.urandom(4200), 2: os.urandom(12), 3: 4200}]
        data = cbor.encode(entries)
        data += sha256(data)[:16]
        ensure(len(data) > ctap2().info.max_msg_size - 64, "needs more than one fragment")
        write_fragments(PinProtocolV2, data, 2500)  # four fragments, length only at offset 0
        ensure(blobs().read_blob_array() == entries, "read back across fragments")
        too_big = os.urandom(100)
        expect_ctap_error(ERR.LARGE_BLOB_STORAGE_FULL, lambda: write_fragments(PinProtocolV2, too_big, 100, length=maximum + 1))
        expect_ctap_error(ERR.INVALID_SEQ, lambda: ctap2().large_blobs(100, set=b"x" * 10))

    run.check("largeBlobs.multiFragmentWrite", multi_fragment)

    # ---- authenticatorConfig ----------------------------------------------------------------
    def config(proto=PinProtocolV2, permissions=PERM.AUTHENTICATOR_CFG):
        p = proto()
        return Config(ctap2(), p, ClientPin(ctap2(), p).get_pin_token(PIN, permissions))

    def enable_ep():
        p = PinProtocolV1()
        t = ClientPin(ctap2(), p).get_pin_token(PIN, PERM.AUTHENTICATOR_CFG)
        # python-fido2 0.9.1's Config has no enableEnterpriseAttestation: our own call.
        ctap2().config(0x01, None, p.VERSION, p.authenticate(t, FF32 + b"\x0d\x01"))
        ensure(refresh_info().options.get("ep") is True, "ep option after enableEnterpriseAttestation")

    run.check("config.enableEnterpriseAttestation", enable_ep)

    def enterprise_attestation():
        p = PinProtocolV2()
        t = ClientPin(ctap2(), p).get_pin_token(PIN, PERM.MAKE_CREDENTIAL)
        cdh = client_data_hash("webauthn.create", RP_A.id)
        batch = ctap2().make_credential(cdh, RP_A, user(b"ep-batch", "ep"), params(-7), pin_uv_param=p.authenticate(t, cdh), pin_uv_protocol=p.VERSION)
        batch_cert = batch.att_statement["x5c"][0]
        for value, expected in ((2, None), (1, None), (3, ERR.INVALID_OPTION)):
            t = ClientPin(ctap2(), p).get_pin_token(PIN, PERM.MAKE_CREDENTIAL)
            cdh = client_data_hash("webauthn.create", RP_A.id)
            request = args(cdh, RP_A, user(b"ep-%d" % value, "ep"), params(-7), None, None, None, p.authenticate(t, cdh), p.VERSION, value)
            if expected is not None:
                expect_ctap_error(expected, lambda: ctap2().send_cbor(Ctap2.CMD.MAKE_CREDENTIAL, request))
                continue
            answer = ctap2().send_cbor(Ctap2.CMD.MAKE_CREDENTIAL, request)
            ensure(answer.get(4) is True, "epAtt %r for enterpriseAttestation %d" % (answer.get(4), value))
            ensure(answer[1] == "packed" and "x5c" in answer[3], "a certificate attestation")
            # CTAP 2.1 §7.1: an enterprise certificate of its own, not the batch one (python-fido2's test_ep_*).
            ensure(answer[3]["x5c"][0] != batch_cert, "enterpriseAttestation %d used the batch certificate" % value)

    run.check("config.enterpriseAttestation", enterprise_attestation)

    def always_uv():
        config().toggle_always_uv()
        i = refresh_info()
        ensure(i.options.get("alwaysUv") is True and i.options.get("makeCredUvNotRqd") is False, "options %r" % dict(i.options))
        cdh = client_data_hash("webauthn.get", RP_A.id)
        expect_ctap_error(PUAT_REQUIRED, lambda: ctap2().get_assertion(RP_A.id, cdh))
        expect_ctap_error(
            PUAT_REQUIRED,
            lambda: ctap2().make_credential(client_data_hash("webauthn.create", RP_A.id), RP_A, user(b"auv", "auv"), params(-7)),
        )
        p = PinProtocolV1()
        t = ClientPin(ctap2(), p).get_pin_token(PIN, PERM.GET_ASSERTION)
        ok = ctap2().get_assertion(RP_A.id, cdh, pin_uv_param=p.authenticate(t, cdh), pin_uv_protocol=p.VERSION)
        ensure(ok.auth_data.flags & FLAG.USER_VERIFIED, "UV flag")
        config(PinProtocolV1).toggle_always_uv()
        ensure(refresh_info().options.get("alwaysUv") is False, "alwaysUv off again")
        ctap2().get_assertion(RP_A.id, cdh)

    run.check("config.toggleAlwaysUv", always_uv)

    def config_needs_acfg():
        expect_ctap_error(ERR.PIN_AUTH_INVALID, lambda: config(permissions=PERM.CREDENTIAL_MGMT).toggle_always_uv())
        expect_ctap_error(PUAT_REQUIRED, lambda: Config(ctap2()).toggle_always_uv())
        expect_ctap_error(ERR.INVALID_SUBCOMMAND, lambda: ctap2().config(0xFF))

    run.check("config.authorization", config_needs_acfg)

    def set_min_pin_length():
        config().set_min_pin_length(min_pin_length=6, rp_ids=[RP_A.id])
        i = refresh_info()
        ensure(i.min_pin_length == 6 and i.force_pin_change is True, "minPINLength %r forcePINChange %r" % (i.min_pin_length, i.force_pin_change))
        expect_ctap_error(ERR.PIN_POLICY_VIOLATION, lambda: token(PinProtocolV2, PERM.CREDENTIAL_MGMT))
        # CTAP 2.1 §6.5.5.7.1: the superseded getPinToken answers PIN_INVALID while a change is forced.
        expect_ctap_error(ERR.PIN_INVALID, lambda: legacy_pin_token(PinProtocolV2))
        expect_ctap_error(ERR.PIN_POLICY_VIOLATION, lambda: client_pin(PinProtocolV2).change_pin(PIN, "12345"))
        client_pin(PinProtocolV2).change_pin(PIN, "123456")
        ensure(refresh_info().force_pin_change is False, "forcePINChange cleared by changePIN")
        p = PinProtocolV1()
        c = Config(ctap2(), p, ClientPin(ctap2(), p).get_pin_token("123456", PERM.AUTHENTICATOR_CFG))
        expect_ctap_error(ERR.PIN_POLICY_VIOLATION, lambda: c.set_min_pin_length(min_pin_length=5))
        c.set_min_pin_length(force_change_pin=True)
        ensure(refresh_info().force_pin_change is True, "forceChangePin")
        client_pin(PinProtocolV1).change_pin("123456", "654321")
        ensure(refresh_info().force_pin_change is False, "changed")
        s["pin"] = "654321"

    run.check("config.setMinPINLength", set_min_pin_length)

    # ---- PIN blocking: 3 wrong PINs need a power cycle --------------------------------------
    for label, proto in PROTOCOLS:

        def blocked(proto=proto):
            pin = s.get("pin", PIN)
            expect_ctap_error(ERR.PIN_INVALID, lambda: token(proto, PERM.CREDENTIAL_MGMT, pin="0000"))
            expect_ctap_error(ERR.PIN_INVALID, lambda: token(proto, PERM.CREDENTIAL_MGMT, pin="0000"))
            expect_ctap_error(ERR.PIN_AUTH_BLOCKED, lambda: token(proto, PERM.CREDENTIAL_MGMT, pin="0000"))
            expect_ctap_error(ERR.PIN_AUTH_BLOCKED, lambda: token(proto, PERM.CREDENTIAL_MGMT, pin=pin))
            retries, power_cycle_state = client_pin(proto).get_pin_retries()
            ensure(retries == 5 and power_cycle_state is True, "retries %r powerCycleState %r" % (retries, power_cycle_state))
            power_cycle(connection)
            connect()
            token(proto, PERM.CREDENTIAL_MGMT, pin=pin)
            ensure(client_pin(proto).get_pin_retries() == (8, False), "retries restored by the right PIN")

        run.check("pin.authBlockedUntilPowerCycle." + label, blocked)

    def pin_blocked():
        pin = s.get("pin", PIN)
        results = []
        for attempt in range(8):
            if attempt in (3, 6):
                power_cycle(connection)
                connect()
            try:
                token(PinProtocolV2, PERM.CREDENTIAL_MGMT, pin="0000")
                results.append("ok")
            except CtapError as e:
                results.append(int(e.code))
        expected = [ERR.PIN_INVALID, ERR.PIN_INVALID, ERR.PIN_AUTH_BLOCKED] * 2 + [ERR.PIN_INVALID, ERR.PIN_BLOCKED]
        ensure(results == [int(c) for c in expected], "statuses %r" % results)
        ensure(client_pin(PinProtocolV2).get_pin_retries()[0] == 0, "no retries left")
        power_cycle(connection)
        connect()
        expect_ctap_error(ERR.PIN_BLOCKED, lambda: token(PinProtocolV1, PERM.CREDENTIAL_MGMT, pin=pin))

    run.check("pin.blockedAfterEightWrongPins", pin_blocked)

    def reset_clears():
        power_cycle(connection)
        connect().reset()
        i = refresh_info()
        ensure(i.options.get("clientPin") is False, "PIN gone")
        ensure(i.options.get("ep") is False and i.options.get("alwaysUv") is False, "config back to defaults")
        ensure(i.min_pin_length == 4 and not i.force_pin_change, "minPINLength %r" % i.min_pin_length)
        ensure(blobs().read_blob_array() == [], "large blobs cleared")
        client_pin(PinProtocolV2).set_pin(PIN)
        m = credman(PinProtocolV2).get_metadata()
        ensure(m[RES.EXISTING_CRED_COUNT] == 0, "credentials cleared")

    run.check("reset.clearsManagementState", reset_clears)


if __name__ == "__main__":
    sys.exit(main())
