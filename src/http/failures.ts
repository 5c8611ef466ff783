/**
 * What went wrong below HTTP, in words a user can act on. Refused connections, certificate and
 * scheme problems are configuration: the URL, the trust store or the port is wrong, and no case
 * can be judged until it is fixed (the battery then reports the target unreachable, exit 3). A
 * reset or an answer that is not HTTP is the provider's doing, and a finding against it.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';

import type { TransportFailure } from '../types.js';

/** Where a connection went: its address and port, as the socket saw them. */
export interface Peer {
  address: string;
  port: number;
}

/** Socket errors that mean no connection was made: the target is unreachable. */
export const CONNECT_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/** Certificates no CA in Node's trust store vouches for: a private CA, a self-signed test one. */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'INVALID_CA',
]);

/** The chain is fine but the certificate is outside its validity dates. */
const OUT_OF_DATE = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** The certificate is for another host. */
const WRONG_NAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);

/** Other verification failures OpenSSL reports by name (RFC 5280 path validation). */
const REFUSED_CERTIFICATE = new Set([
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_REJECTED',
]);

/** OpenSSL's words for a TLS client that met a peer speaking plain HTTP. */
const PLAIN_HTTP_REPLY = /wrong version number|packet length too long|unknown protocol/i;

/** The scheme the URL names does not match what the port speaks. */
export function schemeRefusal(target: URL, speaks: 'http' | 'https'): TransportFailure {
  const named = target.protocol.replace(':', '');
  return {
    kind: 'tls',
    message:
      `${target.host} speaks ${speaks === 'https' ? 'TLS' : 'plain HTTP'} on this port, ` +
      `but the URL says ${named}://: use ${speaks}://${target.host}`,
  };
}

function certificateFailure(code: string, error: Error, target: URL): TransportFailure | undefined {
  const said = `${code}: ${error.message}`;
  if (UNTRUSTED.has(code)) {
    const chain = /LEAF|ISSUER/.test(code)
      ? ', or the provider does not send its intermediate certificates'
      : '';
    return {
      kind: 'tls',
      message:
        `the certificate of ${target.host} is not trusted (${said}): it is self-signed or ` +
        `issued by a private CA${chain}. To trust that CA, run with ` +
        'NODE_EXTRA_CA_CERTS=/path/to/ca.pem',
    };
  }
  if (OUT_OF_DATE.has(code)) {
    return {
      kind: 'tls',
      message:
        `the certificate of ${target.host} is outside its validity dates (${said}): check this ` +
        "machine's clock, or have the provider renew the certificate",
    };
  }
  if (WRONG_NAME.has(code)) {
    return {
      kind: 'tls',
      message:
        `the certificate is not issued for ${target.hostname} (${said}): use the host name ` +
        'the certificate names in the URL',
    };
  }
  if (REFUSED_CERTIFICATE.has(code)) {
    return { kind: 'tls', message: `the certificate of ${target.host} was refused (${said})` };
  }
  return undefined;
}

/** A TLS record (handshake 0x16 or alert 0x15, version 3.x) where an HTTP status line belongs. */
function looksLikeTls(packet: unknown): boolean {
  return Buffer.isBuffer(packet) && (packet[0] === 0x15 || packet[0] === 0x16) && packet[1] === 3;
}

/** Names the failure of a request that got no complete answer. */
export function classifyError(error: NodeJS.ErrnoException, target: URL): TransportFailure {
  const code = error.code ?? '';
  if (CONNECT_ERRORS.has(code)) {
    return { kind: 'connect', message: `cannot connect to ${target.host}: ${code}` };
  }

  const certificate = certificateFailure(code, error, target);
  if (certificate) return certificate;

  if (target.protocol === 'https:' && PLAIN_HTTP_REPLY.test(error.message)) {
    return schemeRefusal(target, 'http');
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') {
    return {
      kind: 'tls',
      message: `the TLS handshake with ${target.host} failed (${code}: ${error.message})`,
    };
  }

  if (code.startsWith('HPE_')) {
    const packet = (error as { rawPacket?: unknown }).rawPacket;
    if (target.protocol === 'http:' && looksLikeTls(packet)) return schemeRefusal(target, 'https');
    return {
      kind: 'protocol',
      message: `the answer is not valid HTTP (${code}: ${error.message})`,
    };
  }

  return {
    kind: 'reset',
    message: `the connection failed before a complete answer: ${code || error.message}`,
  };
}

/**
 * Whether `peer` completes a TLS handshake. A server that speaks TLS often just drops a
 * plain-HTTP request, which looks like a crash; one handshake (certificate not checked: only
 * the protocol is in question) tells the two apart. Same address and port, nothing else.
 */
export function speaksTls(peer: Peer, hostname: string, limitMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: peer.address,
      port: peer.port,
      rejectUnauthorized: false,
      // SNI takes a host name only (RFC 6066 §3).
      ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
    });
    let settled = false;
    const done = (answer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), limitMs);
    socket.once('secureConnect', () => done(true));
    // `on`, not `once`: a second error after the first must not go unhandled.
    socket.on('error', () => done(false));
  });
}
