/**
 * Escaping for the XML, HTML and Markdown reports and for the terminal. Exchanges hold whatever
 * a peer sent, so every value is treated as hostile text: escaped for its markup, and with the
 * characters XML cannot carry at all written out visibly instead of dropped.
 */

/**
 * Characters outside XML 1.0's Char production (control characters other than tab and line
 * ends, lone surrogates, U+FFFE and U+FFFF). HTML tolerates some of them, but a report that
 * shows `\x00` is clearer than one that hides it.
 */
const NOT_XML_CHAR = new RegExp(
  [
    '[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]',
    // a lone surrogate: a high one without its low half, or a low one without its high half
    '[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])',
    '(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]',
  ].join('|'),
  'g',
);

/** Control characters and the like as `\xNN` / `\uNNNN` text. */
export function printable(text: string): string {
  return text.replace(NOT_XML_CHAR, (char) => {
    const code = char.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text safe in XML content and in double- or single-quoted attributes. */
export function escapeXml(text: string): string {
  return printable(text).replace(/[&<>"']/g, (char) => XML_ENTITIES[char] ?? char);
}

/** Text safe in XML element content: quotes need no escape there, and read better bare. */
export function escapeXmlText(text: string): string {
  return printable(text).replace(/[&<>]/g, (char) => XML_ENTITIES[char] ?? char);
}

/** Text safe in HTML content and quoted attributes (`&#39;`: `&apos;` is not HTML 4). */
export function escapeHtml(text: string): string {
  return escapeXml(text).replace(/&apos;/g, '&#39;');
}

/** Text safe in a Markdown table cell: no pipe, no line break, no inline HTML. */
export function escapeMarkdownCell(text: string): string {
  return printable(text)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[<>]/g, (char) => (char === '<' ? '&lt;' : '&gt;'))
    .replace(/\r?\n/g, ' ');
}

/** Text as Markdown inline code, with a fence long enough for any backticks inside. */
export function markdownCode(text: string): string {
  const clean = printable(text).replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

/**
 * Characters a terminal acts on rather than shows: C0 controls (ESC starts every colour,
 * cursor and title sequence; CR rewrites the line; LF fakes a new one), DEL, the C1 controls
 * (U+009B is a one-byte CSI on some terminals), the bidirectional overrides and isolates that
 * reorder what is shown (CVE-2021-42574), and the Unicode line and paragraph separators.
 */
/* eslint-disable no-control-regex -- finding control characters is this pattern's job */
const TERMINAL_CONTROL =
  /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028-\u202E\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/**
 * One line of text as a terminal should print it: every control character written out as
 * `\u001b` (JSON's form), so a peer's bytes are seen, never obeyed. A line break inside is
 * escaped too: the caller joins its lines, the peer's text adds none.
 */
export function terminalText(line: string): string {
  return line.replace(
    TERMINAL_CONTROL,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
