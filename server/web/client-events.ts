import type { WarrenClient } from '../../client/lib/warren-client.js';
import type { ConnectionStatus } from '../../shared/connection.js';
import type { SessionFrame, WebLinkState } from '../../shared/web-protocol.js';

/**
 * Everything a WarrenClient reports, as the frames the page draws from: the same events the
 * terminal's SessionController renders (client/ui/session-controller.ts), as data, not lines.
 */
export function forwardClientEvents(client: WarrenClient, emit: (frame: SessionFrame) => void, roomsChanged: () => void, onPresence: (name: string, online: boolean) => void): void {
  client.on('message', (event, { recent }) => emit({ type: 'message', event, recent }));
  client.on('messageUpdated', (update) => emit({ type: 'messageUpdated', update }));
  client.on('messageRemoved', (removal) => emit({ type: 'messageRemoved', removal }));
  client.on('roomEvent', (event) => {
    emit({ type: 'roomEvent', event });
    roomsChanged();
  });
  client.on('presence', (event) => {
    onPresence(event.name, event.event === 'joined');
    emit({ type: 'presence', event });
  });
  client.on('activated', () => emit({ type: 'notice', level: 'ok', text: 'The chat is active. Messages sent while waiting follow.' }));
  client.on('held', () => emit({ type: 'notice', level: 'info', text: 'Your message is kept and appears when the chat starts.' }));
  client.on('privateStatus', (status) =>
    emit({ type: 'notice', level: 'ok', text: status.delivered ? `delivered to ${status.to}` : `${status.to} is offline; they get it when they return` }),
  );
  // The first "connected" is not news; a reconnection is (as on the terminal).
  let interrupted = false;
  client.on('status', (status) => {
    if (status.state === 'connected' && !interrupted) return;
    if (status.state !== 'connected') interrupted = true;
    const link = linkState(status);
    if (link) emit({ type: 'link', link });
  });
  client.on('link', (notice) => emit({ type: 'notice', level: notice.state === 'lost' ? 'warn' : 'ok', text: notice.what }));
  client.on('sessionLost', (error) => emit({ type: 'sessionLost', error: { code: error.code, message: error.message } }));
}

function linkState(status: ConnectionStatus): WebLinkState | undefined {
  switch (status.state) {
    case 'connected':
      return { state: 'connected', detail: 'connected' };
    case 'disconnected':
      return { state: 'disconnected', detail: `connection lost (${status.reason})` };
    case 'reconnecting':
      return { state: 'reconnecting', detail: `reconnecting (attempt ${status.attempt}, next try in ${(status.delayMs / 1000).toFixed(1)} s)` };
    case 'failed':
      return { state: 'failed', detail: status.error.message };
    default:
      return undefined;
  }
}
