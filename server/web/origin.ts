/**
 * Whether a WebSocket upgrade may proceed: browsers always send Origin, and another site's page
 * must not open a socket to the gateway (cross-site WebSocket hijacking). The page's own origin
 * (Origin's host equals the Host it asked) and the configured ones may; a request without Origin
 * is not a browser's (a tool, a test) and gets nothing a terminal client could not have.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
