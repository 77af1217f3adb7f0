/**
 * The copy of a refused input that goes to the dead-letter queue, with any session token blanked:
 * a refused message can carry a valid token, and whoever reads the queue must not be able to
 * send as its owner. Bodies that are not JSON objects are kept as they came.
 */
export function deadLetterBody(content: Buffer): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch {
    return content;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('token' in parsed)) return content;
  return Buffer.from(JSON.stringify({ ...parsed, token: '[redacted]' }));
}
