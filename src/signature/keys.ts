/**
 * Reading the RSA keys that SNAP's asymmetric signature uses: the client's private key (to
 * sign a token request) and its public key (to verify one).
 *
 * Keys reach snapcheck the way merchants paste them: from environment variables with literal
 * `\n`, from indented template literals, from Windows files, quoted, on one line, without
 * their BEGIN/END lines. Each such mangling is repaired and reported, so a user learns why
 * another tool refuses the same key. Each key is parsed once into a `KeyObject`: verifying
 * with a pre-parsed key is several times faster than handing Node a PEM string each time.
 *
 * The DER structure, not the PEM label, decides how a key is read: a label is often edited
 * by hand, and OpenSSL reads some mislabelled bodies anyway, which would hide the mistake.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  KeyObject,
  X509Certificate,
} from 'node:crypto';

import { KeyError } from '../errors.js';
import { readRegularFile } from '../io.js';

/** What was wrong with a pasted key and has been put right. */
export type KeyRepairKind =
  | 'utf16'
  | 'bom'
  | 'der'
  | 'surrounding-whitespace'
  | 'quoted'
  | 'literal-newlines'
  | 'crlf'
  | 'indented'
  | 'trailing-whitespace'
  | 'single-line-body'
  | 'rewrapped'
  | 'missing-armor'
  | 'mislabelled'
  | 'extra-text'
  | 'extra-blocks';

/** One repair made while reading a key; `message` is a sentence for the user. */
export interface KeyRepair {
  kind: KeyRepairKind;
  message: string;
}

/** How a private key was stored; `encrypted-pkcs1` is OpenSSL's legacy `Proc-Type` form. */
export type PrivateKeyFormat = 'pkcs8' | 'pkcs1' | 'encrypted-pkcs8' | 'encrypted-pkcs1';

/**
 * How a public key was stored: `certificate` is an X.509 certificate holding it,
 * `private-key` a private key whose public half is used (accepted with a warning).
 */
export type PublicKeyFormat = 'spki' | 'pkcs1' | 'certificate' | 'private-key';

export interface LoadedPrivateKey {
  key: KeyObject;
  publicKey: KeyObject;
  format: PrivateKeyFormat;
  bits: number;
  fingerprint: string;
  repairs: KeyRepair[];
  warnings: string[];
}

export interface LoadedPublicKey {
  key: KeyObject;
  format: PublicKeyFormat;
  bits: number;
  fingerprint: string;
  repairs: KeyRepair[];
  warnings: string[];
}

export interface PrivateKeyOptions {
  /** Needed for `BEGIN ENCRYPTED PRIVATE KEY` and legacy encrypted PKCS#1 keys. */
  passphrase?: string;
  /** Where the key came from, named in error messages, e.g. `$SNAP_PRIVATE_KEY`. */
  source?: string;
}

export interface PublicKeyOptions {
  /** Where the key came from, named in error messages, e.g. `--public-key`. */
  source?: string;
}

/** SNAP providers issue and expect 2048-bit RSA keys; shorter ones are refused by many. */
const MIN_BITS = 2048;

/** RFC 7468 §2: generators wrap the base64 body at exactly 64 characters. */
const PEM_WIDTH = 64;

/** A key file larger than this is a wrong path (a log, an archive), not a key. */
const MAX_KEY_FILE_BYTES = 1024 * 1024;

const REPAIR_MESSAGES: Record<KeyRepairKind, (detail: string) => string> = {
  utf16: () => 'decoded UTF-16 text (typical of a file written by Windows PowerShell redirection)',
  bom: () => 'removed a byte-order mark at the start (typical of a file saved by Windows Notepad)',
  der: (format) => `read the key as binary DER (${format}) rather than PEM text`,
  'surrounding-whitespace': () => 'removed whitespace before and after the key',
  quoted: () => 'removed the quotes around the key (typical of a value copied from .env or JSON)',
  'literal-newlines': () =>
    'replaced literal \\n sequences with newlines (typical of a key pasted into an ' +
    'environment variable)',
  crlf: () => 'converted CRLF line endings to LF (typical of a file saved on Windows)',
  indented: () =>
    'removed indentation in front of lines (typical of a key written in an indented ' +
    'template literal)',
  'trailing-whitespace': () => 'removed spaces and tabs at the ends of lines',
  'single-line-body': () => 'the key was on one line: split its base64 body into 64-column lines',
  rewrapped: (width) => `re-wrapped the base64 body from ${width} to 64 columns (RFC 7468)`,
  'missing-armor': (format) => `the key had no BEGIN/END lines: read the bare base64 as ${format}`,
  mislabelled: (detail) => detail,
  'extra-text': () => 'ignored text outside the PEM block',
  'extra-blocks': (labels) => `ignored other PEM blocks in the same input (${labels})`,
};

function repair(kind: KeyRepairKind, detail = ''): KeyRepair {
  return { kind, message: REPAIR_MESSAGES[kind](detail) };
}

// ---- what a PEM label claims ------------------------------------------------------------

type LabelRole = 'private' | 'public' | 'not-rsa' | 'unsupported';

interface LabelInfo {
  role: LabelRole;
  /** How to fix it, for roles snapcheck refuses. */
  hint?: string;
}

const LABELS: Record<string, LabelInfo> = {
  'PRIVATE KEY': { role: 'private' },
  'RSA PRIVATE KEY': { role: 'private' },
  'ENCRYPTED PRIVATE KEY': { role: 'private' },
  'PUBLIC KEY': { role: 'public' },
  'RSA PUBLIC KEY': { role: 'public' },
  CERTIFICATE: { role: 'public' },
  'EC PRIVATE KEY': { role: 'not-rsa' },
  'DSA PRIVATE KEY': { role: 'not-rsa' },
  'OPENSSH PRIVATE KEY': {
    role: 'unsupported',
    hint: 'convert it with `ssh-keygen -p -m PKCS8 -f <file>`',
  },
};

function labelInfo(label: string | undefined): LabelInfo {
  if (label === undefined) return { role: 'private' };
  return LABELS[label] ?? { role: 'unsupported', hint: 'pass an RSA key in PEM form' };
}

// ---- what the DER body actually holds ---------------------------------------------------

/** The key structures told apart by the ASN.1 tags of their outer SEQUENCE's children. */
type DerShape =
  | 'pkcs8'
  | 'pkcs1'
  | 'encrypted-pkcs8'
  | 'spki'
  | 'pkcs1-public'
  | 'certificate'
  | 'truncated'
  | 'trailing-bytes'
  | 'unknown';

const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const SEQUENCE = 0x30;

interface Tlv {
  tag: number;
  contentStart: number;
  end: number;
}

/** Reads one DER tag-length header; lengths up to 4 bytes cover any key. */
function readTlv(der: Buffer, offset: number): Tlv | undefined {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined) return undefined;
  if (first < 0x80) return { tag, contentStart: offset + 2, end: offset + 2 + first };

  const count = first & 0x7f;
  if (count === 0 || count > 4) return undefined;
  let length = 0;
  for (let i = 0; i < count; i += 1) {
    const byte = der[offset + 2 + i];
    if (byte === undefined) return undefined;
    length = length * 256 + byte;
  }
  return { tag, contentStart: offset + 2 + count, end: offset + 2 + count + length };
}

/** Tags of the direct children of `outer`, or undefined if a child overruns it. */
function childTags(der: Buffer, outer: Tlv): number[] | undefined {
  const tags: number[] = [];
  let offset = outer.contentStart;
  while (offset < outer.end) {
    const child = readTlv(der, offset);
    if (child === undefined || child.end > outer.end) return undefined;
    tags.push(child.tag);
    offset = child.end;
  }
  return tags;
}

/** Names the structure of a DER body without trusting any label around it. */
function sniffDer(der: Buffer): DerShape {
  const outer = readTlv(der, 0);
  if (outer === undefined || outer.tag !== SEQUENCE) return 'unknown';
  if (outer.end > der.length) return 'truncated';
  if (outer.end < der.length) return 'trailing-bytes';

  const tags = childTags(der, outer);
  if (tags === undefined) return 'unknown';
  return shapeOfChildren(tags);
}

function shapeOfChildren(tags: number[]): DerShape {
  const [first, second, third] = tags;
  if (first === INTEGER && second === SEQUENCE && third === OCTET_STRING) return 'pkcs8';
  if (tags.length >= 9 && tags.every((tag) => tag === INTEGER)) return 'pkcs1';
  if (tags.length === 2 && first === INTEGER && second === INTEGER) return 'pkcs1-public';
  if (tags.length === 2 && first === SEQUENCE && second === OCTET_STRING) {
    return 'encrypted-pkcs8';
  }
  if (tags.length === 2 && first === SEQUENCE && second === BIT_STRING) return 'spki';
  if (tags.length === 3 && first === SEQUENCE && third === BIT_STRING) return 'certificate';
  return 'unknown';
}

/** What each shape is called in messages, and the label that would announce it. */
const SHAPE_NAMES: Record<string, { name: string; label: string }> = {
  pkcs8: { name: 'PKCS#8', label: 'PRIVATE KEY' },
  pkcs1: { name: 'PKCS#1', label: 'RSA PRIVATE KEY' },
  'encrypted-pkcs8': { name: 'encrypted PKCS#8', label: 'ENCRYPTED PRIVATE KEY' },
  spki: { name: 'SPKI', label: 'PUBLIC KEY' },
  'pkcs1-public': { name: 'PKCS#1 public', label: 'RSA PUBLIC KEY' },
  certificate: { name: 'X.509 certificate', label: 'CERTIFICATE' },
};

// ---- from pasted text to PEM blocks -----------------------------------------------------

interface PemBlock {
  /** Undefined when the input had no armor (bare base64 or binary DER). */
  label: string | undefined;
  /** RFC 1421 headers (`Proc-Type`, `DEK-Info`) of a legacy encrypted PKCS#1 key. */
  headers: string[];
  der: Buffer;
}

interface KeyInput {
  blocks: RawBlock[];
  armor: 'pem' | 'bare-base64' | 'der';
  repairs: KeyRepair[];
}

interface RawBlock {
  label: string | undefined;
  /** The text between BEGIN and END, or the whole bare base64. */
  inner: string;
  der?: Buffer;
}

const BLOCK =
  /-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+)*)-----([\s\S]*?)-----END ([A-Z0-9]+(?: [A-Z0-9]+)*)-----/g;

/** Turns whatever was pasted into PEM blocks (or one unarmored body), noting repairs. */
function readKeyInput(input: string | Buffer, subject: string): KeyInput {
  const repairs: KeyRepair[] = [];
  if (Buffer.isBuffer(input) && looksLikeDer(input)) {
    return { blocks: [{ label: undefined, inner: '', der: input }], armor: 'der', repairs };
  }

  const text = cleanText(decodeText(input, repairs), repairs);
  if (!text.includes('-----BEGIN ')) {
    return { blocks: [{ label: undefined, inner: text }], armor: 'bare-base64', repairs };
  }
  return { blocks: splitBlocks(text, subject, repairs), armor: 'pem', repairs };
}

/** A DER key starts with a SEQUENCE whose length takes 1 to 4 further bytes. */
function looksLikeDer(input: Buffer): boolean {
  const second = input[1];
  return input[0] === SEQUENCE && second !== undefined && second >= 0x81 && second <= 0x84;
}

function decodeText(input: string | Buffer, repairs: KeyRepair[]): string {
  if (typeof input === 'string') return input;
  if (input[0] === 0xff && input[1] === 0xfe) {
    repairs.push(repair('utf16'));
    return input.subarray(2).toString('utf16le');
  }
  return input.toString('utf8');
}

/** Undoes the common ways a PEM is mangled on its way into a variable or a file. */
function cleanText(raw: string, repairs: KeyRepair[]): string {
  let text = raw;
  if (text.startsWith('\uFEFF')) {
    repairs.push(repair('bom'));
    text = text.slice(1);
  }
  text = stripSurrounding(text, repairs);
  text = expandLiteralNewlines(text, repairs);
  text = normaliseLineEnds(text, repairs);
  return trimLines(text, repairs);
}

/**
 * True when whitespace surrounds the key beyond the final newline every file ends with:
 * leading whitespace, blank lines after it, or spaces after its last newline.
 */
function wasPadded(original: string, trimmed: string): boolean {
  if (original.length === trimmed.length) return false;
  if (/^\s/.test(original)) return true;
  const after = original.slice(original.trimEnd().length);
  return /\n[^\n]*\n/.test(after) || /\n[ \t]+$/.test(after);
}

function stripSurrounding(text: string, repairs: KeyRepair[]): string {
  let inner = text.trim();
  let padded = wasPadded(text, inner);
  const quote = inner[0];
  const quoted =
    inner.length >= 2 && quote !== undefined && `"'\``.includes(quote) && inner.endsWith(quote);
  if (quoted) {
    const unquoted = inner.slice(1, -1);
    inner = unquoted.trim();
    padded ||= wasPadded(unquoted, inner);
  }

  if (padded) repairs.push(repair('surrounding-whitespace'));
  if (quoted) repairs.push(repair('quoted'));
  return inner;
}

function expandLiteralNewlines(text: string, repairs: KeyRepair[]): string {
  if (!/\\[nr]/.test(text)) return text;
  repairs.push(repair('literal-newlines'));
  return text.replace(/\\r\\n|\\n|\\r/g, '\n');
}

function normaliseLineEnds(text: string, repairs: KeyRepair[]): string {
  if (!text.includes('\r')) return text;
  repairs.push(repair('crlf'));
  return text.replace(/\r\n?/g, '\n');
}

/** Strips indentation and trailing blanks; only lines of the key itself are reported. */
function trimLines(text: string, repairs: KeyRepair[]): string {
  const lines = keyRegion(text).split('\n');
  const indented = lines.some((line) => /^[ \t]+\S/.test(line));
  const trailing = lines.some((line) => /\S[ \t]+$/.test(line));
  if (indented) repairs.push(repair('indented'));
  if (trailing) repairs.push(repair('trailing-whitespace'));
  return text
    .split('\n')
    .map((line) => line.trim())
    .join('\n');
}

/** From the start of the first BEGIN line to the end of the last END line, if any. */
function keyRegion(text: string): string {
  const begin = text.indexOf('-----BEGIN ');
  if (begin === -1) return text;
  const end = text.indexOf('\n', text.lastIndexOf('-----END '));
  return text.slice(text.lastIndexOf('\n', begin) + 1, end === -1 ? undefined : end);
}

function splitBlocks(text: string, subject: string, repairs: KeyRepair[]): RawBlock[] {
  const blocks: RawBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, begin, inner = '', end] = match;
    if (inner.includes('-----BEGIN ')) throw cutOff(subject);
    if (begin !== end) {
      throw new KeyError(
        'ERR_KEY_CORRUPT',
        `${subject} starts with BEGIN ${begin} but ends with END ${end}: ` +
          'copy the key again from its original file',
      );
    }
    blocks.push({ label: begin, inner });
  }

  const outside = text.replace(BLOCK, '');
  if (outside.includes('-----BEGIN ')) throw cutOff(subject);
  if (/\S/.test(outside)) repairs.push(repair('extra-text'));
  return blocks;
}

function cutOff(subject: string): KeyError {
  return new KeyError(
    'ERR_KEY_CORRUPT',
    `${subject} has a BEGIN line without its END line: the key was cut off when copied; ` +
      'copy the whole file',
  );
}

/** Decodes the base64 body of a block, keeping headers and noting re-wrapping. */
function readBody(block: RawBlock, subject: string, repairs: KeyRepair[]): PemBlock {
  if (block.der !== undefined) return { label: block.label, headers: [], der: block.der };

  const { headers, body } = splitHeaders(block.inner);
  const chunks = body.split(/\s+/).filter((chunk) => chunk !== '');
  const base64 = chunks.join('');
  checkBase64(base64, subject);
  if (block.label !== undefined) noteLayout(block.inner, chunks, repairs);
  return { label: block.label, headers, der: Buffer.from(base64, 'base64') };
}

/** RFC 1421 headers (`Name: value`) end at the first blank line. */
function splitHeaders(inner: string): { headers: string[]; body: string } {
  const lines = inner.replace(/^\n+/, '').split('\n');
  if (!/^[A-Za-z-]+:/.test(lines[0] ?? '')) return { headers: [], body: inner };

  const blank = lines.indexOf('');
  const split = blank === -1 ? lines.length : blank;
  return { headers: lines.slice(0, split), body: lines.slice(split).join('\n') };
}

function checkBase64(base64: string, subject: string): void {
  const problem = base64Problem(base64);
  if (problem === undefined) return;
  throw new KeyError('ERR_KEY_CORRUPT', `${subject} ${problem}: copy the key again from its file`);
}

/** Names what keeps a PEM body from being base64; positions and characters are not shown. */
function base64Problem(base64: string): string | undefined {
  if (base64 === '') return 'has an empty body';
  if (/[-_]/.test(base64)) return 'uses base64url characters (- or _) in its body';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return 'has non-base64 characters in its body';
  if (base64.length % 4 !== 0) {
    return `has a base64 body of ${base64.length} characters, not a multiple of 4`;
  }
  return undefined;
}

function noteLayout(inner: string, chunks: string[], repairs: KeyRepair[]): void {
  const first = chunks[0] ?? '';
  if (!inner.includes('\n') || (chunks.length === 1 && first.length > PEM_WIDTH)) {
    repairs.push(repair('single-line-body'));
    return;
  }
  const last = chunks.length - 1;
  const canonical = chunks.every((chunk, i) =>
    i === last ? chunk.length <= PEM_WIDTH : chunk.length === PEM_WIDTH,
  );
  if (!canonical) repairs.push(repair('rewrapped', String(first.length)));
}

// ---- choosing the block ---------------------------------------------------------------

/** Picks the first block of the wanted role; notes any other blocks that were skipped. */
function pickBlock(
  input: KeyInput,
  role: 'private' | 'public',
): { block: RawBlock; others: RawBlock[] } | undefined {
  const index = input.blocks.findIndex((block) => labelInfo(block.label).role === role);
  const block = input.blocks[index];
  if (block === undefined) return undefined;
  return { block, others: input.blocks.filter((_, i) => i !== index) };
}

function noteOthers(others: RawBlock[], repairs: KeyRepair[]): void {
  if (others.length === 0) return;
  repairs.push(repair('extra-blocks', others.map((other) => other.label ?? '?').join(', ')));
}

/** Throws the error that explains why the input holds no RSA key block at all. */
function refuseBlocks(input: KeyInput, subject: string): never {
  const label = input.blocks[0]?.label ?? '';
  const info = labelInfo(label);
  if (info.role === 'not-rsa') throw notRsa(subject, `a BEGIN ${label} key`);
  throw new KeyError(
    'ERR_KEY_UNSUPPORTED_FORMAT',
    `${subject} is a BEGIN ${label} block, which snapcheck cannot read: ${info.hint ?? ''}`,
  );
}

// ---- errors ---------------------------------------------------------------------------

function isPublic(subject: string, what: string): KeyError {
  return new KeyError(
    'ERR_KEY_IS_PUBLIC',
    `${subject} is a public key (${what}): signing needs the private key of the pair ` +
      '(BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)',
  );
}

function isPrivate(subject: string): KeyError {
  return new KeyError(
    'ERR_KEY_IS_PRIVATE',
    `${subject} is an encrypted private key: pass the public key instead ` +
      '(`openssl pkey -in <file> -pubout`)',
  );
}

function notRsa(subject: string, what: string): KeyError {
  return new KeyError(
    'ERR_KEY_NOT_RSA',
    `${subject} is ${what}, but SNAP signs with RSA: generate one with ` +
      '`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`',
  );
}

function corrupt(subject: string, shape: DerShape): KeyError {
  const reasons: Partial<Record<DerShape, string>> = {
    truncated: 'its body is shorter than its own header says: the key was cut off',
    'trailing-bytes': 'its body has extra bytes after the key: it was edited or joined',
  };
  const reason = reasons[shape] ?? 'its body decodes but is not an RSA key';
  return new KeyError(
    'ERR_KEY_CORRUPT',
    `${subject} is damaged (${reason}): copy the key again from its original file`,
  );
}

/** The error for input without any PEM block that is not a bare base64 key either. */
function notPem(text: string, subject: string, wanted: 'private' | 'public'): KeyError {
  if (text === '') {
    return new KeyError('ERR_KEY_NOT_PEM', `${subject} is empty: pass the PEM text of the key`);
  }
  if (/^ssh-(rsa|ed25519|dss) /.test(text)) {
    if (wanted === 'private') return isPublic(subject, 'an OpenSSH public key');
    return new KeyError(
      'ERR_KEY_UNSUPPORTED_FORMAT',
      `${subject} is an OpenSSH public key: convert it with \`ssh-keygen -e -m PKCS8 -f <file>\``,
    );
  }
  if (!text.includes('\n') && /^(\.{0,2}\/|~\/|[A-Za-z]:\\)|\.(pem|key|crt|der)$/.test(text)) {
    return new KeyError(
      'ERR_KEY_NOT_PEM',
      `${subject} looks like a file path, not key text: read the file and pass its contents`,
    );
  }
  const begin = wanted === 'private' ? 'BEGIN PRIVATE KEY' : 'BEGIN PUBLIC KEY';
  return new KeyError(
    'ERR_KEY_NOT_PEM',
    `${subject} is not a PEM key: expected text starting with -----${begin}-----`,
  );
}

// ---- decoding -------------------------------------------------------------------------

/** Decodes an unarmored input, or explains what it is instead. */
function readBareBody(input: KeyInput, subject: string, wanted: 'private' | 'public'): PemBlock {
  const block = input.blocks[0] ?? { label: undefined, inner: '' };
  const looksBase64 = /^[A-Za-z0-9+/=\s]+$/.test(block.inner) && block.inner.length >= 64;
  if (input.armor === 'bare-base64' && !looksBase64) throw notPem(block.inner, subject, wanted);

  const body = readBody(block, subject, input.repairs);
  if (sniffDer(body.der) !== 'unknown') return body;
  throw new KeyError(
    'ERR_KEY_NOT_PEM',
    `${subject} has no BEGIN line and its content is not an RSA key in any known form: ` +
      'pass the PEM file as the provider issued it',
  );
}

function shapeName(shape: DerShape): string {
  return SHAPE_NAMES[shape]?.name ?? shape;
}

/** Notes how the key was found when it had no PEM label, or a label its body contradicts. */
function noteShape(input: KeyInput, block: PemBlock, shape: DerShape): void {
  if (input.armor === 'der') input.repairs.push(repair('der', shapeName(shape)));
  else if (input.armor === 'bare-base64') {
    input.repairs.push(repair('missing-armor', shapeName(shape)));
  } else if (block.label !== undefined && !labelMatches(block, shape)) {
    const detail =
      `the block is labelled BEGIN ${block.label} but holds a ${shapeName(shape)} key: ` +
      `read it as ${shapeName(shape)}`;
    input.repairs.push(repair('mislabelled', detail));
  }
}

function labelMatches(block: PemBlock, shape: DerShape): boolean {
  if (isLegacyEncrypted(block)) return true;
  return SHAPE_NAMES[shape]?.label === block.label;
}

/** OpenSSL's traditional encryption keeps `BEGIN RSA PRIVATE KEY` and adds headers. */
function isLegacyEncrypted(block: PemBlock): boolean {
  return block.headers.some((header) => /^Proc-Type:\s*4,\s*ENCRYPTED/i.test(header));
}

function toPem(block: PemBlock): string {
  const lines = block.der.toString('base64').match(/.{1,64}/g) ?? [];
  const head = block.headers.length > 0 ? [...block.headers, ''] : [];
  const label = block.label ?? 'RSA PRIVATE KEY';
  return [`-----BEGIN ${label}-----`, ...head, ...lines, `-----END ${label}-----`, ''].join('\n');
}

interface DecodedPrivate {
  key: KeyObject;
  format: PrivateKeyFormat;
}

function decodePrivate(
  block: PemBlock,
  shape: DerShape,
  passphrase: string | undefined,
  subject: string,
): DecodedPrivate {
  if (isLegacyEncrypted(block)) {
    const key = decrypt(subject, passphrase, (pass) =>
      createPrivateKey({ key: toPem(block), format: 'pem', passphrase: pass }),
    );
    return { key, format: 'encrypted-pkcs1' };
  }
  if (shape === 'encrypted-pkcs8') {
    const key = decrypt(subject, passphrase, (pass) =>
      createPrivateKey({ key: block.der, format: 'der', type: 'pkcs8', passphrase: pass }),
    );
    return { key, format: 'encrypted-pkcs8' };
  }
  if (shape === 'pkcs8' || shape === 'pkcs1') {
    return { key: parseOrCorrupt(() => privateFromDer(block.der, shape), subject), format: shape };
  }
  if (shape in SHAPE_NAMES) throw isPublic(subject, shapeName(shape));
  throw corrupt(subject, shape);
}

function privateFromDer(der: Buffer, type: 'pkcs8' | 'pkcs1'): KeyObject {
  return createPrivateKey({ key: der, format: 'der', type });
}

/** Runs the decryption; the outer structure is already known to be intact. */
function decrypt(
  subject: string,
  passphrase: string | undefined,
  open: (passphrase: string) => KeyObject,
): KeyObject {
  if (passphrase === undefined || passphrase === '') {
    throw new KeyError(
      'ERR_KEY_PASSPHRASE_REQUIRED',
      `${subject} is encrypted: give its passphrase, or decrypt it once with ` +
        '`openssl pkey -in <file> -out <new file>`',
    );
  }
  try {
    return open(passphrase);
  } catch (cause) {
    // PBES2 has no integrity check, so a wrong passphrase and a damaged ciphertext look
    // alike; the outer structure parsed, so the passphrase is far the likelier culprit.
    const error = new KeyError(
      'ERR_KEY_BAD_PASSPHRASE',
      `cannot decrypt ${subject}: the passphrase is wrong (or the encrypted body is damaged)`,
    );
    error.cause = cause;
    throw error;
  }
}

function parseOrCorrupt(parse: () => KeyObject, subject: string): KeyObject {
  try {
    return parse();
  } catch (cause) {
    const error = corrupt(subject, 'unknown');
    error.cause = cause;
    throw error;
  }
}

/** How each public shape is read; the key is taken from a certificate without checks. */
const PUBLIC_READERS: Partial<
  Record<DerShape, { format: PublicKeyFormat; read: (der: Buffer) => KeyObject }>
> = {
  spki: {
    format: 'spki',
    read: (der) => createPublicKey({ key: der, format: 'der', type: 'spki' }),
  },
  'pkcs1-public': {
    format: 'pkcs1',
    read: (der) => createPublicKey({ key: der, format: 'der', type: 'pkcs1' }),
  },
  certificate: { format: 'certificate', read: (der) => new X509Certificate(der).publicKey },
};

/** Reads a public key body; a private key yields its public half (see `loadPublic`). */
function decodePublic(
  block: PemBlock,
  shape: DerShape,
  subject: string,
): { key: KeyObject; format: PublicKeyFormat } {
  const reader = PUBLIC_READERS[shape];
  if (reader !== undefined) {
    return { key: parseOrCorrupt(() => reader.read(block.der), subject), format: reader.format };
  }
  if (shape === 'encrypted-pkcs8' || isLegacyEncrypted(block)) throw isPrivate(subject);
  const { key } = decodePrivate(block, shape, undefined, subject);
  return { key: createPublicKey(key), format: 'private-key' };
}

// ---- checks shared by private and public keys -------------------------------------------

/** SNAP signs with RSASSA-PKCS1-v1_5; an RSA-PSS-only key cannot make that signature. */
function requireRsa(key: KeyObject, subject: string): number {
  if (key.asymmetricKeyType === 'rsa-pss') {
    throw notRsa(subject, 'an RSA-PSS key (it may only sign with PSS padding)');
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw notRsa(subject, `a key of type ${(key.asymmetricKeyType ?? 'unknown').toUpperCase()}`);
  }
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}

function strengthWarnings(bits: number): string[] {
  if (bits >= MIN_BITS) return [];
  return [`${bits}-bit key: SNAP providers expect 2048-bit RSA keys`];
}

/**
 * `SHA256:` and unpadded base64 of SHA-256 over the SPKI DER of the public key, the form
 * OpenSSH prints; a private key and its public key give the same fingerprint.
 */
export function fingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(spki).digest('base64').replace(/=+$/, '')}`;
}

// ---- public API -----------------------------------------------------------------------

function subjectOf(role: 'private' | 'public', source: string | undefined): string {
  return source === undefined ? `the ${role} key` : `the ${role} key from ${source}`;
}

/** Finds, repairs and decodes the block of the wanted role, noting what was done. */
function readBlock(
  input: string | Buffer,
  subject: string,
  wanted: 'private' | 'public',
): { input: KeyInput; block: PemBlock; shape: DerShape } {
  const read = readKeyInput(input, subject);
  let block: PemBlock;
  if (read.armor === 'pem') {
    const picked = pickBlock(read, wanted) ?? pickBlock(read, otherRole(wanted));
    if (picked === undefined) refuseBlocks(read, subject);
    noteOthers(picked.others, read.repairs);
    block = readBody(picked.block, subject, read.repairs);
  } else {
    block = readBareBody(read, subject, wanted);
  }

  const shape = sniffDer(block.der);
  noteShape(read, block, shape);
  return { input: read, block, shape };
}

function otherRole(role: 'private' | 'public'): 'private' | 'public' {
  return role === 'private' ? 'public' : 'private';
}

function loadPrivate(
  pem: string | Buffer,
  passphrase: string | undefined,
  subject: string,
): LoadedPrivateKey {
  const { input, block, shape } = readBlock(pem, subject, 'private');
  const { key, format } = decodePrivate(block, shape, passphrase, subject);
  const bits = requireRsa(key, subject);

  const warnings = strengthWarnings(bits);
  if (passphrase !== undefined && !format.startsWith('encrypted')) {
    warnings.push('a passphrase was given but the key is not encrypted: it was not needed');
  }
  const publicKey = createPublicKey(key);
  return {
    key,
    publicKey,
    format,
    bits,
    fingerprint: fingerprint(publicKey),
    repairs: input.repairs,
    warnings,
  };
}

/**
 * A private key given where a public key is expected is accepted, with a warning: the
 * checker needs only its public half and has already read the file, so refusing would add
 * friction without protecting anything, while the warning tells the user not to share it.
 * An encrypted one is refused, since there is no passphrase to open it with here.
 */
function loadPublic(pem: string | Buffer, subject: string): LoadedPublicKey {
  const { input, block, shape } = readBlock(pem, subject, 'public');
  const { key, format } = decodePublic(block, shape, subject);
  const bits = requireRsa(key, subject);

  const warnings = strengthWarnings(bits);
  if (format === 'certificate') warnings.push(...certificateWarnings(block.der));
  if (format === 'private-key') {
    warnings.push(
      'a private key was given where a public key is expected: used its public half; ' +
        'share only the public key (`openssl pkey -in <file> -pubout`)',
    );
  }
  return { key, format, bits, fingerprint: fingerprint(key), repairs: input.repairs, warnings };
}

/** The key still verifies, but an expired certificate usually means a stale key too. */
function certificateWarnings(der: Buffer): string[] {
  const certificate = new X509Certificate(der);
  const now = Date.now();
  if (Date.parse(certificate.validTo) < now) {
    return [`the certificate expired on ${certificate.validTo}: ask for a current one`];
  }
  if (Date.parse(certificate.validFrom) > now) {
    return [`the certificate is not valid before ${certificate.validFrom}`];
  }
  return [];
}

/**
 * Loads an RSA private key in PKCS#8, PKCS#1 or encrypted PKCS#8 form (PEM, bare base64 or
 * DER), repairing the usual paste damage and reporting each repair.
 */
export function loadPrivateKey(
  pem: string | Buffer,
  options: PrivateKeyOptions = {},
): LoadedPrivateKey {
  return loadPrivate(pem, options.passphrase, subjectOf('private', options.source));
}

/** Loads an RSA public key in SPKI or PKCS#1 form, or the one inside an X.509 certificate. */
export function loadPublicKey(
  pem: string | Buffer,
  options: PublicKeyOptions = {},
): LoadedPublicKey {
  return loadPublic(pem, subjectOf('public', options.source));
}

/** Reads and loads a private key file; errors name the path, never the key. */
export function readPrivateKeyFile(
  path: string,
  options: { passphrase?: string } = {},
): LoadedPrivateKey {
  return loadPrivate(readKeyFile(path, 'private'), options.passphrase, `private key file ${path}`);
}

/** Reads and loads a public key (or certificate) file. */
export function readPublicKeyFile(path: string): LoadedPublicKey {
  return loadPublic(readKeyFile(path, 'public'), `public key file ${path}`);
}

const OS_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
};

function readKeyFile(path: string, role: 'private' | 'public'): Buffer {
  try {
    return readRegularFile(path, MAX_KEY_FILE_BYTES);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unknown error';
    const reason =
      code === 'ETOOBIG'
        ? `${(cause as Error).message}: too large for a key, check the path`
        : code === 'ENOTREG'
          ? 'not a regular file (a device or a pipe): check the path'
          : (OS_REASONS[code] ?? code);
    const error = new KeyError('ERR_KEY_FILE', `cannot read ${role} key file ${path}: ${reason}`);
    error.cause = cause;
    throw error;
  }
}
