/*
 * libfido2 interop harness: Yubico's libfido2 (Debian libfido2-dev) drives a running softkey
 * over the SoloKeys UDP convention (src/transport/udp.ts): the device listens on
 * 127.0.0.1:DEVICE_PORT and sends every 64-byte CTAPHID report to 127.0.0.1:REPLY_PORT, one raw
 * report per datagram, no report-ID byte. We hand libfido2 our own I/O functions
 * (fido_dev_set_io_functions) that move those datagrams; everything above them, CTAPHID framing,
 * CTAP2 CBOR, PIN/UV auth protocols and the signature checks, is libfido2's own code.
 *
 *   harness --device-port P --reply-port R [--mode full|ctap20|self]
 *
 * mode full (device started with packed attestation, the default), one device state carried
 * from check to check:
 *   getInfo; makeCredential + fido_cred_verify and getAssertion + fido_assert_verify (rk and
 *   non-rk; ES256, EdDSA, RS256); excludeList; hmac-secret, credProtect, credBlob, minPinLength;
 *   U2F register/authenticate (fido_dev_force_u2f) and credentials crossing CTAP1/CTAP2; the
 *   touch request; PIN set and change (fido_dev_set_pin), retries, PIN-authorised ceremonies;
 *   credential management (metadata, RPs, credentials, updateUserInformation, delete); large
 *   blobs (set/get/remove, several fragments, the raw array); authenticatorConfig (minPINLength,
 *   forcePINChange, alwaysUv); reset in the window after a power cycle (the magic UDP report).
 * mode ctap20 (device started with `--profile ctap20`): a CTAP 2.0 key, PIN protocol 1 and the
 *   legacy getPinToken.
 * mode self (device started with `--attestation self`): makeCredential + fido_cred_verify_self.
 *
 * Prints one `PASS name` / `FAIL name: why` line per check and, last, `N passed, M failed`.
 * Exit status 0 when every check passed, 1 otherwise, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fido.h>
#include <fido/config.h>
#include <fido/credman.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <fido/rs256.h>

#define REPORT_LEN 64
#define IO_TIMEOUT_MS 20000

static const unsigned char MAGIC_REBOOT[REPORT_LEN] = {
	0xac, 0x10, 0x52, 0xca, 0x95, 0xe5, 0x69, 0xde, 0x69, 0xe0, 0x2e, 0xbf, 0xf3, 0x33, 0x48, 0x5f,
	0x13, 0xf9, 0xb2, 0xda, 0x34, 0xc5, 0xa8, 0xa3, 0x40, 0x52, 0x66, 0x97, 0xa9, 0xab, 0x2e, 0x0b,
	0x39, 0x4d, 0x8d, 0x04, 0x97, 0x3c, 0x13, 0x40, 0x05, 0xbe, 0x1a, 0x01, 0x40, 0xbf, 0xf6, 0x04,
	0x5b, 0xb2, 0x6e, 0xb7, 0x7a, 0x73, 0xea, 0xa4, 0x78, 0x13, 0xf6, 0xb4, 0x9a, 0x72, 0x50, 0xdc,
};

/* ---- UDP I/O for libfido2 ------------------------------------------------------------------ */

struct udp_handle {
	int fd;
	struct sockaddr_in device;
};

static int device_port, reply_port;

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* libfido2 passes the path given to fido_dev_open; ours are fixed by the command line. */
static void *udp_open(const char *path)
{
	(void)path;
	struct udp_handle *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (h->fd < 0) {
		free(h);
		return NULL;
	}
	int one = 1, rcvbuf = 1 << 20;
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A large response is ~120 datagrams back to back: make room for them. */
	setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in local = loopback(reply_port);
	if (bind(h->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		fprintf(stderr, "bind 127.0.0.1:%d: %s\n", reply_port, strerror(errno));
		close(h->fd);
		free(h);
		return NULL;
	}
	h->device = loopback(device_port);
	return h;
}

static void udp_close(void *handle)
{
	struct udp_handle *h = handle;
	close(h->fd);
	free(h);
}

/* One report of exactly `len` (64) bytes, or -1 after `ms` of silence (ms < 0: our default). */
static int udp_read(void *handle, unsigned char *buf, size_t len, int ms)
{
	struct udp_handle *h = handle;
	unsigned char datagram[2048];
	if (ms < 0 || ms > IO_TIMEOUT_MS)
		ms = IO_TIMEOUT_MS;
	for (;;) {
		struct pollfd p = { .fd = h->fd, .events = POLLIN };
		int r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		ssize_t n = recv(h->fd, datagram, sizeof(datagram), 0);
		if (n < 0)
			return -1;
		if ((size_t)n != REPORT_LEN || len != REPORT_LEN)
			continue; /* not a report of this convention */
		memcpy(buf, datagram, REPORT_LEN);
		return REPORT_LEN;
	}
}

/* libfido2 writes a report-ID byte (0) and then the 64-byte report; the datagram is the report. */
static int udp_write(void *handle, const unsigned char *buf, size_t len)
{
	struct udp_handle *h = handle;
	if (len != REPORT_LEN + 1)
		return -1;
	ssize_t n = sendto(h->fd, buf + 1, REPORT_LEN, 0, (struct sockaddr *)&h->device, sizeof(h->device));
	return n == REPORT_LEN ? (int)len : -1;
}

static const fido_dev_io_t UDP_IO = { udp_open, udp_close, udp_read, udp_write };

/* ---- checks -------------------------------------------------------------------------------- */

static int passed, failed;
static char why[512];

/* Records why a check failed; returns -1 so a check can `return fail(...)`. */
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return -1;
}

static int fail_r(const char *what, int r)
{
	return fail("%s: %s (%d)", what, fido_strerr(r), r);
}

static void check(const char *name, int (*fn)(void))
{
	why[0] = '\0';
	if (fn() == 0) {
		passed++;
		printf("PASS %s\n", name);
	} else {
		failed++;
		printf("FAIL %s: %s\n", name, why[0] ? why : "failed");
	}
	fflush(stdout);
}

#define EXPECT_OK(what, call)                                                                     \
	do {                                                                                      \
		int r_ = (call);                                                                  \
		if (r_ != FIDO_OK)                                                                \
			return fail_r(what, r_);                                                  \
	} while (0)

#define EXPECT_ERR(what, want, call)                                                              \
	do {                                                                                      \
		int r_ = (call);                                                                  \
		if (r_ != (want))                                                                 \
			return fail("%s: got %s (%d), want %s (%d)", what, fido_strerr(r_), r_,  \
			    fido_strerr(want), want);                                             \
	} while (0)

#define NEED(cond) \
	do { if (!(cond)) return fail("needs an earlier check: %s", #cond); } while (0)

/* ---- device and fixtures ------------------------------------------------------------------- */

static fido_dev_t *dev;

static int open_device(void)
{
	if (dev != NULL) {
		fido_dev_close(dev);
		fido_dev_free(&dev);
	}
	if ((dev = fido_dev_new()) == NULL)
		return fail("fido_dev_new");
	EXPECT_OK("fido_dev_set_io_functions", fido_dev_set_io_functions(dev, &UDP_IO));
	EXPECT_OK("fido_dev_set_timeout", fido_dev_set_timeout(dev, IO_TIMEOUT_MS));
	int r = fido_dev_open(dev, "softkey-udp");
	if (r != FIDO_OK) {
		fido_dev_free(&dev);
		return fail_r("fido_dev_open", r);
	}
	return 0;
}

/* The solo simulation's power cycle: the magic datagram, then a fresh open (CTAPHID INIT). */
static int power_cycle_and_reopen(void)
{
	NEED(dev != NULL);
	struct udp_handle *h = fido_dev_io_handle(dev);
	if (sendto(h->fd, MAGIC_REBOOT, sizeof(MAGIC_REBOOT), 0, (struct sockaddr *)&h->device,
	    sizeof(h->device)) != REPORT_LEN)
		return fail("send magic report: %s", strerror(errno));
	struct timespec settle = { 0, 100 * 1000 * 1000 };
	nanosleep(&settle, NULL);
	return open_device();
}

static void client_data_hash(unsigned char out[32], const char *label)
{
	/* Any 32 bytes will do for the device; a label makes each ceremony's distinct. */
	memset(out, 0, 32);
	for (size_t i = 0; i < 32; i++)
		out[i] = (unsigned char)(label[i % strlen(label)] ^ (i * 37));
}

static void user_id(unsigned char out[16], const char *user)
{
	memset(out, 0, 16);
	memcpy(out, user, strlen(user) < 16 ? strlen(user) : 16);
}

#define RP_MAIN "libfido2.softkey.test"
#define RP_BLOB "largeblob.softkey.test"
static const char *PIN1 = "1234", *PIN2 = "5678", *PIN3 = "24680135", *PIN4 = "56789012";

struct made {
	fido_cred_t *cred;
	int alg;
};
static struct made es256_plain, eddsa_plain, rs256_plain, es256_rk, eddsa_rk, blob_rk, u2f_cred;

/* A makeCredential request for `user` at `rp` (user.id derived from the name). */
static int new_cred(struct made *m, int alg, int rk, const char *rp, const char *user)
{
	unsigned char cdh[32], uid[16];
	client_data_hash(cdh, user);
	user_id(uid, user);
	fido_cred_free(&m->cred);
	if ((m->cred = fido_cred_new()) == NULL)
		return fail("fido_cred_new");
	m->alg = alg;
	EXPECT_OK("set_type", fido_cred_set_type(m->cred, alg));
	EXPECT_OK("set_clientdata_hash", fido_cred_set_clientdata_hash(m->cred, cdh, sizeof(cdh)));
	EXPECT_OK("set_rp", fido_cred_set_rp(m->cred, rp, "softkey libfido2 test"));
	EXPECT_OK("set_user", fido_cred_set_user(m->cred, uid, sizeof(uid), user, user, NULL));
	EXPECT_OK("set_rk", fido_cred_set_rk(m->cred, rk ? FIDO_OPT_TRUE : FIDO_OPT_OMIT));
	return 0;
}

/* makeCredential through libfido2 (checked afterwards with verify_packed / verify_self). */
static int make(struct made *m, int alg, int rk, const char *rp, const char *user, int ext, const char *pin)
{
	if (new_cred(m, alg, rk, rp, user))
		return -1;
	if (ext)
		EXPECT_OK("set_extensions", fido_cred_set_extensions(m->cred, ext));
	EXPECT_OK("fido_dev_make_cred", fido_dev_make_cred(dev, m->cred, pin));
	return 0;
}

static int verify_packed(struct made *m, int want_uv)
{
	if (strcmp(fido_cred_fmt(m->cred), "packed") != 0)
		return fail("fmt %s, want packed", fido_cred_fmt(m->cred));
	if (fido_cred_x5c_len(m->cred) == 0)
		return fail("packed attestation without x5c");
	if (want_uv)
		EXPECT_OK("set_uv", fido_cred_set_uv(m->cred, FIDO_OPT_TRUE));
	EXPECT_OK("fido_cred_verify", fido_cred_verify(m->cred));
	if (fido_cred_type(m->cred) != m->alg)
		return fail("credential type %d, want %d", fido_cred_type(m->cred), m->alg);
	return 0;
}

/* fido_assert_verify of assertion `i` with the public key the credential's attestation gave. */
static int verify_assertion(const fido_assert_t *a, size_t i, const struct made *m)
{
	const unsigned char *pk = fido_cred_pubkey_ptr(m->cred);
	size_t pk_len = fido_cred_pubkey_len(m->cred);
	int r;
	if (m->alg == COSE_ES256) {
		es256_pk_t *k = es256_pk_new();
		if (k == NULL || es256_pk_from_ptr(k, pk, pk_len) != FIDO_OK) {
			es256_pk_free(&k);
			return fail("es256_pk_from_ptr");
		}
		r = fido_assert_verify(a, i, COSE_ES256, k);
		es256_pk_free(&k);
	} else if (m->alg == COSE_RS256) {
		rs256_pk_t *k = rs256_pk_new();
		if (k == NULL || rs256_pk_from_ptr(k, pk, pk_len) != FIDO_OK) {
			rs256_pk_free(&k);
			return fail("rs256_pk_from_ptr");
		}
		r = fido_assert_verify(a, i, COSE_RS256, k);
		rs256_pk_free(&k);
	} else {
		eddsa_pk_t *k = eddsa_pk_new();
		if (k == NULL || eddsa_pk_from_ptr(k, pk, pk_len) != FIDO_OK) {
			eddsa_pk_free(&k);
			return fail("eddsa_pk_from_ptr");
		}
		r = fido_assert_verify(a, i, COSE_EDDSA, k);
		eddsa_pk_free(&k);
	}
	if (r != FIDO_OK)
		return fail_r("fido_assert_verify", r);
	return 0;
}

/* getAssertion for `rp`, allow-listing `m` when given (else discoverable), with `pin` if given. */
static int get(fido_assert_t **a, const char *rp, const struct made *m, const char *pin)
{
	unsigned char cdh[32];
	client_data_hash(cdh, rp);
	fido_assert_free(a);
	if ((*a = fido_assert_new()) == NULL)
		return fail("fido_assert_new");
	EXPECT_OK("set_rp", fido_assert_set_rp(*a, rp));
	EXPECT_OK("set_clientdata_hash", fido_assert_set_clientdata_hash(*a, cdh, sizeof(cdh)));
	EXPECT_OK("set_up", fido_assert_set_up(*a, FIDO_OPT_TRUE));
	if (m != NULL)
		EXPECT_OK("allow_cred", fido_assert_allow_cred(*a, fido_cred_id_ptr(m->cred), fido_cred_id_len(m->cred)));
	return fido_dev_get_assert(dev, *a, pin);
}

static int same_id(const fido_assert_t *a, size_t i, const struct made *m)
{
	return fido_assert_id_len(a, i) == fido_cred_id_len(m->cred) &&
	    memcmp(fido_assert_id_ptr(a, i), fido_cred_id_ptr(m->cred), fido_cred_id_len(m->cred)) == 0;
}

/* ---- extensions ---------------------------------------------------------------------------- */

#define RP_EXT "extensions.softkey.test"
static struct made hmac_cred, prot_cred, blob_cred;
static unsigned char hmac_without_uv[32];
static const unsigned char CRED_BLOB[] = "credBlob: at most 32 bytes";

/* hmac-secret (CTAP 2.1 §12.5): libfido2 does the key agreement, salt encryption and decryption. */
static int hmac_output(const unsigned char *salt, unsigned char out[32], const char *pin)
{
	fido_assert_t *a = NULL;
	unsigned char cdh[32];
	client_data_hash(cdh, "hmac");
	int r = FIDO_ERR_INTERNAL;
	if ((a = fido_assert_new()) != NULL && fido_assert_set_rp(a, RP_EXT) == FIDO_OK &&
	    fido_assert_set_clientdata_hash(a, cdh, 32) == FIDO_OK &&
	    fido_assert_allow_cred(a, fido_cred_id_ptr(hmac_cred.cred), fido_cred_id_len(hmac_cred.cred)) == FIDO_OK &&
	    fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET) == FIDO_OK &&
	    fido_assert_set_hmac_salt(a, salt, 32) == FIDO_OK)
		r = fido_dev_get_assert(dev, a, pin);
	int rc = 0;
	if (r != FIDO_OK)
		rc = fail_r("fido_dev_get_assert hmac-secret", r);
	else if (fido_assert_hmac_secret_len(a, 0) != 32)
		rc = fail("hmac-secret output is %zu bytes, want 32", fido_assert_hmac_secret_len(a, 0));
	else if (verify_assertion(a, 0, &hmac_cred))
		rc = -1;
	else
		memcpy(out, fido_assert_hmac_secret_ptr(a, 0), 32);
	fido_assert_free(&a);
	return rc;
}

static int c_hmac_secret(void)
{
	NEED(dev != NULL);
	if (make(&hmac_cred, COSE_ES256, 0, RP_EXT, "hmac-user", FIDO_EXT_HMAC_SECRET, NULL) || verify_packed(&hmac_cred, 0))
		return -1;
	unsigned char salt1[32], salt2[32], o1[32], o1again[32], o2[32];
	memset(salt1, 0x11, 32);
	memset(salt2, 0x22, 32);
	if (hmac_output(salt1, o1, NULL) || hmac_output(salt1, o1again, NULL) || hmac_output(salt2, o2, NULL))
		return -1;
	if (memcmp(o1, o1again, 32) != 0)
		return fail("the same salt gave two different secrets");
	if (memcmp(o1, o2, 32) == 0)
		return fail("two salts gave the same secret");
	memcpy(hmac_without_uv, o1, 32);
	return 0;
}

/* With UV the authenticator uses CredRandomWithUV: another secret for the same salt (§12.5). */
static int c_hmac_secret_uv(void)
{
	NEED(hmac_cred.cred != NULL && fido_dev_has_pin(dev));
	unsigned char salt1[32], o[32];
	memset(salt1, 0x11, 32);
	if (hmac_output(salt1, o, PIN2))
		return -1;
	if (memcmp(o, hmac_without_uv, 32) == 0)
		return fail("the secret with UV equals the one without");
	return 0;
}

static int c_cred_protect(void)
{
	NEED(dev != NULL);
	struct made *m = &prot_cred;
	if (new_cred(m, COSE_ES256, 1, RP_EXT, "protected"))
		return -1;
	EXPECT_OK("set_prot", fido_cred_set_prot(m->cred, FIDO_CRED_PROT_UV_REQUIRED));
	EXPECT_OK("fido_dev_make_cred", fido_dev_make_cred(dev, m->cred, NULL));
	if (verify_packed(m, 0))
		return -1;
	if (fido_cred_prot(m->cred) != FIDO_CRED_PROT_UV_REQUIRED)
		return fail("credProtect output %d, want 3", fido_cred_prot(m->cred));
	/* userVerificationRequired: invisible to a discoverable getAssertion without UV (§12.1). */
	fido_assert_t *a = NULL;
	int r = get(&a, RP_EXT, NULL, NULL);
	fido_assert_free(&a);
	EXPECT_ERR("discoverable getAssertion without UV", FIDO_ERR_NO_CREDENTIALS, r);
	return 0;
}

static int c_cred_blob_make(void)
{
	NEED(dev != NULL);
	struct made *m = &blob_cred;
	if (new_cred(m, COSE_EDDSA, 1, RP_EXT, "cred-blob"))
		return -1;
	EXPECT_OK("set_blob", fido_cred_set_blob(m->cred, CRED_BLOB, sizeof(CRED_BLOB) - 1));
	EXPECT_OK("fido_dev_make_cred", fido_dev_make_cred(dev, m->cred, NULL));
	return verify_packed(m, 0);
}

static int c_cred_blob_get(void)
{
	NEED(blob_cred.cred != NULL);
	struct made *m = &blob_cred;
	unsigned char cdh[32];
	/* getAssertion input "credBlob": true (CTAP 2.1 §12.2); output the stored bytes. */
	fido_assert_t *a = NULL;
	client_data_hash(cdh, "credBlob.get");
	int r = FIDO_ERR_INTERNAL;
	if ((a = fido_assert_new()) != NULL && fido_assert_set_rp(a, RP_EXT) == FIDO_OK &&
	    fido_assert_set_clientdata_hash(a, cdh, 32) == FIDO_OK &&
	    fido_assert_allow_cred(a, fido_cred_id_ptr(m->cred), fido_cred_id_len(m->cred)) == FIDO_OK &&
	    fido_assert_set_extensions(a, FIDO_EXT_CRED_BLOB) == FIDO_OK)
		r = fido_dev_get_assert(dev, a, NULL);
	int rc = 0;
	if (r != FIDO_OK)
		rc = fail_r("fido_dev_get_assert credBlob", r);
	else if (fido_assert_blob_len(a, 0) != sizeof(CRED_BLOB) - 1 ||
	    memcmp(fido_assert_blob_ptr(a, 0), CRED_BLOB, sizeof(CRED_BLOB) - 1) != 0)
		rc = fail("credBlob output is %zu bytes, not the %zu stored", fido_assert_blob_len(a, 0), sizeof(CRED_BLOB) - 1);
	else if (verify_assertion(a, 0, m))
		rc = -1;
	fido_assert_free(&a);
	return rc;
}

/* ---- full mode ----------------------------------------------------------------------------- */

static int c_open(void)
{
	if (open_device() != 0)
		return -1;
	if (!fido_dev_is_fido2(dev))
		return fail("INIT did not report CAPABILITY_CBOR");
	if (!fido_dev_supports_pin(dev) || fido_dev_has_pin(dev))
		return fail("getInfo should show clientPin supported and not set");
	return 0;
}

static int has_string(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static int c_get_info(void)
{
	NEED(dev != NULL);
	fido_cbor_info_t *ci = fido_cbor_info_new();
	int r = fido_dev_get_cbor_info(dev, ci), rc = 0;
	if (r != FIDO_OK) {
		rc = fail_r("fido_dev_get_cbor_info", r);
		goto out;
	}
	char **v = fido_cbor_info_versions_ptr(ci), **x = fido_cbor_info_extensions_ptr(ci);
	size_t nv = fido_cbor_info_versions_len(ci), nx = fido_cbor_info_extensions_len(ci);
	if (!has_string(v, nv, "FIDO_2_0") || !has_string(v, nv, "FIDO_2_1")) {
		rc = fail("versions lack FIDO_2_0/FIDO_2_1");
		goto out;
	}
	if (!has_string(x, nx, "credProtect") || !has_string(x, nx, "largeBlobKey") || !has_string(x, nx, "hmac-secret")) {
		rc = fail("extensions lack credProtect/largeBlobKey/hmac-secret");
		goto out;
	}
	if (fido_cbor_info_aaguid_len(ci) != 16) {
		rc = fail("aaguid is %zu bytes", fido_cbor_info_aaguid_len(ci));
		goto out;
	}
	int es256 = 0, eddsa = 0;
	for (size_t i = 0; i < fido_cbor_info_algorithm_count(ci); i++) {
		es256 |= fido_cbor_info_algorithm_cose(ci, i) == COSE_ES256;
		eddsa |= fido_cbor_info_algorithm_cose(ci, i) == COSE_EDDSA;
	}
	if (!es256 || !eddsa) {
		rc = fail("algorithms lack ES256 or EdDSA");
		goto out;
	}
	char **on = fido_cbor_info_options_name_ptr(ci);
	const bool *ov = fido_cbor_info_options_value_ptr(ci);
	const char *want[] = { "rk", "up", "credMgmt", "largeBlobs", "pinUvAuthToken" };
	for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		int found = 0;
		for (size_t i = 0; i < fido_cbor_info_options_len(ci); i++)
			found |= strcmp(on[i], want[w]) == 0 && ov[i];
		if (!found) {
			rc = fail("option %s is not true", want[w]);
			goto out;
		}
	}
	const uint8_t *pp = fido_cbor_info_protocols_ptr(ci);
	int p1 = 0, p2 = 0;
	for (size_t i = 0; i < fido_cbor_info_protocols_len(ci); i++) {
		p1 |= pp[i] == 1;
		p2 |= pp[i] == 2;
	}
	if (!p1 || !p2) {
		rc = fail("pinUvAuthProtocols lack 1 or 2");
		goto out;
	}
	if (fido_cbor_info_maxmsgsiz(ci) < 1024 || fido_cbor_info_maxlargeblob(ci) < 1024) {
		rc = fail("maxMsgSize %llu / maxSerializedLargeBlobArray %llu below 1024",
		    (unsigned long long)fido_cbor_info_maxmsgsiz(ci), (unsigned long long)fido_cbor_info_maxlargeblob(ci));
		goto out;
	}
out:
	fido_cbor_info_free(&ci);
	return rc;
}

static int c_make_es256(void)
{
	NEED(dev != NULL);
	if (make(&es256_plain, COSE_ES256, 0, RP_MAIN, "plain-es256", 0, NULL))
		return -1;
	return verify_packed(&es256_plain, 0);
}

static int c_make_eddsa(void)
{
	NEED(dev != NULL);
	if (make(&eddsa_plain, COSE_EDDSA, 0, RP_MAIN, "plain-eddsa", 0, NULL))
		return -1;
	return verify_packed(&eddsa_plain, 0);
}

static int c_make_rs256(void)
{
	NEED(dev != NULL);
	if (make(&rs256_plain, COSE_RS256, 0, RP_MAIN, "plain-rs256", 0, NULL))
		return -1;
	return verify_packed(&rs256_plain, 0);
}

static int c_make_es256_rk(void)
{
	NEED(dev != NULL);
	if (make(&es256_rk, COSE_ES256, 1, RP_MAIN, "rk-es256", 0, NULL))
		return -1;
	return verify_packed(&es256_rk, 0);
}

static int c_make_eddsa_rk(void)
{
	NEED(dev != NULL);
	if (make(&eddsa_rk, COSE_EDDSA, 1, RP_MAIN, "rk-eddsa", 0, NULL))
		return -1;
	return verify_packed(&eddsa_rk, 0);
}

static int c_make_excluded(void)
{
	NEED(es256_plain.cred != NULL);
	struct made m = { 0 };
	unsigned char cdh[32], uid[1] = { 9 };
	client_data_hash(cdh, "excluded");
	int rc = -1;
	if ((m.cred = fido_cred_new()) == NULL)
		return fail("fido_cred_new");
	if (fido_cred_set_type(m.cred, COSE_ES256) != FIDO_OK ||
	    fido_cred_set_clientdata_hash(m.cred, cdh, sizeof(cdh)) != FIDO_OK ||
	    fido_cred_set_rp(m.cred, RP_MAIN, NULL) != FIDO_OK ||
	    fido_cred_set_user(m.cred, uid, sizeof(uid), "x", NULL, NULL) != FIDO_OK ||
	    fido_cred_exclude(m.cred, fido_cred_id_ptr(es256_plain.cred), fido_cred_id_len(es256_plain.cred)) != FIDO_OK) {
		fail("building the request");
		goto out;
	}
	int r = fido_dev_make_cred(dev, m.cred, NULL);
	if (r != FIDO_ERR_CREDENTIAL_EXCLUDED) {
		fail("got %s (%d), want FIDO_ERR_CREDENTIAL_EXCLUDED", fido_strerr(r), r);
		goto out;
	}
	rc = 0;
out:
	fido_cred_free(&m.cred);
	return rc;
}

static fido_assert_t *assertion;

static int assert_one(const struct made *m)
{
	NEED(m->cred != NULL);
	EXPECT_OK("fido_dev_get_assert", get(&assertion, RP_MAIN, m, NULL));
	if (fido_assert_count(assertion) != 1)
		return fail("%zu assertions, want 1", fido_assert_count(assertion));
	if (!same_id(assertion, 0, m))
		return fail("the assertion names another credential");
	return verify_assertion(assertion, 0, m);
}

static int c_assert_es256(void) { return assert_one(&es256_plain); }
static int c_assert_eddsa(void) { return assert_one(&eddsa_plain); }
static int c_assert_rs256(void) { return assert_one(&rs256_plain); }

static int c_assert_wrong_key(void)
{
	/* The oracle is not vacuous: the EdDSA assertion must not verify with another EdDSA key. */
	NEED(assertion != NULL && eddsa_rk.cred != NULL && same_id(assertion, 0, &eddsa_plain));
	const unsigned char *pk = fido_cred_pubkey_ptr(eddsa_rk.cred);
	eddsa_pk_t *k = eddsa_pk_new();
	if (k == NULL || eddsa_pk_from_ptr(k, pk, fido_cred_pubkey_len(eddsa_rk.cred)) != FIDO_OK) {
		eddsa_pk_free(&k);
		return fail("eddsa_pk_from_ptr");
	}
	int r = fido_assert_verify(assertion, 0, COSE_EDDSA, k);
	eddsa_pk_free(&k);
	if (r != FIDO_ERR_INVALID_SIG)
		return fail("got %s (%d), want FIDO_ERR_INVALID_SIG", fido_strerr(r), r);
	return 0;
}

static int c_assert_discoverable(void)
{
	NEED(es256_rk.cred != NULL && eddsa_rk.cred != NULL);
	EXPECT_OK("fido_dev_get_assert", get(&assertion, RP_MAIN, NULL, NULL));
	if (fido_assert_count(assertion) != 2)
		return fail("%zu assertions, want 2 (the two discoverable credentials)", fido_assert_count(assertion));
	int seen_es = 0, seen_ed = 0;
	for (size_t i = 0; i < 2; i++) {
		const struct made *m = same_id(assertion, i, &es256_rk) ? &es256_rk : same_id(assertion, i, &eddsa_rk) ? &eddsa_rk : NULL;
		if (m == NULL)
			return fail("assertion %zu names an unknown credential", i);
		if (verify_assertion(assertion, i, m))
			return -1;
		/* user.id always; name and displayName only after UV (CTAP 2.1 §6.2.2 step 12). */
		unsigned char uid[16];
		user_id(uid, m == &es256_rk ? "rk-es256" : "rk-eddsa");
		if (fido_assert_user_id_len(assertion, i) != sizeof(uid) ||
		    memcmp(fido_assert_user_id_ptr(assertion, i), uid, sizeof(uid)) != 0)
			return fail("assertion %zu carries another user.id", i);
		if (fido_assert_user_name(assertion, i) != NULL)
			return fail("assertion %zu reveals user.name %s without UV", i, fido_assert_user_name(assertion, i));
		seen_es |= m == &es256_rk;
		seen_ed |= m == &eddsa_rk;
	}
	if (!seen_es || !seen_ed)
		return fail("the same credential was returned twice");
	return 0;
}

static int c_assert_unknown_rp(void)
{
	NEED(dev != NULL);
	fido_assert_t *a = NULL;
	int r = get(&a, "nobody.softkey.test", NULL, NULL);
	fido_assert_free(&a);
	EXPECT_ERR("fido_dev_get_assert", FIDO_ERR_NO_CREDENTIALS, r);
	return 0;
}

/* ---- CTAP1/U2F (CTAP 2.1 §11) through libfido2's U2F path ----------------------------------- */

static int c_u2f_register(void)
{
	NEED(dev != NULL);
	fido_dev_force_u2f(dev);
	int rc = make(&u2f_cred, COSE_ES256, 0, RP_MAIN, "u2f-user", 0, NULL);
	if (rc == 0 && strcmp(fido_cred_fmt(u2f_cred.cred), "fido-u2f") != 0)
		rc = fail("fmt %s, want fido-u2f", fido_cred_fmt(u2f_cred.cred));
	if (rc == 0 && fido_cred_verify(u2f_cred.cred) != FIDO_OK)
		rc = fail_r("fido_cred_verify", fido_cred_verify(u2f_cred.cred));
	return rc;
}

static int c_u2f_authenticate(void)
{
	NEED(u2f_cred.cred != NULL && !fido_dev_is_fido2(dev));
	return assert_one(&u2f_cred);
}

/* A non-discoverable ES256 credential made over CTAP2 signs over U2F as well. */
static int c_u2f_authenticate_ctap2_credential(void)
{
	NEED(es256_plain.cred != NULL && !fido_dev_is_fido2(dev));
	return assert_one(&es256_plain);
}

/* A discoverable ES256 credential whose credProtect allows use without UV, too (CTAP 2.1 §11). */
static int c_u2f_authenticate_discoverable(void)
{
	NEED(es256_rk.cred != NULL && !fido_dev_is_fido2(dev));
	return assert_one(&es256_rk);
}

/* ...and the U2F credential over CTAP2 (after a fresh INIT, which restores CBOR). */
static int c_u2f_credential_over_ctap2(void)
{
	NEED(u2f_cred.cred != NULL);
	if (open_device())
		return -1;
	if (!fido_dev_is_fido2(dev))
		return fail("CBOR capability not back after INIT");
	return assert_one(&u2f_cred);
}

static int retries(int want)
{
	int n = -1;
	EXPECT_OK("fido_dev_get_retry_count", fido_dev_get_retry_count(dev, &n));
	if (n != want)
		return fail("PIN retries %d, want %d", n, want);
	return 0;
}

static int c_pin_set(void)
{
	NEED(dev != NULL);
	EXPECT_OK("fido_dev_set_pin", fido_dev_set_pin(dev, PIN1, NULL));
	if (retries(8))
		return -1;
	if (open_device())
		return -1;
	if (!fido_dev_has_pin(dev))
		return fail("getInfo clientPin is not true after setPIN");
	return 0;
}

static int c_pin_set_again(void)
{
	NEED(dev != NULL && fido_dev_has_pin(dev));
	/* setPIN while a PIN is set: CTAP 2.1 §6.5.5.5 step 3. */
	EXPECT_ERR("fido_dev_set_pin without the old PIN", FIDO_ERR_PIN_AUTH_INVALID, fido_dev_set_pin(dev, PIN2, NULL));
	return retries(8);
}

static int c_pin_change(void)
{
	NEED(dev != NULL && fido_dev_has_pin(dev));
	EXPECT_OK("fido_dev_set_pin", fido_dev_set_pin(dev, PIN2, PIN1));
	return retries(8);
}

static int c_cred_protect_with_uv(void)
{
	NEED(prot_cred.cred != NULL && blob_cred.cred != NULL);
	fido_assert_t *a = NULL;
	int r = get(&a, RP_EXT, NULL, PIN2), rc = 0, seen = 0;
	if (r != FIDO_OK) {
		fido_assert_free(&a);
		return fail_r("discoverable getAssertion with the PIN", r);
	}
	for (size_t i = 0; i < fido_assert_count(a); i++)
		if (same_id(a, i, &prot_cred)) {
			seen = 1;
			EXPECT_OK("set_uv", fido_assert_set_uv(a, FIDO_OPT_TRUE));
			rc = verify_assertion(a, i, &prot_cred);
		}
	size_t n = fido_assert_count(a);
	fido_assert_free(&a);
	if (rc)
		return rc;
	if (!seen || n != 2)
		return fail("%zu assertions (want 2), the uvRequired credential %s", n, seen ? "among them" : "missing");
	return 0;
}

static int c_pin_change_wrong_old(void)
{
	NEED(dev != NULL && fido_dev_has_pin(dev));
	EXPECT_ERR("changePIN with a wrong current PIN", FIDO_ERR_PIN_INVALID, fido_dev_set_pin(dev, "999999", "0000"));
	if (retries(7))
		return -1;
	return 0;
}

static int c_pin_old_refused(void)
{
	NEED(es256_plain.cred != NULL);
	fido_assert_t *a = NULL;
	int r = get(&a, RP_MAIN, &es256_plain, PIN1);
	fido_assert_free(&a);
	EXPECT_ERR("getAssertion with the old PIN", FIDO_ERR_PIN_INVALID, r);
	/* Two wrong PINs in a row (changePIN's and this one) cost two retries (§6.5.5.7). */
	return retries(6);
}

static int c_pin_assert(void)
{
	NEED(es256_plain.cred != NULL);
	EXPECT_OK("fido_dev_get_assert", get(&assertion, RP_MAIN, &es256_plain, PIN2));
	/* A correct PIN restores the retries (CTAP 2.1 §6.5.5.7). */
	if (retries(8))
		return -1;
	EXPECT_OK("set_uv", fido_assert_set_uv(assertion, FIDO_OPT_TRUE));
	return verify_assertion(assertion, 0, &es256_plain);
}

static int c_pin_make_rk_large_blob_key(void)
{
	NEED(dev != NULL);
	if (make(&blob_rk, COSE_ES256, 1, RP_BLOB, "blob-owner", FIDO_EXT_LARGEBLOB_KEY, PIN2))
		return -1;
	if (verify_packed(&blob_rk, 1))
		return -1;
	if (fido_cred_largeblob_key_len(blob_rk.cred) != 32)
		return fail("largeBlobKey is %zu bytes, want 32", fido_cred_largeblob_key_len(blob_rk.cred));
	return 0;
}

static int c_credman_metadata(void)
{
	NEED(blob_rk.cred != NULL && es256_rk.cred != NULL && eddsa_rk.cred != NULL && prot_cred.cred != NULL &&
	    blob_cred.cred != NULL);
	fido_credman_metadata_t *md = fido_credman_metadata_new();
	int r = fido_credman_get_dev_metadata(dev, md, PIN2);
	uint64_t existing = fido_credman_rk_existing(md), remaining = fido_credman_rk_remaining(md);
	fido_credman_metadata_free(&md);
	if (r != FIDO_OK)
		return fail_r("fido_credman_get_dev_metadata", r);
	/* rk-es256, rk-eddsa, blob-owner, protected, cred-blob. */
	if (existing != 5 || remaining == 0)
		return fail("existing %llu (want 5), remaining %llu (want > 0)", (unsigned long long)existing,
		    (unsigned long long)remaining);
	return 0;
}

static int c_credman_rps(void)
{
	NEED(blob_rk.cred != NULL);
	fido_credman_rp_t *rp = fido_credman_rp_new();
	int r = fido_credman_get_dev_rp(dev, rp, PIN2), rc = 0;
	if (r != FIDO_OK) {
		rc = fail_r("fido_credman_get_dev_rp", r);
	} else if (fido_credman_rp_count(rp) != 3) {
		rc = fail("%zu RPs, want 3", fido_credman_rp_count(rp));
	} else {
		int main_seen = 0, blob_seen = 0, ext_seen = 0;
		for (size_t i = 0; i < 3; i++) {
			const char *id = fido_credman_rp_id(rp, i);
			main_seen |= id != NULL && strcmp(id, RP_MAIN) == 0;
			blob_seen |= id != NULL && strcmp(id, RP_BLOB) == 0;
			ext_seen |= id != NULL && strcmp(id, RP_EXT) == 0;
			if (fido_credman_rp_id_hash_len(rp, i) != 32)
				rc = fail("rpIDHash of RP %zu is %zu bytes", i, fido_credman_rp_id_hash_len(rp, i));
		}
		if (rc == 0 && (!main_seen || !blob_seen || !ext_seen))
			rc = fail("RP ids %s, %s, %s", fido_credman_rp_id(rp, 0), fido_credman_rp_id(rp, 1), fido_credman_rp_id(rp, 2));
	}
	fido_credman_rp_free(&rp);
	return rc;
}

static size_t rk_count(const char *rp_id, const struct made *find, int *found)
{
	fido_credman_rk_t *rk = fido_credman_rk_new();
	int r = fido_credman_get_dev_rk(dev, rp_id, rk, PIN2);
	size_t n = r == FIDO_OK ? fido_credman_rk_count(rk) : (size_t)-1;
	if (r == FIDO_ERR_NO_CREDENTIALS)
		n = 0;
	else if (r != FIDO_OK)
		fail_r("fido_credman_get_dev_rk", r);
	*found = 0;
	for (size_t i = 0; r == FIDO_OK && i < n; i++) {
		const fido_cred_t *c = fido_credman_rk(rk, i);
		if (find != NULL && fido_cred_id_len(c) == fido_cred_id_len(find->cred) &&
		    memcmp(fido_cred_id_ptr(c), fido_cred_id_ptr(find->cred), fido_cred_id_len(c)) == 0) {
			const char *name = fido_cred_user_name(c), *want = fido_cred_user_name(find->cred);
			*found = name != NULL && want != NULL && strcmp(name, want) == 0 &&
			    fido_cred_pubkey_len(c) == fido_cred_pubkey_len(find->cred) &&
			    memcmp(fido_cred_pubkey_ptr(c), fido_cred_pubkey_ptr(find->cred), fido_cred_pubkey_len(c)) == 0;
		}
	}
	fido_credman_rk_free(&rk);
	return n;
}

static int c_credman_rks(void)
{
	NEED(eddsa_rk.cred != NULL);
	int found = 0;
	size_t n = rk_count(RP_MAIN, &eddsa_rk, &found);
	if (n == (size_t)-1)
		return -1;
	if (n != 2 || !found)
		return fail("%zu credentials for %s (want 2), EdDSA one with its user and key %s", n, RP_MAIN,
		    found ? "found" : "missing");
	return 0;
}

/* updateUserInformation (CTAP 2.1 §6.8.6): a new name and display name for the same user.id. */
static int c_credman_update_user(void)
{
	NEED(es256_rk.cred != NULL);
	unsigned char uid[16];
	user_id(uid, "rk-es256");
	fido_cred_t *c = fido_cred_new();
	int r = FIDO_ERR_INTERNAL, rc = 0;
	if (c == NULL || fido_cred_set_id(c, fido_cred_id_ptr(es256_rk.cred), fido_cred_id_len(es256_rk.cred)) != FIDO_OK ||
	    fido_cred_set_user(c, uid, sizeof(uid), "renamed", "Renamed User", NULL) != FIDO_OK ||
	    (r = fido_credman_set_dev_rk(dev, c, PIN2)) != FIDO_OK)
		rc = fail_r("fido_credman_set_dev_rk", r);
	fido_cred_free(&c);
	if (rc)
		return rc;
	fido_assert_t *a = NULL;
	r = get(&a, RP_MAIN, &es256_rk, PIN2);
	if (r != FIDO_OK) {
		fido_assert_free(&a);
		return fail_r("fido_dev_get_assert", r);
	}
	const char *name = fido_assert_user_name(a, 0), *display = fido_assert_user_display_name(a, 0);
	if (name == NULL || strcmp(name, "renamed") != 0 || display == NULL || strcmp(display, "Renamed User") != 0)
		rc = fail("after the update getAssertion (with UV) returns user %s / %s", name ? name : "(none)",
		    display ? display : "(none)");
	fido_assert_free(&a);
	return rc;
}

/*
 * libfido2's touch request (fido_dev_get_touch_begin/status), which fido2-token and browsers use
 * to pick a key: a makeCredential with a zero-length pinUvAuthParam that waits for presence and
 * answers PIN_NOT_SET or PIN_INVALID (CTAP 2.1 §6.1.2 step 1); libfido2 counts those as touched.
 */
static int c_touch(void)
{
	NEED(dev != NULL);
	int touched = 0;
	EXPECT_OK("fido_dev_get_touch_begin", fido_dev_get_touch_begin(dev));
	EXPECT_OK("fido_dev_get_touch_status", fido_dev_get_touch_status(dev, &touched, IO_TIMEOUT_MS));
	if (!touched)
		return fail("no answer to the touch request");
	return 0;
}

/* Enumerated credentials carry credProtect (0x0A) and largeBlobKey (0x0B) (§6.8.3). */
static int c_credman_rk_extensions(void)
{
	NEED(prot_cred.cred != NULL && blob_rk.cred != NULL);
	const struct { const char *rp; const struct made *m; } want[] = { { RP_EXT, &prot_cred }, { RP_BLOB, &blob_rk } };
	for (size_t w = 0; w < 2; w++) {
		fido_credman_rk_t *rk = fido_credman_rk_new();
		int r = fido_credman_get_dev_rk(dev, want[w].rp, rk, PIN2), rc = -2;
		for (size_t i = 0; r == FIDO_OK && i < fido_credman_rk_count(rk); i++) {
			const fido_cred_t *c = fido_credman_rk(rk, i);
			const fido_cred_t *m = want[w].m->cred;
			if (fido_cred_id_len(c) != fido_cred_id_len(m) ||
			    memcmp(fido_cred_id_ptr(c), fido_cred_id_ptr(m), fido_cred_id_len(c)) != 0)
				continue;
			/* A credential made without the extension has userVerificationOptional (§12.1). */
			int prot = fido_cred_prot(m) ? fido_cred_prot(m) : FIDO_CRED_PROT_UV_OPTIONAL;
			if (fido_cred_prot(c) != prot)
				rc = fail("%s: credProtect %d, want %d", want[w].rp, fido_cred_prot(c), prot);
			else if (fido_cred_largeblob_key_len(c) != fido_cred_largeblob_key_len(m) ||
			    (fido_cred_largeblob_key_len(c) != 0 &&
			    memcmp(fido_cred_largeblob_key_ptr(c), fido_cred_largeblob_key_ptr(m), fido_cred_largeblob_key_len(c)) != 0))
				rc = fail("%s: largeBlobKey of %zu bytes differs from makeCredential's", want[w].rp,
				    fido_cred_largeblob_key_len(c));
			else
				rc = 0;
		}
		fido_credman_rk_free(&rk);
		if (r != FIDO_OK)
			return fail_r("fido_credman_get_dev_rk", r);
		if (rc == -2)
			return fail("%s: the credential is not enumerated", want[w].rp);
		if (rc)
			return rc;
	}
	return 0;
}

static int c_credman_delete(void)
{
	NEED(eddsa_rk.cred != NULL);
	EXPECT_OK("fido_credman_del_dev_rk",
	    fido_credman_del_dev_rk(dev, fido_cred_id_ptr(eddsa_rk.cred), fido_cred_id_len(eddsa_rk.cred), PIN2));
	int found = 0;
	size_t n = rk_count(RP_MAIN, &eddsa_rk, &found);
	if (n == (size_t)-1)
		return -1;
	if (n != 1 || found)
		return fail("%zu credentials for %s after the delete (want 1, without the deleted one)", n, RP_MAIN);
	fido_assert_t *a = NULL;
	int r = get(&a, RP_MAIN, &eddsa_rk, PIN2);
	fido_assert_free(&a);
	EXPECT_ERR("getAssertion with the deleted credential", FIDO_ERR_NO_CREDENTIALS, r);
	return 0;
}

static const unsigned char BLOB[] = "a large blob written by libfido2, compressed and encrypted by it";

static int c_large_blob_set(void)
{
	NEED(blob_rk.cred != NULL && fido_cred_largeblob_key_len(blob_rk.cred) == 32);
	EXPECT_OK("fido_dev_largeblob_set", fido_dev_largeblob_set(dev, fido_cred_largeblob_key_ptr(blob_rk.cred), 32,
	    BLOB, sizeof(BLOB), PIN2));
	return 0;
}

static int c_large_blob_get(void)
{
	NEED(blob_rk.cred != NULL && fido_cred_largeblob_key_len(blob_rk.cred) == 32);
	unsigned char *out = NULL;
	size_t len = 0;
	EXPECT_OK("fido_dev_largeblob_get", fido_dev_largeblob_get(dev, fido_cred_largeblob_key_ptr(blob_rk.cred), 32,
	    &out, &len));
	int same = len == sizeof(BLOB) && memcmp(out, BLOB, len) == 0;
	free(out);
	if (!same)
		return fail("read back %zu bytes that differ from the %zu written", len, sizeof(BLOB));
	/* The same blob through the assertion's largeBlobKey (getAssertion extension). */
	fido_assert_t *a = NULL;
	int r = FIDO_OK;
	unsigned char cdh[32];
	client_data_hash(cdh, RP_BLOB);
	if ((a = fido_assert_new()) == NULL || fido_assert_set_rp(a, RP_BLOB) != FIDO_OK ||
	    fido_assert_set_clientdata_hash(a, cdh, 32) != FIDO_OK ||
	    fido_assert_set_extensions(a, FIDO_EXT_LARGEBLOB_KEY) != FIDO_OK ||
	    (r = fido_dev_get_assert(dev, a, PIN2)) != FIDO_OK) {
		fido_assert_free(&a);
		return r != FIDO_OK ? fail_r("fido_dev_get_assert largeBlobKey", r) : fail("building the assertion");
	}
	int key_ok = fido_assert_count(a) == 1 && fido_assert_largeblob_key_len(a, 0) == 32 &&
	    memcmp(fido_assert_largeblob_key_ptr(a, 0), fido_cred_largeblob_key_ptr(blob_rk.cred), 32) == 0;
	fido_assert_free(&a);
	if (!key_ok)
		return fail("getAssertion's largeBlobKey differs from makeCredential's");
	return 0;
}

static int c_large_blob_remove(void)
{
	NEED(blob_rk.cred != NULL && fido_cred_largeblob_key_len(blob_rk.cred) == 32);
	EXPECT_OK("fido_dev_largeblob_remove", fido_dev_largeblob_remove(dev, fido_cred_largeblob_key_ptr(blob_rk.cred), 32,
	    PIN2));
	unsigned char *out = NULL;
	size_t len = 0;
	int r = fido_dev_largeblob_get(dev, fido_cred_largeblob_key_ptr(blob_rk.cred), 32, &out, &len);
	free(out);
	EXPECT_ERR("fido_dev_largeblob_get after remove", FIDO_ERR_NOTFOUND, r);
	return 0;
}

/* A blob larger than one largeBlobs fragment: libfido2 writes and reads it in several (§6.10). */
static int c_large_blob_big(void)
{
	NEED(blob_cred.cred != NULL && prot_cred.cred != NULL);
	fido_cbor_info_t *ci = fido_cbor_info_new();
	int r = fido_dev_get_cbor_info(dev, ci);
	uint64_t max = fido_cbor_info_maxlargeblob(ci), msg = fido_cbor_info_maxmsgsiz(ci);
	fido_cbor_info_free(&ci);
	if (r != FIDO_OK)
		return fail_r("fido_dev_get_cbor_info", r);
	/* An incompressible blob that fills most of the array (libfido2 deflates and encrypts it, then
	 * writes the array in fragments of at most maxMsgSize - 64 bytes). */
	size_t len = max > 400 ? (size_t)max - 400 : 0;
	if (len <= msg)
		return fail("maxSerializedLargeBlobArray %llu leaves no room for a multi-fragment blob (maxMsgSize %llu)",
		    (unsigned long long)max, (unsigned long long)msg);
	unsigned char *blob = malloc(len), *out = NULL, key[32];
	if (blob == NULL)
		return fail("malloc");
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		blob[i] = (unsigned char)x;
	}
	memset(key, 0x5a, sizeof(key));
	size_t out_len = 0;
	int rc = 0;
	if ((r = fido_dev_largeblob_set(dev, key, sizeof(key), blob, len, PIN2)) != FIDO_OK)
		rc = fail_r("fido_dev_largeblob_set", r);
	else if ((r = fido_dev_largeblob_get(dev, key, sizeof(key), &out, &out_len)) != FIDO_OK)
		rc = fail_r("fido_dev_largeblob_get", r);
	else if (out_len != len || memcmp(out, blob, len) != 0)
		rc = fail("read back %zu bytes that differ from the %zu written", out_len, len);
	else if ((r = fido_dev_largeblob_remove(dev, key, sizeof(key), PIN2)) != FIDO_OK)
		rc = fail_r("fido_dev_largeblob_remove", r);
	free(out);
	free(blob);
	return rc;
}

/* ---- authenticatorConfig (CTAP 2.1 §6.11) -------------------------------------------------- */

#define RP_MINPIN "minpin.softkey.test"

static int info_u64(uint64_t (*get)(const fido_cbor_info_t *), uint64_t *out)
{
	fido_cbor_info_t *ci = fido_cbor_info_new();
	int r = fido_dev_get_cbor_info(dev, ci);
	*out = get(ci);
	fido_cbor_info_free(&ci);
	return r == FIDO_OK ? 0 : fail_r("fido_dev_get_cbor_info", r);
}

static uint64_t new_pin_required(const fido_cbor_info_t *ci) { return fido_cbor_info_new_pin_required(ci); }

static int c_config_min_pin_length(void)
{
	NEED(dev != NULL && fido_dev_has_pin(dev));
	const char *rps[] = { RP_MINPIN };
	EXPECT_OK("fido_dev_set_pin_minlen_rpid", fido_dev_set_pin_minlen_rpid(dev, rps, 1, PIN2));
	EXPECT_OK("fido_dev_set_pin_minlen", fido_dev_set_pin_minlen(dev, 6, PIN2));
	uint64_t min = 0;
	if (info_u64(fido_cbor_info_minpinlen, &min))
		return -1;
	if (min != 6)
		return fail("getInfo minPINLength %llu, want 6", (unsigned long long)min);
	/* A 4-digit PIN was set before: the next use must change it (§6.11.4 forcePINChange). */
	uint64_t force = 0;
	if (info_u64(new_pin_required, &force))
		return -1;
	if (!force)
		return fail("getInfo forcePINChange is not true after raising minPINLength above the PIN's length");
	return 0;
}

static int c_config_short_pin_refused(void)
{
	NEED(dev != NULL && fido_dev_has_pin(dev));
	EXPECT_ERR("changePIN to a PIN below minPINLength", FIDO_ERR_PIN_POLICY_VIOLATION, fido_dev_set_pin(dev, "97531", PIN2));
	return 0;
}

static int c_config_pin_change_clears_force(void)
{
	NEED(dev != NULL && fido_dev_has_pin(dev));
	EXPECT_OK("fido_dev_set_pin", fido_dev_set_pin(dev, PIN3, PIN2));
	uint64_t force = 1;
	if (info_u64(new_pin_required, &force))
		return -1;
	if (force)
		return fail("getInfo forcePINChange still true after changePIN");
	return 0;
}

static int c_config_min_pin_length_extension(void)
{
	NEED(dev != NULL && fido_dev_has_pin(dev));
	struct made m = { 0 };
	/* The expected value: fido_cred_verify compares it with the authenticator data's output. */
	int rc = new_cred(&m, COSE_ES256, 0, RP_MINPIN, "minpin-user");
	if (rc == 0 && fido_cred_set_pin_minlen(m.cred, 6) != FIDO_OK)
		rc = fail("fido_cred_set_pin_minlen");
	int r = rc == 0 ? fido_dev_make_cred(dev, m.cred, PIN3) : FIDO_OK;
	if (r != FIDO_OK)
		rc = fail_r("fido_dev_make_cred", r);
	if (rc == 0)
		rc = verify_packed(&m, 1);
	if (rc == 0 && fido_cred_pin_minlen(m.cred) != 6)
		rc = fail("minPinLength output %zu for an allowed RP, want 6", fido_cred_pin_minlen(m.cred));
	fido_cred_free(&m.cred);
	return rc;
}

static int c_config_force_pin_change(void)
{
	NEED(dev != NULL && fido_dev_has_pin(dev));
	EXPECT_OK("fido_dev_force_pin_change", fido_dev_force_pin_change(dev, PIN3));
	uint64_t force = 0;
	if (info_u64(new_pin_required, &force))
		return -1;
	if (!force)
		return fail("getInfo forcePINChange is not true");
	fido_assert_t *a = NULL;
	int r = get(&a, RP_MAIN, &es256_rk, PIN3);
	fido_assert_free(&a);
	/* getPinUvAuthTokenUsingPinWithPermissions while a change is forced (§6.5.5.7.2). */
	EXPECT_ERR("getAssertion while a PIN change is forced", FIDO_ERR_PIN_POLICY_VIOLATION, r);
	EXPECT_OK("fido_dev_set_pin", fido_dev_set_pin(dev, PIN4, PIN3));
	if (info_u64(new_pin_required, &force))
		return -1;
	if (force)
		return fail("getInfo forcePINChange still true after changePIN");
	return 0;
}

static int c_config_always_uv(void)
{
	NEED(dev != NULL && fido_dev_has_pin(dev));
	const char *pin = PIN4;
	EXPECT_OK("fido_dev_toggle_always_uv", fido_dev_toggle_always_uv(dev, pin));
	struct made m = { 0 };
	int rc = make(&m, COSE_ES256, 0, RP_MAIN, "always-uv", 0, NULL);
	fido_cred_free(&m.cred);
	int r = FIDO_OK;
	if (rc == 0)
		rc = fail("makeCredential without UV succeeded under alwaysUv");
	else if (strstr(why, "FIDO_ERR_PIN_REQUIRED") == NULL)
		rc = fail("makeCredential without UV under alwaysUv: %s, want FIDO_ERR_PIN_REQUIRED (PUAT_REQUIRED)", why);
	else
		rc = 0;
	if ((r = fido_dev_toggle_always_uv(dev, pin)) != FIDO_OK && rc == 0)
		rc = fail_r("fido_dev_toggle_always_uv (off)", r);
	return rc;
}

/* The serialized large-blob array itself: after every blob is removed, the empty array (§6.10.2). */
static int c_large_blob_array(void)
{
	NEED(dev != NULL);
	unsigned char *cbor = NULL;
	size_t len = 0;
	EXPECT_OK("fido_dev_largeblob_get_array", fido_dev_largeblob_get_array(dev, &cbor, &len));
	int empty = len == 1 && cbor[0] == 0x80;
	free(cbor);
	if (!empty)
		return fail("the array is %zu bytes after every blob was removed, want the empty CBOR array", len);
	static const unsigned char ONE[] = { 0x81, 0x01 };
	EXPECT_OK("fido_dev_largeblob_set_array", fido_dev_largeblob_set_array(dev, ONE, sizeof(ONE), PIN2));
	EXPECT_OK("fido_dev_largeblob_get_array", fido_dev_largeblob_get_array(dev, &cbor, &len));
	int same = len == sizeof(ONE) && memcmp(cbor, ONE, len) == 0;
	free(cbor);
	if (!same)
		return fail("read back %zu bytes, not the array written", len);
	static const unsigned char EMPTY[] = { 0x80 };
	EXPECT_OK("fido_dev_largeblob_set_array", fido_dev_largeblob_set_array(dev, EMPTY, sizeof(EMPTY), PIN2));
	return 0;
}

static int c_reset(void)
{
	NEED(dev != NULL);
	/* authenticatorReset needs the window after power-up (CTAP 2.1 §6.6): power-cycle first. */
	if (power_cycle_and_reopen())
		return -1;
	EXPECT_OK("fido_dev_reset", fido_dev_reset(dev));
	if (open_device())
		return -1;
	if (fido_dev_has_pin(dev))
		return fail("clientPin is still true after reset");
	return 0;
}

static int c_reset_credentials_gone(void)
{
	NEED(dev != NULL && es256_plain.cred != NULL);
	fido_assert_t *a = NULL;
	int r = get(&a, RP_MAIN, NULL, NULL);
	EXPECT_ERR("discoverable getAssertion after reset", FIDO_ERR_NO_CREDENTIALS, r);
	r = get(&a, RP_MAIN, &es256_plain, NULL);
	fido_assert_free(&a);
	EXPECT_ERR("allow-list getAssertion after reset", FIDO_ERR_NO_CREDENTIALS, r);
	return 0;
}

static int c_usable_after_reset(void)
{
	NEED(dev != NULL);
	if (make(&es256_plain, COSE_ES256, 1, RP_MAIN, "after-reset", 0, NULL) || verify_packed(&es256_plain, 0))
		return -1;
	return assert_one(&es256_plain);
}

/* ---- ctap20 mode: a CTAP 2.0 key (PIN protocol 1, the legacy getPinToken) ----------------- */

static int c20_open(void)
{
	if (c_open())
		return -1;
	if (fido_dev_supports_permissions(dev) || fido_dev_supports_credman(dev))
		return fail("a CTAP 2.0 key shows pinUvAuthToken or credMgmt");
	return 0;
}

static int c20_get_info(void)
{
	NEED(dev != NULL);
	fido_cbor_info_t *ci = fido_cbor_info_new();
	int r = fido_dev_get_cbor_info(dev, ci), rc = 0;
	char **v = fido_cbor_info_versions_ptr(ci);
	size_t nv = fido_cbor_info_versions_len(ci);
	if (r != FIDO_OK)
		rc = fail_r("fido_dev_get_cbor_info", r);
	else if (!has_string(v, nv, "FIDO_2_0") || has_string(v, nv, "FIDO_2_1"))
		rc = fail("versions are not those of a CTAP 2.0 key");
	else if (fido_cbor_info_protocols_len(ci) != 1 || fido_cbor_info_protocols_ptr(ci)[0] != 1)
		rc = fail("pinUvAuthProtocols is not [1]");
	fido_cbor_info_free(&ci);
	return rc;
}

static int c20_make_rk(void)
{
	NEED(dev != NULL);
	if (make(&es256_rk, COSE_ES256, 1, RP_MAIN, "rk-es256", 0, NULL))
		return -1;
	return verify_packed(&es256_rk, 0);
}

static int c20_pin_required(void)
{
	NEED(dev != NULL && fido_dev_has_pin(dev));
	struct made m = { 0 };
	int r = new_cred(&m, COSE_ES256, 0, RP_MAIN, "no-pin") ? FIDO_ERR_INTERNAL : fido_dev_make_cred(dev, m.cred, NULL);
	fido_cred_free(&m.cred);
	/* CTAP 2.0 §5.1 step 9: with a PIN set and no pinAuth, CTAP2_ERR_PIN_REQUIRED. */
	EXPECT_ERR("makeCredential without pinAuth", FIDO_ERR_PIN_REQUIRED, r);
	return 0;
}

static int c20_make_with_pin(void)
{
	NEED(dev != NULL && fido_dev_has_pin(dev));
	if (make(&eddsa_rk, COSE_EDDSA, 1, RP_MAIN, "rk-eddsa", 0, PIN1))
		return -1;
	return verify_packed(&eddsa_rk, 1);
}

static int c20_assert_with_pin(void)
{
	NEED(es256_rk.cred != NULL && eddsa_rk.cred != NULL);
	EXPECT_OK("fido_dev_get_assert", get(&assertion, RP_MAIN, NULL, PIN1));
	if (fido_assert_count(assertion) != 2)
		return fail("%zu assertions, want 2", fido_assert_count(assertion));
	EXPECT_OK("set_uv", fido_assert_set_uv(assertion, FIDO_OPT_TRUE));
	for (size_t i = 0; i < 2; i++) {
		const struct made *m = same_id(assertion, i, &es256_rk) ? &es256_rk : &eddsa_rk;
		if (verify_assertion(assertion, i, m))
			return -1;
		const char *want = m == &es256_rk ? "rk-es256" : "rk-eddsa", *name = fido_assert_user_name(assertion, i);
		if (name == NULL || strcmp(name, want) != 0)
			return fail("assertion %zu user.name %s after UV, want %s", i, name ? name : "(none)", want);
	}
	return 0;
}

static int c20_pin_change(void)
{
	NEED(dev != NULL && fido_dev_has_pin(dev));
	EXPECT_OK("fido_dev_set_pin", fido_dev_set_pin(dev, PIN2, PIN1));
	fido_assert_t *a = NULL;
	int r = get(&a, RP_MAIN, &es256_rk, PIN1);
	fido_assert_free(&a);
	EXPECT_ERR("getAssertion with the old PIN", FIDO_ERR_PIN_INVALID, r);
	if (retries(7))
		return -1;
	EXPECT_OK("getAssertion with the new PIN", get(&assertion, RP_MAIN, &es256_rk, PIN2));
	EXPECT_OK("set_uv", fido_assert_set_uv(assertion, FIDO_OPT_TRUE));
	if (verify_assertion(assertion, 0, &es256_rk))
		return -1;
	return retries(8);
}

static int c20_reset(void)
{
	if (c_reset())
		return -1;
	fido_assert_t *a = NULL;
	int r = get(&a, RP_MAIN, NULL, NULL);
	fido_assert_free(&a);
	EXPECT_ERR("discoverable getAssertion after reset", FIDO_ERR_NO_CREDENTIALS, r);
	return 0;
}

/* ---- self mode ----------------------------------------------------------------------------- */

static int verify_self(struct made *m)
{
	if (strcmp(fido_cred_fmt(m->cred), "packed") != 0)
		return fail("fmt %s, want packed", fido_cred_fmt(m->cred));
	if (fido_cred_x5c_len(m->cred) != 0)
		return fail("self attestation carries an x5c");
	EXPECT_OK("fido_cred_verify_self", fido_cred_verify_self(m->cred));
	/* Without x5c the full verification has nothing to check the signature against. */
	if (fido_cred_verify(m->cred) == FIDO_OK)
		return fail("fido_cred_verify accepted a statement without x5c");
	return 0;
}

static int c_self_open(void) { return open_device(); }

static int c_self_es256(void)
{
	NEED(dev != NULL);
	if (make(&es256_plain, COSE_ES256, 0, RP_MAIN, "self-es256", 0, NULL))
		return -1;
	if (verify_self(&es256_plain))
		return -1;
	return assert_one(&es256_plain);
}

static int c_self_eddsa(void)
{
	NEED(dev != NULL);
	if (make(&eddsa_rk, COSE_EDDSA, 1, RP_MAIN, "self-eddsa", 0, NULL))
		return -1;
	if (verify_self(&eddsa_rk))
		return -1;
	return assert_one(&eddsa_rk);
}

/* ---- main ---------------------------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr, "usage: harness --device-port P --reply-port R [--mode full|ctap20|self]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *mode = "full";
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--device-port") == 0)
			device_port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--reply-port") == 0)
			reply_port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--mode") == 0)
			mode = argv[++i];
		else
			return usage();
	}
	if (device_port <= 0 || device_port > 65535 || reply_port <= 0 || reply_port > 65535)
		return usage();
	fido_init(0);

	if (strcmp(mode, "full") == 0) {
		check("open", c_open);
		check("getInfo", c_get_info);
		check("makeCredential.es256.verify", c_make_es256);
		check("makeCredential.eddsa.verify", c_make_eddsa);
		check("makeCredential.rs256.verify", c_make_rs256);
		check("makeCredential.es256.rk.verify", c_make_es256_rk);
		check("makeCredential.eddsa.rk.verify", c_make_eddsa_rk);
		check("makeCredential.excludeList", c_make_excluded);
		check("getAssertion.es256.verify", c_assert_es256);
		check("getAssertion.eddsa.verify", c_assert_eddsa);
		check("getAssertion.wrongKeyRejected", c_assert_wrong_key);
		check("getAssertion.rs256.verify", c_assert_rs256);
		check("getAssertion.discoverable.verify", c_assert_discoverable);
		check("getAssertion.unknownRp", c_assert_unknown_rp);
		check("touch.pinNotSet", c_touch);
		check("extension.hmacSecret", c_hmac_secret);
		check("extension.credProtect.uvRequired", c_cred_protect);
		check("extension.credBlob.makeCredential", c_cred_blob_make);
		check("extension.credBlob.getAssertion", c_cred_blob_get);
		check("u2f.register.verify", c_u2f_register);
		check("u2f.authenticate.verify", c_u2f_authenticate);
		check("u2f.authenticate.ctap2Credential", c_u2f_authenticate_ctap2_credential);
		check("u2f.authenticate.discoverableCtap2Credential", c_u2f_authenticate_discoverable);
		check("u2f.credentialOverCtap2", c_u2f_credential_over_ctap2);
		check("clientPin.set", c_pin_set);
		check("clientPin.setAgainRefused", c_pin_set_again);
		check("clientPin.change", c_pin_change);
		check("clientPin.changeWrongOldPin", c_pin_change_wrong_old);
		check("clientPin.oldPinRefused", c_pin_old_refused);
		check("getAssertion.pin.uv.verify", c_pin_assert);
		check("touch.pinSet", c_touch);
		check("extension.hmacSecret.withUv", c_hmac_secret_uv);
		check("makeCredential.pin.rk.largeBlobKey", c_pin_make_rk_large_blob_key);
		check("extension.credProtect.withPin", c_cred_protect_with_uv);
		check("credMgmt.metadata", c_credman_metadata);
		check("credMgmt.rps", c_credman_rps);
		check("credMgmt.rks", c_credman_rks);
		check("credMgmt.rks.extensions", c_credman_rk_extensions);
		check("credMgmt.updateUser", c_credman_update_user);
		check("credMgmt.delete", c_credman_delete);
		check("largeBlobs.set", c_large_blob_set);
		check("largeBlobs.get", c_large_blob_get);
		check("largeBlobs.remove", c_large_blob_remove);
		check("largeBlobs.multiFragment", c_large_blob_big);
		check("largeBlobs.array", c_large_blob_array);
		check("config.minPinLength", c_config_min_pin_length);
		check("config.shortPinRefused", c_config_short_pin_refused);
		check("config.pinChangeClearsForce", c_config_pin_change_clears_force);
		check("extension.minPinLength", c_config_min_pin_length_extension);
		check("config.forcePinChange", c_config_force_pin_change);
		check("config.alwaysUv", c_config_always_uv);
		check("reset.afterPowerCycle", c_reset);
		check("reset.credentialsGone", c_reset_credentials_gone);
		check("reset.usableAfter", c_usable_after_reset);
	} else if (strcmp(mode, "ctap20") == 0) {
		check("open", c20_open);
		check("getInfo", c20_get_info);
		check("makeCredential.rk.verify", c20_make_rk);
		check("extension.hmacSecret.pinProtocol1", c_hmac_secret);
		check("clientPin.set.pinProtocol1", c_pin_set);
		check("makeCredential.pinRequired", c20_pin_required);
		check("makeCredential.getPinToken.verify", c20_make_with_pin);
		check("getAssertion.getPinToken.verify", c20_assert_with_pin);
		check("clientPin.change.pinProtocol1", c20_pin_change);
		check("reset.afterPowerCycle", c20_reset);
	} else if (strcmp(mode, "self") == 0) {
		check("open", c_self_open);
		check("makeCredential.self.es256.verifySelf", c_self_es256);
		check("makeCredential.self.eddsa.rk.verifySelf", c_self_eddsa);
	} else {
		return usage();
	}

	fido_assert_free(&assertion);
	struct made *all[] = { &es256_plain, &eddsa_plain, &rs256_plain, &u2f_cred, &es256_rk, &eddsa_rk, &blob_rk,
		&hmac_cred, &prot_cred, &blob_cred };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		fido_cred_free(&all[i]->cred);
	if (dev != NULL) {
		fido_dev_close(dev);
		fido_dev_free(&dev);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
