/**
 * Opens an RSA signature with a public key (the raw RSA operation, no padding checks) and reads
 * the encoded block inside. With the right key, a PKCS#1 v1.5 signature opens to
 * `00 01 FF…FF 00 DigestInfo` (RFC 8017 §9.2), which names the hash algorithm and holds the
 * digest of the signed text; a PSS block ends in `0xbc` (RFC 8017 §9.1.1); with any other key
 * the block is noise. This is what lets the doctor tell a wrong key from a wrong string.
 */
import { constants, publicDecrypt, type KeyObject } from 'node:crypto';

/** DER prefixes of DigestInfo for each hash (RFC 8017 §9.2, note 1). */
const DIGEST_INFO: Record<string, string> = {
  md5: '3020300c06082a864886f70d020505000410',
  sha1: '3021300906052b0e03021a05000414',
  sha224: '302d300d06096086480165030402040500041c',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

export type OpenedBlock =
  | { kind: 'pkcs1'; hash: string; digest: Buffer }
  /** PKCS#1 v1.5 padding around a bare digest, without DigestInfo (a "NONEwithRSA" signer). */
  | { kind: 'pkcs1-raw'; payload: Buffer }
  | { kind: 'pss' }
  | { kind: 'noise' };

/** The byte length of the key's modulus: 256 for a 2048-bit key. */
export function modulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

/** Applies the public key to the signature and classifies what comes out. */
export function openSignature(key: KeyObject, signature: Buffer): OpenedBlock {
  if (signature.length !== modulusBytes(key)) return { kind: 'noise' };

  let block: Buffer;
  try {
    block = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    // The signature is numerically larger than the modulus: it cannot be this key's.
    return { kind: 'noise' };
  }
  return classify(block);
}

function classify(block: Buffer): OpenedBlock {
  if (block[0] === 0x00 && block[1] === 0x01) {
    let index = 2;
    while (index < block.length && block[index] === 0xff) index += 1;
    if (index >= 10 && block[index] === 0x00) return pkcs1Payload(block.subarray(index + 1));
  }
  if (block[block.length - 1] === 0xbc && (block[0] ?? 0xff) < 0x80) return { kind: 'pss' };
  return { kind: 'noise' };
}

function pkcs1Payload(payload: Buffer): OpenedBlock {
  const hex = payload.toString('hex');
  for (const [hash, prefix] of Object.entries(DIGEST_INFO)) {
    if (hex.startsWith(prefix) && hex.length === prefix.length + 2 * digestLength(prefix)) {
      return { kind: 'pkcs1', hash, digest: payload.subarray(prefix.length / 2) };
    }
  }
  return { kind: 'pkcs1-raw', payload };
}

/** The last byte of a DigestInfo prefix is the digest's length. */
function digestLength(prefix: string): number {
  return parseInt(prefix.slice(-2), 16);
}
