/*
 * sha256.c - streaming SHA-256 over OpenSSL EVP, and hex encoding.
 *
 * A thin wrapper: libcrypto does the hashing (it picks SHA-NI or vector code
 * when the CPU has them), this file turns its 1/0 returns into deeplock
 * error codes and keeps the EVP types out of the public header.  Hex
 * decoding is strict (exactly 2n digits) because a digest with a stray
 * character is a different digest, not a typo to forgive.
 */
#include <string.h>

#include <openssl/evp.h>

#include "deeplock/hash.h"

int dl_sha256_init(dl_sha256 *h)
{
	if (h->ctx == NULL) {
		h->ctx = EVP_MD_CTX_new();
		if (h->ctx == NULL)
			return dl_error_oom();
	}
	if (EVP_DigestInit_ex((EVP_MD_CTX *)h->ctx, EVP_sha256(), NULL) != 1) {
		dl_sha256_dispose(h);
		return dl_error_set(DL_ERROR, "libcrypto cannot start a SHA-256 digest");
	}
	return 0;
}

int dl_sha256_update(dl_sha256 *h, const void *data, size_t len)
{
	if (h->ctx == NULL)
		return dl_error_set(DL_EINVAL, "SHA-256 digest updated before it was started");
	if (len == 0)
		return 0;
	if (EVP_DigestUpdate((EVP_MD_CTX *)h->ctx, data, len) != 1)
		return dl_error_set(DL_ERROR, "libcrypto failed to update a SHA-256 digest");
	return 0;
}

int dl_sha256_final(dl_sha256 *h, uint8_t out[DL_SHA256_LEN])
{
	if (h->ctx == NULL)
		return dl_error_set(DL_EINVAL, "SHA-256 digest finished before it was started");
	unsigned int n = 0;
	int ok = EVP_DigestFinal_ex((EVP_MD_CTX *)h->ctx, out, &n);
	dl_sha256_dispose(h);
	if (ok != 1 || n != DL_SHA256_LEN)
		return dl_error_set(DL_ERROR, "libcrypto failed to finish a SHA-256 digest");
	return 0;
}

void dl_sha256_dispose(dl_sha256 *h)
{
	if (h->ctx != NULL)
		EVP_MD_CTX_free((EVP_MD_CTX *)h->ctx);
	h->ctx = NULL;
}

int dl_sha256_hex(char out[DL_SHA256_HEX_LEN + 1], const void *data, size_t len)
{
	dl_sha256 h = DL_SHA256_INIT;
	uint8_t d[DL_SHA256_LEN];
	int rc = dl_sha256_init(&h);
	if (rc == 0)
		rc = dl_sha256_update(&h, data, len);
	if (rc == 0)
		rc = dl_sha256_final(&h, d);
	dl_sha256_dispose(&h);
	if (rc == 0)
		dl_hex_encode(out, d, sizeof d);
	return rc;
}

void dl_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hex_value(char c)
{
	if (dl_isdigit((unsigned char)c))
		return c - '0';
	int l = dl_tolower((unsigned char)c);
	if (l >= 'a' && l <= 'f')
		return l - 'a' + 10;
	return -1;
}

int dl_hex_decode(uint8_t *out, size_t n, const char *hex, size_t len)
{
	if (n > SIZE_MAX / 2 || len != 2 * n)
		return dl_error_set(DL_EPARSE, "hex string has %zu digits, expected %zu", len,
		                    n > SIZE_MAX / 2 ? (size_t)0 : 2 * n);
	for (size_t i = 0; i < n; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return dl_error_set(DL_EPARSE, "hex string: position %zu: expected a hex digit",
			                    hi < 0 ? 2 * i + 1 : 2 * i + 2);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

bool dl_sha256_hex_valid(const char *hex, size_t len)
{
	if (len != DL_SHA256_HEX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!dl_isxdigit((unsigned char)hex[i]))
			return false;
	return true;
}
