#!/usr/bin/python3
"""python-fido2 0.9.1's attestation verifiers (fido2.attestation) on softkey's attestation formats.

Reads a JSON file of cases {name, attestationObject, clientDataHash, root} (base64url; written by
test/interop/pythonFido2Attestation.test.ts from an in-process softkey), verifies each statement
with Attestation.for_type(fmt) and, when it returns a trust path, the chain up to softkey's root
with verify_x509_chain. Prints `PASS name` / `FAIL name: reason`, then `N passed, M failed`.
"""

import json
import sys

sys.dont_write_bytecode = True

from fido2.attestation import Attestation  # noqa: E402
from fido2.attestation.base import verify_x509_chain  # noqa: E402
from fido2.ctap2 import AttestationObject  # noqa: E402
from fido2.utils import websafe_decode  # noqa: E402


def main(path):
    with open(path) as f:
        cases = json.load(f)
    passed = failed = 0
    for case in cases:
        name = case["name"]
        try:
            obj = AttestationObject(websafe_decode(case["attestationObject"]))
            result = Attestation.for_type(obj.fmt)().verify(obj.att_statement, obj.auth_data, websafe_decode(case["clientDataHash"]))
            if case["expectedFmt"] != obj.fmt:
                raise Exception("fmt %s, expected %s" % (obj.fmt, case["expectedFmt"]))
            if case["chain"]:
                if not result.trust_path:
                    raise Exception("no trust path")
                root = websafe_decode(case["root"])
                verify_x509_chain([c for c in result.trust_path if c != root] + [root])
            print("PASS %s (%s)" % (name, result.attestation_type.name))
            passed += 1
        except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the run
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
