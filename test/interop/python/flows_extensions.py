#!/usr/bin/python3
"""Interop: python-fido2 0.9.1 drives softkey's CTAP 2.1 extensions over UDP.

credProtect levels 1-3 (CredProtectExtension), hmac-secret with PIN/UV auth protocols 1 and 2 and
one or two salts (HmacSecretExtension), credBlob (CredBlobExtension), largeBlobKey
(LargeBlobKeyExtension), minPinLength (MinPinLengthExtension), and, with hand-built CBOR where
0.9.1 has no class, hmac-secret-mc and thirdPartyPayment. The PIN is set last, for the
user-verified paths (credProtect 3, the with-UV hmac-secret).

Every check prints `PASS name` or `FAIL name: reason`; the last line is `N passed, M failed`.
Run with the Debian interpreter (python3-fido2 0.9.1):
    /usr/bin/python3 test/interop/python/flows_extensions.py --device-port 8111 --reply-port 7112
"""

import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fido2 import cose  # noqa: E402
from fido2.ctap import CtapError  # noqa: E402
from fido2.ctap2 import ClientPin, Config, Ctap2, PinProtocolV1, PinProtocolV2  # noqa: E402
from fido2.ctap2.extensions import (  # noqa: E402
    CredBlobExtension,
    CredProtectExtension,
    HmacSecretExtension,
    LargeBlobKeyExtension,
    MinPinLengthExtension,
)
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
from softkey_udp import open_device  # noqa: E402

ERR = CtapError.ERR
RP = PublicKeyCredentialRpEntity("extensions.softkey.test", "softkey extensions")
RP_CP = PublicKeyCredentialRpEntity("credprotect.softkey.test", "softkey credProtect")
PIN = "4321"
SALT1 = b"\xa5" * 32
SALT2 = b"\x96" * 32
PROTOCOLS = [("v1", PinProtocolV1), ("v2", PinProtocolV2)]
EXPECTED_EXTENSIONS = {
    "credProtect",
    "hmac-secret",
    "hmac-secret-mc",
    "credBlob",
    "largeBlobKey",
    "minPinLength",
    "thirdPartyPayment",
    "pinComplexityPolicy",  # CTAP 2.3 (the default profile's ctap23 capability)
}


def main():
    return run_suite(flows, __doc__)


def flows(run, connection):
    state = {}

    def connect():
        dev = open_device(connection)
        state["ctap2"] = Ctap2(dev, strict_cbor=True)
        return state["ctap2"]

    ctap2 = run.check("connect", connect)
    if ctap2 is None:
        return

    def mc(rp=RP, uid=b"ext-user", rk=False, extensions=None, pin_token=None, protocol=None):
        cdh = client_data_hash("webauthn.create", rp.id)
        kwargs = {}
        if pin_token is not None:
            kwargs = {"pin_uv_param": protocol.authenticate(pin_token, cdh), "pin_uv_protocol": protocol.VERSION}
        return ctap2.make_credential(
            cdh, rp, user(uid, uid.decode()), params(cose.ES256.ALGORITHM),
            extensions=extensions, options={"rk": rk}, **kwargs
        )

    def ga(rp_id=RP.id, cred_id=None, extensions=None, pin_token=None, protocol=None, options=None):
        cdh = client_data_hash("webauthn.get", rp_id)
        kwargs = {}
        if pin_token is not None:
            kwargs = {"pin_uv_param": protocol.authenticate(pin_token, cdh), "pin_uv_protocol": protocol.VERSION}
        allow = [descriptor(cred_id)] if cred_id is not None else None
        return ctap2.get_assertion(rp_id, cdh, allow, extensions=extensions, options=options, **kwargs)

    def cred_id(att):
        return att.auth_data.credential_data.credential_id

    # ---- getInfo -----------------------------------------------------------------------------
    def info_extensions():
        got = set(ctap2.info.extensions)
        ensure(got == EXPECTED_EXTENSIONS, "extensions %r" % sorted(got))
        ensure(ctap2.info.max_cred_blob_length == 32, "maxCredBlobLength %r" % ctap2.info.max_cred_blob_length)

    run.check("getInfo.extensions", info_extensions)

    # ---- credProtect, without UV ---------------------------------------------------------------
    protected = {}
    for level, policy in enumerate(CredProtectExtension.POLICY, 1):

        def make_protected(level=level, policy=policy):
            value = CredProtectExtension(ctap2).process_create_input({"credentialProtectionPolicy": policy})
            ensure(value == level, "CredProtectExtension input %r" % value)
            att = mc(RP_CP, ("cp-%d" % level).encode(), True, {"credProtect": value})
            ensure(att.auth_data.extensions.get("credProtect") == level, "output %r" % att.auth_data.extensions)
            protected[level] = cred_id(att)

        run.check("credProtect.%d.makeCredential" % level, make_protected)

    def cp_discovery_without_uv():
        need(protected.get(1), protected.get(2), protected.get(3))
        a = ga(RP_CP.id)
        ensure(a.number_of_credentials in (None, 1), "numberOfCredentials %r" % a.number_of_credentials)
        ensure(a.credential["id"] == protected[1], "discovered a protected credential")

    def cp_level2_allow_list():
        need(protected.get(2))
        ensure(ga(RP_CP.id, protected[2]).credential["id"] == protected[2], "level 2 by ID")

    def cp_level3_hidden():
        need(protected.get(3))
        expect_ctap_error(ERR.NO_CREDENTIALS, lambda: ga(RP_CP.id, protected[3]))

    run.check("credProtect.discovery.withoutUv.level1Only", cp_discovery_without_uv)
    run.check("credProtect.2.allowList.withoutUv", cp_level2_allow_list)
    run.check("credProtect.3.allowList.withoutUv.hidden", cp_level3_hidden)

    def cp_undefined_levels():
        # §12.1 defines levels 1-3: another unsigned value is an invalid parameter (§8.1).
        for value in (0, 4):
            expect_ctap_error(ERR.INVALID_PARAMETER, lambda value=value: mc(RP_CP, b"cp-bad", False, {"credProtect": value}))

    run.check("credProtect.undefinedLevel.INVALID_PARAMETER", cp_undefined_levels)

    def entity_icons():
        # rp.icon / user.icon: text strings when present (CTAP 2.0 §5.1 entities), else CBOR_UNEXPECTED_TYPE.
        cdh = client_data_hash("webauthn.create", RP.id)
        rp = {"id": RP.id, "name": RP.name, "icon": "https://softkey.test/rp.png"}
        u = {"id": b"icon-user", "name": "icon", "icon": "https://softkey.test/user.png"}
        ctap2.make_credential(cdh, rp, u, params(cose.ES256.ALGORITHM))
        for bad_rp, bad_user in ((dict(rp, icon=7), u), (rp, dict(u, icon=b"png"))):
            expect_ctap_error(
                ERR.CBOR_UNEXPECTED_TYPE,
                lambda bad_rp=bad_rp, bad_user=bad_user: ctap2.make_credential(cdh, bad_rp, bad_user, params(cose.ES256.ALGORITHM)),
            )

    run.check("makeCredential.entityIcons.typeChecked", entity_icons)

    # ---- hmac-secret ---------------------------------------------------------------------------
    hmac_creds = {}
    for rk in (False, True):
        label = "rk" if rk else "nonRk"

        def make_hmac(rk=rk, label=label):
            ext = HmacSecretExtension(ctap2)
            value = ext.process_create_input({"hmacCreateSecret": True})
            ensure(value is True, "HmacSecretExtension create input %r" % value)
            att = mc(uid=("hmac-" + label).encode(), rk=rk, extensions={"hmac-secret": value})
            out = ext.process_create_output(att.auth_data)
            ensure(out == {"hmacCreateSecret": True}, "create output %r" % out)
            hmac_creds[label] = cred_id(att)

        run.check("hmacSecret.%s.makeCredential" % label, make_hmac)

    def hmac_get(label, protocol_cls, salts, pin_token=None, token_protocol=None):
        ext = HmacSecretExtension(ctap2, protocol_cls())
        data = {"salt1": salts[0]}
        if len(salts) > 1:
            data["salt2"] = salts[1]
        inputs = ext.process_get_input({"hmacGetSecret": data})
        a = ga(cred_id=hmac_creds[label], extensions={"hmac-secret": inputs}, pin_token=pin_token, protocol=token_protocol)
        ensure(a.auth_data.is_user_verified() == (pin_token is not None), "UV flag")
        return ext.process_get_output(a.auth_data)["hmacGetSecret"]

    outputs = {}
    for label in ("nonRk", "rk"):
        for pname, pcls in PROTOCOLS:

            def hmac_salts(label=label, pname=pname, pcls=pcls):
                need(hmac_creds.get(label))
                one = hmac_get(label, pcls, [SALT1])
                ensure(len(one["output1"]) == 32 and "output2" not in one, "one salt, one output")
                both = hmac_get(label, pcls, [SALT1, SALT2])
                swapped = hmac_get(label, pcls, [SALT2, SALT1])
                ensure(both["output1"] == one["output1"], "output1 depends on salt2")
                ensure(swapped["output2"] == one["output1"] and swapped["output1"] == both["output2"], "swapped salts")
                ensure(both["output1"] != both["output2"], "two salts, one output")
                outputs[(label, pname)] = one["output1"]

            run.check("hmacSecret.%s.%s.salts" % (label, pname), hmac_salts)

        def hmac_protocols_agree(label=label):
            need(outputs.get((label, "v1")), outputs.get((label, "v2")))
            ensure(outputs[(label, "v1")] == outputs[(label, "v2")], "protocols 1 and 2 differ")

        run.check("hmacSecret.%s.protocolsAgree" % label, hmac_protocols_agree)

    def hmac_credentials_differ():
        need(outputs.get(("nonRk", "v2")), outputs.get(("rk", "v2")))
        ensure(outputs[("nonRk", "v2")] != outputs[("rk", "v2")], "two credentials, one secret")

    run.check("hmacSecret.perCredential", hmac_credentials_differ)

    def hmac_bad_salt_auth():
        need(hmac_creds.get("nonRk"))
        ext = HmacSecretExtension(ctap2, PinProtocolV2())
        inputs = ext.process_get_input({"hmacGetSecret": {"salt1": SALT1}})
        inputs[3] = bytes(32)
        expect_ctap_error(ERR.PIN_AUTH_INVALID, lambda: ga(cred_id=hmac_creds["nonRk"], extensions={"hmac-secret": inputs}))

    def hmac_missing_salt_auth():
        need(hmac_creds.get("nonRk"))
        inputs = HmacSecretExtension(ctap2, PinProtocolV1()).process_get_input({"hmacGetSecret": {"salt1": SALT1}})
        del inputs[3]
        expect_ctap_error(ERR.MISSING_PARAMETER, lambda: ga(cred_id=hmac_creds["nonRk"], extensions={"hmac-secret": inputs}))

    def hmac_bad_salt_length():
        need(hmac_creds.get("nonRk"))
        protocol = PinProtocolV2()
        key_agreement, shared = ClientPin(ctap2, protocol)._get_shared_secret()
        salt_enc = protocol.encrypt(shared, b"\x01" * 16)
        inputs = {1: key_agreement, 2: salt_enc, 3: protocol.authenticate(shared, salt_enc), 4: 2}
        expect_ctap_error(ERR.INVALID_PARAMETER, lambda: ga(cred_id=hmac_creds["nonRk"], extensions={"hmac-secret": inputs}))

    def hmac_needs_up():
        need(hmac_creds.get("nonRk"))
        inputs = HmacSecretExtension(ctap2, PinProtocolV2()).process_get_input({"hmacGetSecret": {"salt1": SALT1}})
        expect_ctap_error(
            ERR.UNSUPPORTED_OPTION,
            lambda: ga(cred_id=hmac_creds["nonRk"], extensions={"hmac-secret": inputs}, options={"up": False}),
        )

    run.check("hmacSecret.error.saltAuth", hmac_bad_salt_auth)
    run.check("hmacSecret.error.missingSaltAuth", hmac_missing_salt_auth)
    run.check("hmacSecret.error.saltLength", hmac_bad_salt_length)
    run.check("hmacSecret.error.upFalse", hmac_needs_up)

    # ---- hmac-secret-mc (hand-built: 0.9.1 has no class for it) --------------------------------
    for pname, pcls in PROTOCOLS:

        def hmac_mc(pname=pname, pcls=pcls):
            ext = HmacSecretExtension(ctap2, pcls())
            inputs = ext.process_get_input({"hmacGetSecret": {"salt1": SALT1, "salt2": SALT2}})
            att = mc(uid=("hmac-mc-" + pname).encode(), extensions={"hmac-secret": True, "hmac-secret-mc": inputs})
            ensure(att.auth_data.extensions.get("hmac-secret") is True, "hmac-secret output %r" % att.auth_data.extensions)
            plain = ext.pin_protocol.decrypt(ext.shared_secret, att.auth_data.extensions["hmac-secret-mc"])
            ensure(len(plain) == 64, "hmac-secret-mc output %d bytes" % len(plain))
            hmac_creds["mc-" + pname] = cred_id(att)
            later = hmac_get("mc-" + pname, pcls, [SALT1, SALT2])
            ensure(plain == later["output1"] + later["output2"], "makeCredential and getAssertion outputs differ")

        run.check("hmacSecretMc.%s" % pname, hmac_mc)

    def hmac_mc_alone():
        inputs = HmacSecretExtension(ctap2, PinProtocolV2()).process_get_input({"hmacGetSecret": {"salt1": SALT1}})
        expect_ctap_error(ERR.MISSING_PARAMETER, lambda: mc(uid=b"hmac-mc-alone", extensions={"hmac-secret-mc": inputs}))

    run.check("hmacSecretMc.withoutHmacSecret", hmac_mc_alone)

    # ---- credBlob -------------------------------------------------------------------------------
    for rk in (False, True):
        label = "rk" if rk else "nonRk"

        def cred_blob(rk=rk, label=label):
            blob = os.urandom(32)
            ext = CredBlobExtension(ctap2)
            value = ext.process_create_input({"credBlob": blob})
            ensure(value == blob, "CredBlobExtension input")
            att = mc(uid=("blob-" + label).encode(), rk=rk, extensions={"credBlob": value})
            ensure(att.auth_data.extensions.get("credBlob") is True, "stored %r" % att.auth_data.extensions)
            get = ext.process_get_input({"getCredBlob": True})
            # As python-fido2's Fido2Client sends it: keyed by the extension's NAME, "credBlob": true
            # (CTAP 2.1 §12.2 authenticatorGetAssertion input).
            ensure(get is True and ext.NAME == "credBlob", "CredBlobExtension get input %r" % get)
            a = ga(cred_id=cred_id(att), extensions={ext.NAME: get})
            ensure(a.auth_data.extensions.get("credBlob") == blob, "blob differs")

        run.check("credBlob.%s.roundTrip" % label, cred_blob)

    def cred_blob_too_long():
        att = mc(uid=b"blob-long", extensions={"credBlob": os.urandom(33)})
        ensure(att.auth_data.extensions.get("credBlob") is False, "output %r" % att.auth_data.extensions)
        a = ga(cred_id=cred_id(att), extensions={"credBlob": True})
        ensure(a.auth_data.extensions.get("credBlob") == b"", "getCredBlob %r" % a.auth_data.extensions)

    run.check("credBlob.tooLong", cred_blob_too_long)

    # ---- largeBlobKey ---------------------------------------------------------------------------
    def large_blob_key():
        ext = LargeBlobKeyExtension(ctap2)
        value = ext.process_create_input({"largeBlobKey": True})
        ensure(value is True, "LargeBlobKeyExtension input %r" % value)
        att = mc(uid=b"lbk", rk=True, extensions={"largeBlobKey": value})
        key = att.large_blob_key
        ensure(key is not None and len(key) == 32, "largeBlobKey %r" % key)
        a = ga(cred_id=cred_id(att), extensions={"largeBlobKey": ext.process_get_input({"largeBlobKey": True})})
        ensure(a.large_blob_key == key, "getAssertion largeBlobKey differs")

    def large_blob_key_needs_rk():
        expect_ctap_error(ERR.INVALID_OPTION, lambda: mc(uid=b"lbk-nonrk", extensions={"largeBlobKey": True}))

    run.check("largeBlobKey.roundTrip", large_blob_key)
    run.check("largeBlobKey.nonResident.invalidOption", large_blob_key_needs_rk)

    # ---- minPinLength ---------------------------------------------------------------------------
    def min_pin_length_not_listed():
        value = MinPinLengthExtension(ctap2).process_create_input({"minPinLength": True})
        ensure(value is True, "MinPinLengthExtension input %r" % value)
        att = mc(uid=b"mpl", extensions={"minPinLength": value})
        ensure("minPinLength" not in (att.auth_data.extensions or {}), "output for an RP not in minPinLengthRPIDs")

    run.check("minPinLength.rpNotListed.noOutput", min_pin_length_not_listed)

    # ---- thirdPartyPayment (hand-built) ---------------------------------------------------------
    def third_party_payment():
        att = mc(uid=b"pay", extensions={"thirdPartyPayment": True})
        ensure(att.auth_data.extensions.get("thirdPartyPayment") is True, "output %r" % att.auth_data.extensions)
        a = ga(cred_id=cred_id(att), extensions={"thirdPartyPayment": True})
        ensure(a.auth_data.extensions.get("thirdPartyPayment") is True, "getAssertion %r" % a.auth_data.extensions)
        plain = mc(uid=b"not-pay")
        b = ga(cred_id=cred_id(plain), extensions={"thirdPartyPayment": True})
        ensure(b.auth_data.extensions.get("thirdPartyPayment") is False, "plain credential %r" % b.auth_data.extensions)

    run.check("thirdPartyPayment", third_party_payment)

    def unknown_ignored():
        att = mc(uid=b"tetris", extensions={"tetris": True})
        ensure(not att.auth_data.extensions, "output for an unknown extension")
        a = ga(cred_id=cred_id(att), extensions={"tetris": {"level": 9}})
        ensure(not a.auth_data.extensions, "output for an unknown extension")

    run.check("unknownExtension.ignored", unknown_ignored)

    # ---- with a PIN: user-verified paths --------------------------------------------------------
    tokens = {}

    def set_pin():
        ClientPin(ctap2, PinProtocolV2()).set_pin(PIN)

    run.check("pin.set", set_pin)

    def token(pname, pcls):
        protocol = pcls()
        permissions = ClientPin.PERMISSION.MAKE_CREDENTIAL | ClientPin.PERMISSION.GET_ASSERTION
        return protocol, ClientPin(ctap2, protocol).get_pin_token(PIN, permissions)

    def cp_discovery_with_uv():
        need(protected.get(3))
        protocol, t = token("v2", PinProtocolV2)
        a = ga(RP_CP.id, pin_token=t, protocol=protocol)
        ensure(a.number_of_credentials == 3, "numberOfCredentials %r" % a.number_of_credentials)

    def cp_level3_with_uv():
        need(protected.get(3))
        protocol, t = token("v1", PinProtocolV1)
        a = ga(RP_CP.id, protected[3], pin_token=t, protocol=protocol)
        ensure(a.credential["id"] == protected[3] and a.auth_data.is_user_verified(), "level 3 with UV")

    run.check("credProtect.discovery.withUv.all", cp_discovery_with_uv)
    run.check("credProtect.3.allowList.withUv", cp_level3_with_uv)

    for pname, pcls in PROTOCOLS:

        def hmac_with_uv(pname=pname, pcls=pcls):
            need(outputs.get(("nonRk", pname)))
            protocol, t = token(pname, pcls)
            with_uv = hmac_get("nonRk", pcls, [SALT1], pin_token=t, token_protocol=protocol)
            ensure(with_uv["output1"] != outputs[("nonRk", pname)], "the same secret with and without UV")
            without = hmac_get("nonRk", pcls, [SALT1])
            ensure(without["output1"] == outputs[("nonRk", pname)], "the without-UV secret changed")
            tokens[pname] = with_uv["output1"]

        run.check("hmacSecret.withUv.%s.differs" % pname, hmac_with_uv)

    def hmac_with_uv_agree():
        need(tokens.get("v1"), tokens.get("v2"))
        ensure(tokens["v1"] == tokens["v2"], "with-UV secrets differ between protocols")

    run.check("hmacSecret.withUv.protocolsAgree", hmac_with_uv_agree)

    def min_pin_length_listed():
        protocol = PinProtocolV2()
        t = ClientPin(ctap2, protocol).get_pin_token(PIN, ClientPin.PERMISSION.AUTHENTICATOR_CFG)
        Config(ctap2, protocol, t).set_min_pin_length(rp_ids=[RP.id])
        att = mc(uid=b"mpl-listed", extensions={"minPinLength": True})
        got = att.auth_data.extensions.get("minPinLength")
        want = ctap2.get_info().min_pin_length
        ensure(got == want, "minPinLength output %r, getInfo minPINLength %r" % (got, want))
        other = mc(rp=RP_CP, uid=b"mpl-other", extensions={"minPinLength": True})
        ensure("minPinLength" not in (other.auth_data.extensions or {}), "output for an RP not listed")

    run.check("minPinLength.rpListed.output", min_pin_length_listed)
    info("done")


if __name__ == "__main__":
    sys.exit(main())
