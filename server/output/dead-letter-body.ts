/** Fields blanked in a dead-letter copy: a session token would let its reader send as the owner, a password log in as them. */
const SECRET_FIELDS = ['token', 'password'] as const;

/**
 * The copy of a refused input that goes to the dead-letter queue, with any session token and
 * password blanked: a refused message can carry a valid token (or a login or register its
 * password), and whoever reads the queue must not learn them. Bodies that are not JSON objects
 * are kept as they came.
 */
export function deadLetterBody(content: Buffer): Buffer {
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
