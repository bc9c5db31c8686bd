#!/usr/bin/python3
"""Interop flows: Yubico's python-fido2 0.9.1 drives softkey over UDP.

Every check prints `PASS name` or `FAIL name: reason`; the last line is `N passed, M failed`
and the exit code is 0 only when M == 0. Lines starting with `#` are information.

Run with the Debian interpreter (python3-fido2 0.9.1):
    /usr/bin/python3 test/interop/python/flows.py --device-port 8111 --reply-port 7112
"""

import os
import sys
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fido2 import cose  # noqa: E402
from fido2.attestation import Attestation, AttestationType, PackedAttestation  # noqa: E402
from fido2.ctap import CtapError  # noqa: E402
from fido2.ctap2 import AuthenticatorData, Ctap2  # noqa: E402
from fido2.hid import CAPABILITY, CTAPHID  # noqa: E402
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

ALGORITHMS = [("ES256", cose.ES256), ("EdDSA", cose.EdDSA), ("RS256", cose.RS256)]
RP_MC = PublicKeyCredentialRpEntity("makecred.softkey.test", "softkey interop")
RP_DISC = PublicKeyCredentialRpEntity("discoverable.softkey.test", "softkey discoverable")
RP_NONE = "nobody.softkey.test"


def main():
    return run_suite(flows, __doc__)


def flows(run, connection):
    state = {}

    # ---- CTAPHID: python-fido2's CtapHidDevice does INIT and all the framing ----------------
    def hid_init():
        dev = open_device(connection)  # CtapHidDevice.__init__ sends CTAPHID_INIT
        info(
            "CTAPHID version %d, device version %s, capabilities 0x%02x"
            % (dev.version, ".".join(map(str, dev.device_version)), dev.capabilities)
        )
        ensure(dev.version == 2, "CTAPHID protocol version %r != 2" % dev.version)
        ensure(
            len(dev.device_version) == 3
            and all(isinstance(v, int) for v in dev.device_version),
            "bad device version %r" % (dev.device_version,),
        )
        ensure(CAPABILITY.CBOR.supported(dev.capabilities), "CBOR capability clear")
        ensure(CAPABILITY.WINK.supported(dev.capabilities), "WINK capability clear")
        return dev

    dev = run.check("hid.init", hid_init)
    state["dev"] = dev

    for size in (1, 100, 7000):

        def ping(size=size):
            need(state["dev"])
            data = os.urandom(size)
            echoed = state["dev"].ping(data)
            ensure(echoed == data, "echo of %d bytes differs (got %d bytes)" % (size, len(echoed)))

        run.check("hid.ping.%d" % size, ping)

    def wink():
        need(state["dev"])
        response = state["dev"].call(CTAPHID.WINK)  # via call() to see the payload
        ensure(response == b"", "WINK response payload %r" % response)
        state["dev"].wink()

    run.check("hid.wink", wink)

    # ---- getInfo -----------------------------------------------------------------------------
    def get_info():
        need(state["dev"])
        return Ctap2(state["dev"], strict_cbor=True)  # runs getInfo, canonical CBOR enforced

    ctap2 = run.check("getInfo.canonicalCbor", get_info)
    state["ctap2"] = ctap2
    state["info"] = ctap2.info if ctap2 else None
    if ctap2:
        info("getInfo %r" % (ctap2.info,))

    def info_versions():
        need(state["info"])
        v = state["info"].versions
        ensure("FIDO_2_0" in v and "FIDO_2_1" in v, "versions %r" % (v,))
        # CTAPHID INIT's NMSG bit says "no CTAPHID_MSG": clear exactly when U2F_V2 is listed.
        nmsg = CAPABILITY.NMSG.supported(state["dev"].capabilities)
        ensure(nmsg == ("U2F_V2" not in v), "NMSG %r with versions %r" % (nmsg, v))

    def info_aaguid():
        need(state["info"])
        a = state["info"].aaguid
        ensure(isinstance(a, bytes) and len(a) == 16, "aaguid %r" % (a,))

    def info_options():
        need(state["info"])
        o = state["info"].options
        ensure(o.get("rk") is True, "options.rk %r" % o.get("rk"))
        ensure(o.get("up") is True, "options.up %r" % o.get("up"))

    def info_algorithms():
        need(state["info"])
        algs = state["info"].algorithms or []
        ids = [a.get("alg") for a in algs if a.get("type") == "public-key"]
        for alg in (-7, -8, -257):
            ensure(alg in ids, "algorithm %d missing from %r" % (alg, algs))

    run.check("getInfo.versions", info_versions)
    run.check("getInfo.aaguid", info_aaguid)
    run.check("getInfo.options", info_options)
    run.check("getInfo.algorithms", info_algorithms)

    # ---- makeCredential: packed attestation verified by python-fido2 ------------------------
    made = {}  # label -> AttestationObject (kept even when its attestation check fails)
    creds = {}  # label -> dict(id, key, rk)
    for alg_name, key_cls in ALGORITHMS:
        for rk in (True, False):
            label = "%s.%s" % (alg_name, "rk" if rk else "nonRk")

            def make(label=label, key_cls=key_cls, rk=rk):
                need(state["ctap2"])
                cdh = client_data_hash("webauthn.create", RP_MC.id)
                att = state["ctap2"].make_credential(
                    cdh,
                    RP_MC,
                    user(("user-" + label).encode(), label),
                    params(key_cls.ALGORITHM),
                    options={"rk": rk},
                )
                made[label] = att
                ensure(att.fmt == "packed", "fmt %r != 'packed'" % att.fmt)
                verifier = Attestation.for_type(att.fmt)
                ensure(verifier is PackedAttestation, "Attestation.for_type -> %r" % verifier)
                result = verifier().verify(att.att_statement, att.auth_data, cdh)
                ensure(
                    result.attestation_type in (AttestationType.BASIC, AttestationType.SELF),
                    "attestation type %r" % (result.attestation_type,),
                )
                ad = att.auth_data
                ensure(ad.rp_id_hash == RP_MC.id_hash, "rpIdHash mismatch")
                ensure(ad.is_user_present(), "UP flag clear")
                ensure(ad.is_attested(), "AT flag clear")
                ensure(
                    ad.credential_data.aaguid == state["info"].aaguid,
                    "aaguid in authData differs from getInfo",
                )
                info(
                    "%s: %s attestation, statement alg %r, credential id %d bytes"
                    % (
                        label,
                        result.attestation_type.name,
                        att.att_statement.get("alg"),
                        len(ad.credential_data.credential_id),
                    )
                )
                return att

            run.check("makeCredential.%s.attestation" % label, make)

            def public_key(label=label, key_cls=key_cls, rk=rk):
                att = made.get(label)
                need(att)
                cd = att.auth_data.credential_data
                key = cd.public_key  # parsed by AttestedCredentialData with cose.CoseKey.parse
                ensure(isinstance(key, key_cls), "COSE key %s, want %s" % (type(key).__name__, key_cls.__name__))
                ensure(key[3] == key_cls.ALGORITHM, "alg %r != %d" % (key.get(3), key_cls.ALGORITHM))
                reparsed = cose.CoseKey.parse(dict(key))
                ensure(type(reparsed) is key_cls, "CoseKey.parse -> %s" % type(reparsed).__name__)
                if key_cls is cose.ES256:
                    ensure(key[1] == 2 and key[-1] == 1, "ES256 kty/crv %r/%r" % (key.get(1), key.get(-1)))
                    ensure(len(key[-2]) == 32 and len(key[-3]) == 32, "ES256 x/y length")
                elif key_cls is cose.EdDSA:
                    ensure(key[1] == 1 and key[-1] == 6, "EdDSA kty/crv %r/%r" % (key.get(1), key.get(-1)))
                    ensure(len(key[-2]) == 32, "Ed25519 key length %d" % len(key[-2]))
                else:
                    ensure(key[1] == 3, "RS256 kty %r" % key.get(1))
                    ensure(len(key[-1]) >= 256, "RSA modulus %d bytes" % len(key[-1]))
                creds[label] = {"id": cd.credential_id, "key": key, "rk": rk}

            run.check("makeCredential.%s.publicKey" % label, public_key)

    # ---- getAssertion with an allowList: signatures and counters -----------------------------
    for alg_name, _ in ALGORITHMS:
        for rk in (True, False):
            label = "%s.%s" % (alg_name, "rk" if rk else "nonRk")
            assertions = []

            def sign(label=label, assertions=assertions):
                need(state["ctap2"], creds.get(label))
                cred = creds[label]
                for _ in range(2):
                    cdh = client_data_hash("webauthn.get", RP_MC.id)
                    a = state["ctap2"].get_assertion(RP_MC.id, cdh, [descriptor(cred["id"])])
                    ensure(a.credential["id"] == cred["id"], "credential id differs")
                    ensure(a.auth_data.rp_id_hash == RP_MC.id_hash, "rpIdHash mismatch")
                    ensure(a.auth_data.is_user_present(), "UP flag clear")
                    ensure(not a.auth_data.is_attested(), "AT flag set in an assertion")
                    cred["key"].verify(a.auth_data + cdh, a.signature)  # cose key verify
                    assertions.append(a)

            def counter(label=label, assertions=assertions):
                need(assertions[1] if len(assertions) == 2 else None)
                c1, c2 = assertions[0].auth_data.counter, assertions[1].auth_data.counter
                ensure(c2 > c1, "counter %d then %d" % (c1, c2))

            run.check("getAssertion.%s.signature" % label, sign)
            run.check("getAssertion.%s.counter" % label, counter)

    # ---- discoverable credentials: 3 users, one RP ------------------------------------------
    disc = []  # (user id, credential id, key), oldest first

    def register_discoverable():
        need(state["ctap2"])
        for i, (alg_name, key_cls) in enumerate(ALGORITHMS, 1):
            uid = ("disc-user-%d" % i).encode()
            cdh = client_data_hash("webauthn.create", RP_DISC.id)
            att = state["ctap2"].make_credential(
                cdh, RP_DISC, user(uid, "disc%d" % i), params(key_cls.ALGORITHM), options={"rk": True}
            )
            cd = att.auth_data.credential_data
            disc.append((uid, cd.credential_id, cd.public_key))

    run.check("discoverable.register", register_discoverable)
    got = []  # (assertion, client data hash)

    def discover_count():
        need(state["ctap2"], disc or None)
        cdh = client_data_hash("webauthn.get", RP_DISC.id)
        first = state["ctap2"].get_assertion(RP_DISC.id, cdh)
        got.append((first, cdh))
        ensure(first.number_of_credentials == 3, "numberOfCredentials %r" % first.number_of_credentials)

    def discover_next():
        need(got or None)
        cdh = got[0][1]
        for _ in range(2):
            got.append((state["ctap2"].get_next_assertion(), cdh))

    def discover_order():
        need(got[2] if len(got) == 3 else None)
        ids = [a.user["id"] if a.user else None for a, _ in got]
        want = [uid for uid, _, _ in reversed(disc)]
        ensure(ids == want, "user ids %r, want newest first %r" % (ids, want))

    def discover_signatures():
        need(got[2] if len(got) == 3 else None)
        keys = dict((cid, key) for _, cid, key in disc)
        for a, cdh in got:
            cid = a.credential["id"]
            ensure(cid in keys, "unknown credential id in assertion")
            ensure(a.auth_data.rp_id_hash == RP_DISC.id_hash, "rpIdHash mismatch")
            keys[cid].verify(a.auth_data + cdh, a.signature)
        ensure(len(set(a.credential["id"] for a, _ in got)) == 3, "a credential was returned twice")

    def discover_exhausted():
        need(got[2] if len(got) == 3 else None)
        expect_ctap_error(ERR.NOT_ALLOWED, state["ctap2"].get_next_assertion)

    run.check("discoverable.count", discover_count)
    run.check("discoverable.getNextAssertion", discover_next)
    run.check("discoverable.newestFirst", discover_order)
    run.check("discoverable.signatures", discover_signatures)
    run.check("discoverable.exhausted", discover_exhausted)

    # ---- errors --------------------------------------------------------------------------------
    def excluded(label, rk):
        def fn():
            need(state["ctap2"], creds.get(label))
            expect_ctap_error(
                ERR.CREDENTIAL_EXCLUDED,
                lambda: state["ctap2"].make_credential(
                    client_data_hash("webauthn.create", RP_MC.id),
                    RP_MC,
                    user(b"exclude-user", "exclude"),
                    params(-7),
                    exclude_list=[descriptor(os.urandom(48)), descriptor(creds[label]["id"])],
                    options={"rk": rk},
                ),
            )

        return fn

    run.check("makeCredential.excludeList.nonRk", excluded("ES256.nonRk", False))
    run.check("makeCredential.excludeList.rk", excluded("EdDSA.rk", True))

    def unsupported_algorithm():
        need(state["ctap2"])
        expect_ctap_error(
            ERR.UNSUPPORTED_ALGORITHM,
            lambda: state["ctap2"].make_credential(
                client_data_hash("webauthn.create", RP_MC.id),
                RP_MC,
                user(b"alg-user", "alg"),
                params(-47),  # ES256K: not offered (ES384 -35 and ES512 -36 are, CTAP 2.3)
            ),
        )

    def up_false():
        need(state["ctap2"])
        expect_ctap_error(
            ERR.INVALID_OPTION,
            lambda: state["ctap2"].make_credential(
                client_data_hash("webauthn.create", RP_MC.id),
                RP_MC,
                user(b"up-user", "up"),
                params(-7),
                options={"up": False},
            ),
        )

    def no_credentials_discoverable():
        need(state["ctap2"])
        expect_ctap_error(
            ERR.NO_CREDENTIALS,
            lambda: state["ctap2"].get_assertion(RP_NONE, client_data_hash("webauthn.get", RP_NONE)),
        )

    def no_credentials_allow_list():
        need(state["ctap2"], creds.get("ES256.nonRk"))
        expect_ctap_error(
            ERR.NO_CREDENTIALS,
            lambda: state["ctap2"].get_assertion(
                RP_NONE,
                client_data_hash("webauthn.get", RP_NONE),
                [descriptor(creds["ES256.nonRk"]["id"])],  # a credential of another RP
            ),
        )

    run.check("makeCredential.unsupportedAlgorithm", unsupported_algorithm)
    run.check("makeCredential.upFalse", up_false)
    run.check("getAssertion.unknownRp", no_credentials_discoverable)
    run.check("getAssertion.otherRpAllowList", no_credentials_allow_list)

    # ---- power cycle: volatile state dropped, credentials kept --------------------------------
    def channel_kept():
        # The magic reboot report keeps the channels allocated before it (as the solo1 and canokey
        # simulations do); the getNextAssertion state (CTAP 2.1 §6.3), being volatile, is dropped.
        need(state["ctap2"], disc or None)
        first = state["ctap2"].get_assertion(RP_DISC.id, client_data_hash("webauthn.get", RP_DISC.id))
        ensure(first.number_of_credentials == 3, "numberOfCredentials %r" % first.number_of_credentials)
        power_cycle(connection)
        ensure(state["dev"].ping(b"kept") == b"kept", "ping on the old channel")
        expect_ctap_error(ERR.NOT_ALLOWED, state["ctap2"].get_next_assertion)

    def reinit():
        state["dev"] = state["ctap2"] = None
        dev = open_device(connection)
        state["dev"], state["ctap2"] = dev, Ctap2(dev)

    def credentials_kept():
        need(state["ctap2"], creds.get("ES256.nonRk"), disc or None)
        cred = creds["ES256.nonRk"]
        cdh = client_data_hash("webauthn.get", RP_MC.id)
        a = state["ctap2"].get_assertion(RP_MC.id, cdh, [descriptor(cred["id"])])
        cred["key"].verify(a.auth_data + cdh, a.signature)
        first = state["ctap2"].get_assertion(RP_DISC.id, client_data_hash("webauthn.get", RP_DISC.id))
        ensure(first.number_of_credentials == 3, "numberOfCredentials %r" % first.number_of_credentials)

    run.check("powerCycle.channelKept", channel_kept)
    run.check("powerCycle.reinit", reinit)
    run.check("powerCycle.credentialsKept", credentials_kept)

    # ---- reset -------------------------------------------------------------------------------
    def reset_after_power_cycle():
        state["dev"] = state["ctap2"] = None
        state["power_up"] = power_cycle(connection)
        dev = open_device(connection)
        state["dev"], state["ctap2"] = dev, Ctap2(dev)
        state["ctap2"].reset()
        elapsed = time.monotonic() - state["power_up"]
        info("reset %.2f s after power-up" % elapsed)
        ensure(elapsed < run.reset_window_s, "took %.1f s: not inside the reset window" % elapsed)

    def discoverable_gone():
        need(state["ctap2"])
        expect_ctap_error(
            ERR.NO_CREDENTIALS,
            lambda: state["ctap2"].get_assertion(RP_DISC.id, client_data_hash("webauthn.get", RP_DISC.id)),
        )

    def allow_list_gone(label):
        def fn():
            need(state["ctap2"], creds.get(label))
            expect_ctap_error(
                ERR.NO_CREDENTIALS,
                lambda: state["ctap2"].get_assertion(
                    RP_MC.id,
                    client_data_hash("webauthn.get", RP_MC.id),
                    [descriptor(creds[label]["id"])],
                ),
            )

        return fn

    def usable_after_reset():
        need(state["ctap2"])
        cdh = client_data_hash("webauthn.create", RP_MC.id)
        att = state["ctap2"].make_credential(cdh, RP_MC, user(b"after-reset", "after"), params(-7))
        cd = att.auth_data.credential_data
        cdh = client_data_hash("webauthn.get", RP_MC.id)
        a = state["ctap2"].get_assertion(RP_MC.id, cdh, [descriptor(cd.credential_id)])
        cd.public_key.verify(a.auth_data + cdh, a.signature)

    def reset_window_expired():
        need(state["ctap2"], state.get("power_up"))
        wait = state["power_up"] + run.reset_window_s + 0.5 - time.monotonic()
        if wait > 0:
            info("waiting %.1f s for the reset window to close" % wait)
            time.sleep(wait)
        expect_ctap_error(ERR.NOT_ALLOWED, state["ctap2"].reset)

    run.check("reset.afterPowerCycle", reset_after_power_cycle)
    run.check("reset.discoverableGone", discoverable_gone)
    run.check("reset.allowListNonRkGone", allow_list_gone("ES256.nonRk"))
    run.check("reset.allowListRkGone", allow_list_gone("RS256.rk"))
    run.check("reset.usableAfterReset", usable_after_reset)
    run.check("reset.windowExpired", reset_window_expired)


if __name__ == "__main__":
    sys.exit(main())
