import { browserFrameSchema, WEB_ERROR_CODES, WEB_LIMITS, type BrowserFrame, type WebErrorCode } from '../../shared/web-protocol.js';

export type FrameReading = { ok: true; frame: BrowserFrame } | { ok: false; code: WebErrorCode; message: string; ref?: string };

/**
 * One WebSocket message from a page to a typed frame, or the reason it is refused: too large, not
 * JSON, or not a frame of shared/web-protocol.ts (the first problem zod found, with its path). The
 * refusal names the frame's `ref` when it had a readable one, so the page can tell which request failed.
 */
export function readFrame(data: Buffer | string, isBinary: boolean): FrameReading {
  const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (bytes > WEB_LIMITS.maxFrameBytes) {
    return { ok: false, code: WEB_ERROR_CODES.FRAME_TOO_LARGE, message: `the frame is ${bytes} bytes; the limit is ${WEB_LIMITS.maxFrameBytes}` };
  }
  if (isBinary) return { ok: false, code: WEB_ERROR_CODES.FRAME_INVALID, message: 'binary frames are not part of the protocol; send JSON text' };
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch {
    return { ok: false, code: WEB_ERROR_CODES.FRAME_INVALID, message: 'the frame is not JSON' };
  }
  const parsed = browserFrameSchema.safeParse(json);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  const ref = refOf(json);
  return { ok: false, code: WEB_ERROR_CODES.FRAME_INVALID, message: `not a frame of the protocol${where}: ${issue?.message ?? 'invalid'}`, ...(ref === undefined ? {} : { ref }) };
}

function refOf(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || !('ref' in json)) return undefined;
  const ref = json.ref;
  return typeof ref === 'string' && ref.length > 0 && ref.length <= WEB_LIMITS.maxRefLength ? ref : undefined;
}
