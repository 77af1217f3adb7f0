/** Fields blanked in a dead-letter copy: a session token would let its reader send as the owner, a password log in as them. */
const SECRET_FIELDS = ['token', 'password'] as const;

/** Bytes of a refused input's body the dead-letter copy keeps by default (setting WARREN_DEAD_LETTER_BODY_BYTES). */
export const DEFAULT_DEAD_LETTER_BODY_BYTES = 4096;

/** Follows the kept bytes of a truncated copy; `original` is the size of the whole body. */
export function truncationMarker(originalBytes: number): string {
  return `…[truncated by warren: original ${originalBytes} bytes]`;
}

/**
 * The copy of a refused input that goes to the dead-letter queue, with any session token and password
 * blanked: a refused message can carry a valid token (or a login or register its password), and
 * whoever reads the queue must not learn them. Bodies that are not JSON objects are kept as they came. A copy longer than
 * `maxBytes` keeps its first `maxBytes` bytes plus a marker naming the original size, so one
 * 20 MB junk body cannot fill the queue's byte cap (docs/SECURITY.md "Caps").
 */
export function deadLetterBody(content: Buffer, maxBytes: number = DEFAULT_DEAD_LETTER_BODY_BYTES): Buffer {
  return truncated(redacted(content), content.length, maxBytes);
}

function redacted(content: Buffer): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch {
    return content;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return content;
  const secrets = SECRET_FIELDS.filter((field) => field in parsed);
  if (secrets.length === 0) return content;
  return Buffer.from(JSON.stringify({ ...parsed, ...Object.fromEntries(secrets.map((field) => [field, '[redacted]'])) }));
}

function truncated(copy: Buffer, originalBytes: number, maxBytes: number): Buffer {
  if (copy.length <= maxBytes) return copy;
  return Buffer.concat([copy.subarray(0, maxBytes), Buffer.from(truncationMarker(originalBytes))]);
}
