/**
 * The asymmetric signature of the SNAP B2B token request: SHA256withRSA, that is
 * RSASSA-PKCS1-v1_5 with SHA-256, over `X-CLIENT-KEY + "|" + X-TIMESTAMP`, sent as standard
 * base64 in X-SIGNATURE (DOKU page, "Request Header Explanation (X-Signature)").
 *
 * PKCS#1 v1.5 is deterministic: one key and one stringToSign give exactly one signature,
 * which is what lets the tests compare against signatures made by openssl.
 */
import { constants, sign, verify, type KeyObject } from 'node:crypto';

/** The header values exactly as sent, joined by `|`: no trimming, no re-formatting. */
export function stringToSign(clientId: string, timestamp: string): string {
  return `${clientId}|${timestamp}`;
}

/** Signs a token request; the result goes into X-SIGNATURE unchanged. */
export function signToken(privateKey: KeyObject, clientId: string, timestamp: string): string {
  const data = Buffer.from(stringToSign(clientId, timestamp), 'utf8');
  return sign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PADDING }).toString(
    'base64',
  );
}

/**
 * True only when `signature` is the standard-base64 PKCS#1 v1.5 SHA-256 signature of the
 * stringToSign. Garbage of any kind is a `false`, never an exception: the value comes
 * straight from a request header. Padding is pinned to PKCS#1 v1.5 so that a PSS signature,
 * valid for the same key, is refused as SNAP providers refuse it.
 */
export function verifyToken(
  publicKey: KeyObject,
  clientId: string,
  timestamp: string,
  signature: string,
): boolean {
  const bytes = decodeBase64Strict(signature);
  if (bytes === undefined || bytes.length !== modulusBytes(publicKey)) return false;

  const data = Buffer.from(stringToSign(clientId, timestamp), 'utf8');
  try {
    return verify('sha256', data, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, bytes);
  } catch {
    return false;
  }
}

const modulusCache = new WeakMap<KeyObject, number>();

/**
 * An RSA signature is exactly as long as the modulus; 256 bytes for a 2048-bit key. Cached per
 * key: `asymmetricKeyDetails` builds a new object on every read, a measurable share of a
 * verification on the provider's hot path.
 */
function modulusBytes(key: KeyObject): number {
  let bytes = modulusCache.get(key);
  if (bytes === undefined) {
    bytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    modulusCache.set(key, bytes);
  }
  return bytes;
}

/**
 * Decodes standard base64 (RFC 4648 §4) with padding, or returns undefined. Node's own
 * decoder silently accepts base64url, whitespace, missing padding and stray characters;
 * a value is accepted here only if re-encoding it gives the same text back, which rules
 * all of those out, and non-zero spare bits in the last character as well. An empty
 * string is undefined too: no field snapcheck decodes may be empty.
 */
export function decodeBase64Strict(value: string): Buffer | undefined {
  if (value.length === 0 || value.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.toString('base64') === value ? bytes : undefined;
}
