import WebSocket from 'ws';
import type { GatewayFrame } from '../../shared/web-protocol.js';
import { waitFor } from './wait.js';

/**
 * A page's side of the gateway's WebSocket, spoken by hand: what a test sends, every frame that
 * came back, and the close code. For the protocol's bad-input tests and the resume tests.
 */
export class WebPeer {
  readonly frames: GatewayFrame[] = [];
  closeCode: number | undefined;
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.frames.push(JSON.parse(String(data)) as GatewayFrame));
    socket.on('close', (code) => (this.closeCode = code));
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<WebPeer> {
    const socket = new WebSocket(url, { headers });
    const peer = new WebPeer(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return peer;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  async next<T extends GatewayFrame>(match: (frame: GatewayFrame) => frame is T, what: string, timeoutMs = 10_000): Promise<T> {
    return waitFor(() => this.frames.find(match), () => `${what}; frames were ${JSON.stringify(this.frames).slice(-2000)}`, timeoutMs);
  }

  async error(code: string, timeoutMs = 5000): Promise<Extract<GatewayFrame, { type: 'error' }>> {
    return this.next((frame): frame is Extract<GatewayFrame, { type: 'error' }> => frame.type === 'error' && frame.code === code, `an error ${code}`, timeoutMs);
  }

  async result(ref: string, timeoutMs = 10_000): Promise<Extract<GatewayFrame, { type: 'result' }>> {
    return this.next((frame): frame is Extract<GatewayFrame, { type: 'result' }> => frame.type === 'result' && frame.ref === ref, `the result of ${ref}`, timeoutMs);
  }

  async hello(frame: object = { type: 'hello' }): Promise<Extract<GatewayFrame, { type: 'hello.ok' }>> {
    this.send(frame);
    return this.next((f): f is Extract<GatewayFrame, { type: 'hello.ok' }> => f.type === 'hello.ok', 'hello.ok');
  }

  lastSeq(): number {
    return Math.max(0, ...this.frames.map((frame) => ('seq' in frame ? frame.seq : 0)));
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
